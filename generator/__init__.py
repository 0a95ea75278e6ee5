"""odatakit's generator: $metadata (and spec tables) in, a typed async Python package out."""

__version__ = "0.1.0"

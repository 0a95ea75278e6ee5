"""odatakit's generator: $metadata (and spec tables) in, a typed async Python package out.

Installed from the distribution it is the package `odatakit_generator`; in a checkout it is
`generator`. Its modules import each other relatively and the runtime as `odatakit`, so both work.
"""

from odatakit import __version__

__all__ = ["__version__"]

"""Measure what msgraph-sdk puts on disk; print one JSON object.

Runs under .bench-venv. `python bench/peers/size.py`. Two figures, both without bytecode (`__pycache__`,
`.pyc`), via bench/sizes.py: the `msgraph` package directory (bytes, .py files), and the installed closure
of msgraph-sdk, i.e. it and every distribution it requires, transitively, with the extras asked for (as
httpx[http2]), sized from each one's RECORD.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sizes import dist_size, requirement_closure, tree_size  # noqa: E402


def main() -> None:
    """Print one JSON object with the package's size, its closure's size and the version."""
    import msgraph

    package_bytes, package_py = tree_size(Path(msgraph.__file__).parent)
    closure = requirement_closure("msgraph-sdk")
    sizes = {name: dist_size(name) for name in closure}
    print(json.dumps({
        "msgraph_bytes": package_bytes,
        "msgraph_py_files": package_py,
        "closure_bytes": sum(size for size, _ in sizes.values()),
        "closure_py_files": sum(count for _, count in sizes.values()),
        "closure_packages": closure,
        "closure_bytes_by_package": {name: size for name, (size, _) in sizes.items()},
        "method": "bytes of installed files without __pycache__/.pyc; closure = msgraph-sdk plus its "
                  "requirements, transitively, with the extras they ask for (httpx[http2]), from each distribution's RECORD",
        "version": version("msgraph-sdk"),
    }))


if __name__ == "__main__":
    main()

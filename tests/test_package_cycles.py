"""No import cycle anywhere in the runtime, counting imports in functions and under TYPE_CHECKING.

The modules a request builder hands itself to (`refs`, `props`, `delta`) and the batch its client
hands itself to describe what they need of it as a Protocol instead of importing it back;
`odatakit.responses` holds the decoded response both the client and batches build.
"""

from __future__ import annotations

from .test_import_graph import PACKAGE, _cycles, _imports


def test_the_runtime_has_no_import_cycle() -> None:
    graph = {f.stem: _imports(f.stem) for f in PACKAGE.glob("*.py")}
    assert [sorted(c) for c in _cycles(graph)] == []


def test_the_one_way_edges_that_replaced_the_cycles() -> None:
    assert {"refs", "props", "delta"} <= _imports("builders")
    assert "builders" not in _imports("refs") | _imports("props") | _imports("delta")
    assert "batch" in _imports("client") and "client" not in _imports("batch")
    assert "responses" in _imports("batch") & _imports("client")

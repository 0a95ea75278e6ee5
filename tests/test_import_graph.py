"""The models and the query expressions import each other nowhere, not even for type checkers.

The layers, lowest first: `fields` (field and type descriptions), `expr` (expressions and their
operators), `query` (option text), `capabilities`, `paths` (structured paths, `$expand` items),
`_hooks`, `serde` (models and the registry). Each may import only the layers below it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "odatakit"
LAYERS = ("fields", "expr", "query", "capabilities", "paths", "_hooks", "serde")


def _imports(module: str) -> set[str]:
    """The odatakit modules `module` imports anywhere: at the top, in functions, under TYPE_CHECKING."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif node.level == 0 and node.module and node.module.startswith("odatakit."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("odatakit."))
    return {m for m in found if (PACKAGE / f"{m}.py").exists()}


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_each_layer_imports_only_the_layers_below() -> None:
    for i, module in enumerate(LAYERS):
        above = set(LAYERS[i + 1:]) | {module}
        assert _imports(module) & above == set(), f"odatakit/{module}.py imports a layer above it"


def test_no_cycle_passes_through_the_model_and_expression_modules() -> None:
    graph = {f.stem: _imports(f.stem) for f in PACKAGE.glob("*.py")}
    touching = [sorted(c) for c in _cycles(graph) if c & set(LAYERS)]
    assert touching == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


_FRESH = """
import importlib.util, json, sys, types
# A bare package, so that only what the module itself imports gets imported (not odatakit/__init__.py).
package = types.ModuleType("odatakit")
package.__path__ = [sys.argv[1]]
sys.modules["odatakit"] = package
importlib.import_module("odatakit." + sys.argv[2])
print(json.dumps(sorted(m.split(".")[1] for m in sys.modules if m.startswith("odatakit."))))
"""


@pytest.mark.parametrize("module", LAYERS)
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", _FRESH, str(PACKAGE), module],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    above = set(LAYERS[LAYERS.index(module) + 1:])
    assert module in loaded
    assert loaded & above == set(), f"importing odatakit.{module} loaded {sorted(loaded & above)}"

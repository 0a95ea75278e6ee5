"""The order types are emitted in: bases first, and each type next to the types it needs.

Chunked packages import one module per chunk; this order is what keeps reading one entity
from loading most of a large package (`generator.emit._locality_order`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator.csdl import load_metadata, parse_metadata
from generator.emit import _locality_order
from generator.model import EnumType, Model, StructuredType

from .conftest import generate, shared_file

FIXTURES = Path(__file__).parent / "fixtures" / "csdl"


def _names(model: Model) -> list[str]:
    return [t.qualified for t in _locality_order(model)]


def test_entity_sets_first_then_property_types_depth_first_then_derived() -> None:
    model = parse_metadata((FIXTURES / "query.xml").read_bytes(), "query.xml")
    order = [t.name for t in _locality_order(model)]
    # Item (first entity set) and what reading it needs: enums Color and Access, Shape and its Point;
    # then the other entity sets' types, navigation targets (Part), and derived types last.
    assert order == ["Item", "Color", "Access", "Shape", "Point", "Person", "Pair", "Part", "SpecialItem"]


def _check_order(model: Model) -> list[EnumType | StructuredType]:
    ordered = _locality_order(model)
    names = [t.qualified for t in ordered]
    declared: list[EnumType | StructuredType] = [*model.enums, *model.structured]
    assert sorted(names) == sorted(t.qualified for t in declared)
    index = {name: i for i, name in enumerate(names)}
    for t in model.structured:
        if t.base in index:
            assert index[t.base] < index[t.qualified], t.qualified
    return ordered


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.xml")))
def test_every_type_once_and_bases_first(fixture: str) -> None:
    _check_order(parse_metadata((FIXTURES / fixture).read_bytes(), fixture))
    assert _names(parse_metadata((FIXTURES / fixture).read_bytes(), fixture)) == _names(
        parse_metadata((FIXTURES / fixture).read_bytes(), fixture)
    )


def test_whole_graph_keeps_an_entitys_property_types_beside_it() -> None:
    model = load_metadata(str(shared_file("external", "msgraph-metadata", "v1.0-cleanMetadata.xml")))
    ordered = _check_order(model)
    index = {t.qualified: i for i, t in enumerate(ordered)}
    event = index["microsoft.graph.event"]
    needed = [
        "microsoft.graph.attendee", "microsoft.graph.itemBody", "microsoft.graph.dateTimeTimeZone",
        "microsoft.graph.location", "microsoft.graph.patternedRecurrence", "microsoft.graph.importance",
    ]  # fmt: skip
    # Each is either placed before (shared with an earlier type) or within a few places after.
    for name in needed:
        assert index[name] < event or index[name] - event < 40, (name, index[name], event)
    assert any(event < index[name] for name in needed)


def test_small_packages_are_one_module_and_large_ones_small_chunks(tmp_path: Path) -> None:
    from generator.emit import CHUNK_SIZE, ONE_MODULE_LIMIT

    one = generate(FIXTURES / "query.xml", "fx_one", tmp_path)
    assert sorted(p.name for p in one.glob("models*.py")) == ["models.py"]
    assert ONE_MODULE_LIMIT == 200 and CHUNK_SIZE == 25
    three = generate(FIXTURES / "query.xml", "fx_three", tmp_path, chunk_size=3)
    # Item, Color, Access | Shape, Point, Person | Pair, Part, SpecialItem
    assert sorted(p.name for p in three.glob("models*.py")) == ["models_00.py", "models_01.py", "models_02.py"]
    assert "class Item(" in (three / "models_00.py").read_text()
    assert "class SpecialItem(" in (three / "models_02.py").read_text()


def test_a_chunked_package_loads_only_the_modules_a_read_needs(tmp_path: Path) -> None:
    generate(FIXTURES / "query.xml", "fx_chunked", tmp_path, chunk_size=3)
    code = (
        "import sys; from fx_chunked import Person, StoreClient; "
        "p = StoreClient('https://x').converter.structure({'id': 1, 'name': 'a'}, Person); "
        "assert type(p) is Person and p.name == 'a'; "
        "print(sorted(m.split('.')[1] for m in sys.modules if m.startswith('fx_chunked.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    # Person's module and its structuring module; Item's and SpecialItem's modules stay unread.
    assert out.stdout.strip() == "['_registry', '_structure_01', 'client', 'models_01']"

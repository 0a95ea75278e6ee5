"""Generated classes as Python objects: construction, equality, repr, copies, slots.

Generated classes are plain slotted classes (no attrs class per type, see `odatakit.serde.model`);
these tests pin the behaviour users rely on: keyword-only construction with clear errors,
value equality, an unhashable mutable object, a readable repr, and `replace`.
"""

from __future__ import annotations

import copy
import math
import pickle
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import odatakit
from odatakit import serde
from odatakit.serde import mark_changed

FIXTURES = Path(__file__).parent / "fixtures" / "csdl"


@pytest.fixture(scope="module")
def pkg(generated_packages: Callable[..., ModuleType]) -> ModuleType:
    return generated_packages(FIXTURES / "query.xml", "fx_objects")


def test_keyword_construction_sets_given_fields_and_none_elsewhere(pkg: ModuleType) -> None:
    item = pkg.Item(id="1", name="Bolt", quantity=3)
    assert (item.id, item.name, item.quantity, item.ratio, item.shape) == ("1", "Bolt", 3, None, None)
    assert item.additional_data == {}
    assert pkg.Item().additional_data is not pkg.Item().additional_data
    extra = {"@odata.etag": 'W/"1"'}
    assert pkg.Item(additional_data=extra).additional_data is extra
    # Built in Python: every property set counts as changed.
    assert item.changed_fields == {"id", "name", "quantity"}


def test_derived_classes_take_inherited_fields(pkg: ModuleType) -> None:
    special = pkg.SpecialItem(id="7", extra="x", color=pkg.Color.RED)
    assert (special.id, special.extra, special.color) == ("7", "x", pkg.Color.RED)
    assert isinstance(special, pkg.Item)


def test_unknown_keyword_and_positional_arguments_raise(pkg: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"^Item.__init__\(\) got an unexpected keyword argument 'nmae'$"):
        pkg.Item(nmae="typo")
    with pytest.raises(TypeError, match="positional argument"):
        pkg.Item("1")


def test_objects_are_slotted_and_refuse_unknown_attributes(pkg: ModuleType) -> None:
    item = pkg.Item(id="1")
    with pytest.raises(AttributeError):
        item.nmae = "typo"
    assert not hasattr(item, "__dict__")


def test_equality_is_by_class_fields_and_additional_data(pkg: ModuleType) -> None:
    assert pkg.Item(id="1", name="a") == pkg.Item(id="1", name="a")
    assert pkg.Item(id="1", name="a") != pkg.Item(id="1", name="b")
    assert pkg.Item(id="1") != pkg.Item(id="1", additional_data={"x": 1})
    assert pkg.Item(id="1") != pkg.SpecialItem(id="1")
    assert pkg.Item(id="1") != {"id": "1"}
    nan = math.nan
    assert pkg.Item(ratio=nan) == pkg.Item(ratio=nan)  # the same NaN object, as in tuple comparison
    shape = pkg.Shape(name="s", center=pkg.Point(x=1.0))
    assert shape == pkg.Shape(name="s", center=pkg.Point(x=1.0))
    assert shape != pkg.Shape(name="s", center=pkg.Point(x=2.0))


def test_equality_ignores_nulls_and_change_tracking(pkg: ModuleType) -> None:
    conv = pkg.StoreClient("https://svc.test").converter
    received = conv.structure({"id": "1", "name": None}, pkg.Item)
    built = pkg.Item(id="1")
    assert received == built
    mark_changed(received, "id")
    assert received == built


def test_objects_are_unhashable(pkg: ModuleType) -> None:
    with pytest.raises(TypeError, match="unhashable"):
        hash(pkg.Item(id="1"))


def test_repr_lists_every_field_in_declaration_order(pkg: ModuleType) -> None:
    point = pkg.Point(x=1.5, label="p")
    assert repr(point) == "Point(x=1.5, label='p', cast=None)"
    special = repr(pkg.SpecialItem(id="7", extra="x"))
    assert special.startswith("SpecialItem(id='7', name=None, quantity=None,")
    assert special.endswith(", owner=None, parts=None, extra='x')")


def test_repr_of_a_cycle_terminates(pkg: ModuleType) -> None:
    person = pkg.Person(id=1)
    person.manager = person
    assert repr(person) == "Person(id=1, name=None, items=None, manager=...)"


def test_replace_copies_with_changes(pkg: ModuleType) -> None:
    item = pkg.Item(id="1", name="a", additional_data={"k": 1})
    copy = odatakit.replace(item, name="b")
    assert type(copy) is pkg.Item
    assert (copy.id, copy.name, copy.additional_data) == ("1", "b", {"k": 1})
    assert item.name == "a"
    assert item.__replace__(name="c").name == "c"
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        odatakit.replace(item, nope=1)


def test_a_users_subclass_keeps_the_generated_fields(pkg: ModuleType) -> None:
    class Mine(pkg.Item):  # type: ignore[name-defined, misc]
        def label(self) -> str:
            return f"{self.id}:{self.name}"

    mine = Mine(id="1", name="a")
    assert mine.label() == "1:a"
    assert mine == Mine(id="1", name="a")
    assert repr(mine).startswith("Mine(id='1', name='a',")


def test_field_tables_read_one_field_per_line() -> None:
    from odatakit.serde import FieldSpec, field_table

    table = """
    name name Edm.String
    tags tags Edm.String collection
    parts parts q.Part collection navigation
    color color q.Color enum
    """
    assert field_table(table) == (
        FieldSpec("name", "name", "Edm.String"),
        FieldSpec("tags", "tags", "Edm.String", collection=True),
        FieldSpec("parts", "parts", "q.Part", collection=True, navigation=True),
        FieldSpec("color", "color", "q.Color", enum=True),
    )
    assert field_table("") == ()
    with pytest.raises(ValueError, match=r"field table line 'a a Edm.String colection': unknown words \['colection'\]"):
        field_table("a a Edm.String colection")
    with pytest.raises(ValueError, match="expected a Python name, a wire name and a type"):
        field_table("a Edm.String")


def test_additional_data_is_a_dict_of_its_own_made_on_first_use(pkg: ModuleType) -> None:
    # Objects without undeclared members share one empty placeholder until `additional_data` is
    # first read; what users see is still a mutable dict per object that keeps their changes.
    conv = pkg.StoreClient("https://svc.test").converter
    first, second = (conv.structure({"id": str(i)}, pkg.Item) for i in range(2))
    assert serde._extra_of(first) is serde._extra_of(second) is serde.NO_EXTRA  # nothing allocated yet
    assert first == pkg.Item(id="0") == pkg.Item(id="0", additional_data={})
    assert (first.odata_type, first.odata_etag) == (None, None)
    assert serde._extra_of(first) is serde.NO_EXTRA  # reading those made no dict either
    extra = first.additional_data
    assert type(extra) is dict and extra == {} and first.additional_data is extra
    extra["@odata.etag"] = 'W/"1"'
    assert first.odata_etag == 'W/"1"' and second.additional_data == {}
    assert second.additional_data is not extra and serde.NO_EXTRA == {}
    assert conv.unstructure(first) == {"@odata.etag": 'W/"1"', "id": "0"}
    first.additional_data = {"k": 1}
    assert first.additional_data == {"k": 1}
    first.additional_data = None  # type: ignore[assignment]  # stored as given, not replaced by a dict
    assert first.additional_data is None


def test_copies_and_pickles_of_objects_without_extras(pkg: ModuleType) -> None:
    conv = pkg.StoreClient("https://svc.test").converter
    item = conv.structure({"id": "1", "shape": {"name": "s"}}, pkg.Item)
    for clone in (copy.copy(item), copy.deepcopy(item), pickle.loads(pickle.dumps(item))):
        assert clone == item
        assert serde._extra_of(clone) is serde.NO_EXTRA  # the placeholder stays the one shared instance
        clone.additional_data["k"] = 1
        assert item.additional_data == {} and clone.additional_data == {"k": 1}
    assert pickle.loads(pickle.dumps(serde.NO_EXTRA)) is serde.NO_EXTRA

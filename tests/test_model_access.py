"""How a property name resolves on a generated class and on its instances.

Instances read and write through the class's bare slots (a C-level access, no Python call on a
read); `Cls.prop` is the property's query expression, supplied by the metaclass; writes are
bare slot stores too, and changes are found by comparison (tests/test_change_tracking.py). These tests pin each path,
including the corner cases of names shared with other classes and with `type` itself.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from odatakit import serde
from odatakit.serde import ODataObject, Registry, model

FIXTURES = Path(__file__).parent / "fixtures" / "csdl"

# A class registered by hand, as generated code does, with a property named like an attribute
# of `type` (`mro`), which cannot take the metaclass route.
REG = Registry("tests_model_access", {}, namespace="Test")


@REG.structured("Test.Thing", "label label Edm.String\nmro mro Edm.String")
@model
class Thing(serde.EntityBase):
    """A hand-registered entity."""

    __slots__ = ("label", "mro")


@model
class NotAField(serde.ComplexBase):
    """A model class whose own `label` is a method, not a property."""

    __slots__ = ()

    def label(self) -> str:
        """A method sharing a property name of another class."""
        return "method"


@model
class Bare(serde.ComplexBase):
    """A model class with no `label` at all."""

    __slots__ = ()


@pytest.fixture(scope="module")
def pkg(generated_packages: Callable[..., ModuleType]) -> ModuleType:
    return generated_packages(FIXTURES / "query.xml", "fx_access")


def _received(obj: Any) -> Any:
    serde.mark_clean(obj)  # what structuring leaves: tracked, nothing changed yet
    return obj


def test_instance_properties_are_bare_slots(pkg: ModuleType) -> None:
    # A Python-level descriptor here made every read about 10x slower (131 ns against 12 ns).
    assert type(pkg.Item.__dict__["name"]).__name__ == "member_descriptor"
    item = pkg.Item(id="1", name="Bolt")
    assert (item.id, item.name) == ("1", "Bolt")


def test_class_access_gives_the_query_expression_rooted_at_that_class(pkg: ModuleType) -> None:
    assert pkg.Item.name.text == "name"
    assert (pkg.Item.name == "x").text == "name eq 'x'"
    assert pkg.Item.name is pkg.Item.name  # made once per class
    # An inherited property is an expression of the derived class, not of the base.
    assert pkg.SpecialItem.name is not pkg.Item.name
    assert pkg.SpecialItem.name.text == "name"
    assert pkg.SpecialItem in pkg.SpecialItem.name._roots
    assert pkg.Shape.center.x.text == "center/x"


def test_changes_to_received_objects_are_found_by_comparing_with_their_json(pkg: ModuleType) -> None:
    # No `__setattr__` hook: a write is a bare slot store, whatever the object.
    assert "__setattr__" not in serde.ODataObject.__dict__
    conv = pkg.StoreClient("https://svc.test").converter
    data = {"id": "1", "name": "Bolt", "quantity": 2, "when": "2017-04-15T03:00:50Z"}
    item = conv.structure(data, pkg.Item)
    assert type(item) is pkg.Item and item.changed_fields == frozenset()
    assert serde._wire_of(item) is data  # the one reference structuring keeps
    item.name = "Nut"
    item.quantity = 3
    assert item.changed_fields == {"name", "quantity"}
    assert (item.name, item.quantity) == ("Nut", 3)
    # An equal value is no change: not the same object, and not sent.
    item.when = conv.structure_value("2017-04-15T03:00:50Z", "Edm.DateTimeOffset")
    item.quantity = 2
    assert item.changed_fields == {"name"}
    item.when = None  # null where the service has a value: a change
    assert item.changed_fields == {"name", "when"}
    assert conv.unstructure_changes(item) == {"name": "Nut", "when": None}
    # Built in Python: nothing to compare with, as every property set counts.
    built = pkg.Item(id="2")
    built.name = "Washer"
    assert serde._wire_of(built) is None and built.changed_fields == {"id", "name"}


def test_assignments_during_unpickling_are_not_recorded(pkg: ModuleType) -> None:
    conv = pkg.StoreClient("https://svc.test").converter
    item = conv.structure({"id": "1", "name": "Bolt"}, pkg.Item)
    item.quantity = 4
    copied = pickle.loads(pickle.dumps(item))
    assert copied == item and copied.changed_fields == {"quantity"}
    clean = pickle.loads(pickle.dumps(conv.structure({"id": "1", "name": "Bolt"}, pkg.Item)))
    assert clean.changed_fields == frozenset()


def test_a_property_named_like_an_attribute_of_type() -> None:
    assert Thing.mro.text == "mro"
    assert (Thing.mro == "x").text == "mro eq 'x'"
    assert Thing.label.text == "label"
    thing = _received(Thing(label="a", mro="b"))
    assert (thing.label, thing.mro) == ("a", "b")
    thing.mro = "c"
    assert thing.mro == "c" and thing.changed_fields == {"mro"}


def test_class_attributes_named_like_a_property_elsewhere_keep_their_meaning() -> None:
    assert Thing.label.text == "label"  # `label` is now a property name on the metaclass
    assert NotAField.label(NotAField()) == "method"
    assert NotAField().label() == "method"
    with pytest.raises(AttributeError, match=r"^type object 'Bare' has no attribute 'label'$"):
        Bare.label  # noqa: B018 - the lookup is the test
    assert not hasattr(Bare, "label")


def test_a_users_subclass_may_redefine_a_property_name(pkg: ModuleType) -> None:
    class Custom(pkg.Item):  # type: ignore[misc, name-defined]
        __slots__ = ()

        @property
        def name(self) -> str:
            return "overridden"

    assert Custom().name == "overridden"
    assert isinstance(Custom.__dict__["name"], property)
    assert Custom.name.fget is not None  # the class's own attribute, not the inherited expression
    assert Custom.quantity.text == "quantity"


def test_a_property_name_cannot_be_set_or_deleted_on_the_class(pkg: ModuleType) -> None:
    with pytest.raises(AttributeError, match=r"^Item\.name: a property's name; its class attribute cannot be set$"):
        pkg.Item.name = "x"
    with pytest.raises(AttributeError, match=r"^Item\.name: a property's name; its class attribute cannot be deleted$"):
        del pkg.Item.name
    assert pkg.Item.name.text == "name"
    # Other class attributes stay assignable.
    pkg.Item.custom_marker = 1
    assert pkg.Item.custom_marker == 1
    del pkg.Item.custom_marker


def test_unregistered_subclasses_of_the_base_still_refuse_unknown_attributes() -> None:
    plain = Bare()
    with pytest.raises(AttributeError):
        plain.label = "x"  # type: ignore[attr-defined]
    assert isinstance(type(plain), type) and type(ODataObject).__name__ == "_ModelType"


@REG.structured("Test.Tabled")
@model
class Tabled(serde.EntityBase):
    """Registered as generated code does: the fields come from the table `__slots__` is made of."""

    __slots__ = REG.slots("""
    title title Edm.String
    page_count pageCount Edm.Int32
    """)


def test_slots_made_from_a_field_table_register_the_fields() -> None:
    assert Tabled.__slots__ == ("title", "page_count")
    info = REG.info_of(Tabled)
    assert [(f.py_name, f.wire, f.type) for f in info.fields] == [
        ("title", "title", "Edm.String"), ("page_count", "pageCount", "Edm.Int32"),
    ]
    item = Tabled(title="Report", page_count=3)
    assert (item.title, item.page_count) == ("Report", 3)
    assert not hasattr(item, "__dict__")
    assert pickle.loads(pickle.dumps(item)) == item


def test_a_class_without_its_fields_is_refused_at_registration() -> None:
    class Untabled(serde.EntityBase):
        __slots__ = ("title",)

    with pytest.raises(TypeError, match=r"Untabled: give its fields to Registry.structured or as __slots__"):
        REG.structured("Test.Untabled")(Untabled)


@REG.structured("Test.Shelf")
@model
class Shelf(serde.EntityBase):
    """A field table naming a type of the registry's namespace without it, and one of another namespace in full."""

    __slots__ = REG.slots("""
    first first Tabled navigation
    other other Other.Thing navigation
    """)


def test_a_type_without_a_dot_in_a_field_table_is_of_the_registry_namespace() -> None:
    assert [(f.py_name, f.type) for f in REG.info_of(Shelf).fields] == [
        ("first", "Test.Tabled"), ("other", "Other.Thing"),
    ]

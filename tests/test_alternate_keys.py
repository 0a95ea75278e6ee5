"""Alternate keys (`Core.AlternateKeys`): a collection builder's `by_...` methods address an item by them.

`tests/fixtures/csdl/altkeys.xml` declares a one-part key (`roleTemplateId`), a two-part key and
two declarations the generator leaves out (an alias that is no identifier, a key naming no
property); a bound function already takes the name `by_role_template_id`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from uuid import UUID

import pytest
from aioresponses import aioresponses

from generator.csdl import load_metadata
from generator.emit import EmitOptions, emit
from generator.merge import resolve
from generator.model import Model
from generator.naming import assign_names
from generator.specmodel import SpecOperation

from .conftest import FIXTURES

BASE = "https://dir.test/v1"


@pytest.fixture(scope="module")
def model() -> Model:
    return assign_names(load_metadata(str(FIXTURES / "altkeys.xml")))


def _package(model: Model, out: Path, name: str, key_as_segment: bool) -> ModuleType:
    emit(model, EmitOptions(package=name, client_class="DirClient", qualified_operations=False,
                            key_as_segment=key_as_segment), out)
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(out))


@pytest.fixture(scope="module")
def segments(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    yield _package(model, tmp_path_factory.mktemp("altkeys_seg"), "altkeys_seg", True)


@pytest.fixture(scope="module")
def parens(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    yield _package(model, tmp_path_factory.mktemp("altkeys_par"), "altkeys_par", False)


def test_the_model_keeps_the_keys_that_name_properties_with_identifier_aliases(model: Model) -> None:
    role = model.structured_by_name()["Test.Dir.role"]
    assert [(k.py_name, k.parts, k.keywords) for k in role.alternate_keys] == [
        ("by_role_template_id_2", (("roleTemplateId", "roleTemplateId"),), ("role_template_id",)),
        ("by_tenant_and_rank", (("tenant", "tenant"), ("rank", "rank")), ("tenant", "rank")),
    ]
    # Declared on the base type only: the derived type's builder inherits the methods.
    assert model.structured_by_name()["Test.Dir.adminRole"].alternate_keys == ()


def test_a_key_as_segment_service_gets_one_named_segment(segments: ModuleType) -> None:
    client = segments.DirClient(BASE)
    role = client.directory_roles.by_role_template_id_2("62e9 0394/x")
    assert role.url == "directoryRoles/roleTemplateId=62e9%200394%2Fx"
    assert role.members.url == "directoryRoles/roleTemplateId=62e9%200394%2Fx/members"
    assert client.admin_roles.by_role_template_id_2("r1").url == "adminRoles/roleTemplateId=r1"
    two = client.directory_roles.by_tenant_and_rank(UUID("00000000-0000-0000-0000-000000000001"), 3)
    assert two.url == "directoryRoles(tenant=00000000-0000-0000-0000-000000000001,rank=3)"
    with pytest.raises(ValueError, match="alternate key 'roleTemplateId': an empty value"):
        client.directory_roles.by_role_template_id_2("")
    with pytest.raises(TypeError, match="the alternate key part 'rank' needs a value, not None"):
        client.directory_roles.by_tenant_and_rank(UUID(int=1), None)


async def test_other_services_get_the_parenthesised_form_on_the_wire(parens: ModuleType) -> None:
    async with parens.DirClient(BASE) as client:
        role = client.directory_roles.by_role_template_id_2("it's")
        assert role.url == "directoryRoles(roleTemplateId='it''s')"
        with aioresponses() as m:
            m.get(f"{BASE}/directoryRoles(roleTemplateId='it''s')", payload={"id": "r9", "roleTemplateId": "it's"})
            m.delete(f"{BASE}/directoryRoles(roleTemplateId='it''s')", status=204)
            got = await role.get()
            await role.delete()
            sent = [(method, str(url)) for (method, url) in m.requests]
    assert isinstance(got, parens.Role) and got.id == "r9"
    assert sent == [("GET", f"{BASE}/directoryRoles(roleTemplateId='it''s')"),
                    ("DELETE", f"{BASE}/directoryRoles(roleTemplateId='it''s')")]


def test_the_hostile_alias_reaches_no_generated_source(segments: ModuleType) -> None:
    source = Path(segments.__file__).parent.joinpath("requests.py").read_text(encoding="utf-8")
    assert "import os" not in source and "missing" not in source
    builder = importlib.import_module("altkeys_seg.requests").RoleCollectionRequest
    assert sorted(n for n in vars(builder) if n.startswith("by_")) == [
        "by_role_template_id", "by_role_template_id_2", "by_tenant_and_rank",
    ]


def test_inspect_prints_the_alternate_key_call(model: Model) -> None:
    op = _line("/directoryRoles/roleTemplateId={roleTemplateId}/members")
    assert resolve(model, op).call == "client.directory_roles.by_role_template_id_2(role_template_id).members.get()"
    plain = _line("/directoryRoles/{id}")
    assert resolve(model, plain).call == "client.directory_roles[id].get()"


def test_a_navigation_of_one_derived_type_is_reached_through_its_cast(model: Model) -> None:
    # The page leaves the cast out; the metadata serves the navigation only after it.
    res = resolve(model, _line("/directoryRoles/{id}/scopes"))
    assert res.call == "client.directory_roles[id].cast(AdminRole).scopes.get()"
    assert [(s.kind, s.implied) for s in res.steps] == [("root", False), ("key", False), ("cast", True),
                                                        ("nav", False)]
    # Two derived types declare `owners`: which cast the page means is not said, so nothing is served
    # (and no action is made up from a POST on it).
    owners = resolve(model, _line("/directoryRoles/{id}/owners"))
    assert owners.call is None
    assert owners.reason == ("'owners': a navigation of the derived types Test.Dir.adminRole, Test.Dir.guestRole; "
                             "the page leaves out which cast")


def test_an_operation_bound_to_one_derived_type_is_called_through_its_cast(model: Model) -> None:
    grant = resolve(model, _line("/directoryRoles/{id}/grant", "POST"))
    assert grant.call == "client.directory_roles[id].cast(AdminRole).grant()"
    assert [s.kind for s in grant.steps if s.implied] == ["cast"]
    revoke = resolve(model, _line("/directoryRoles/{id}/revoke", "POST"))
    assert revoke.call is None
    assert revoke.reason == ("'revoke': an operation bound to the derived types Test.Dir.adminRole, "
                             "Test.Dir.guestRole; the page leaves out which cast")


async def test_the_cast_is_sent(segments: ModuleType) -> None:
    async with segments.DirClient(BASE) as client:
        with aioresponses() as m:
            m.get(f"{BASE}/directoryRoles/r1/Test.Dir.adminRole/scopes", payload={"value": [{"id": "s1"}]})
            got = await client.directory_roles["r1"].cast(segments.AdminRole).scopes.get()
    assert [r.id for r in got] == ["s1"]


def _line(path: str, method: str = "GET") -> SpecOperation:
    return SpecOperation("page.md", 3, "dir.test", "v1", method, "https://dir.test", "/v1", path)

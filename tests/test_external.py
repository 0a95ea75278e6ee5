"""Real documents no one here wrote: each generates a package that imports and type-checks."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.csdl import parse_metadata
from generator.emit import EmitOptions, emit
from generator.errors import MetadataError
from generator.naming import assign_names

from .conftest import ROOT, SHARED, generate

DOCUMENTS = {
    "ext_trippin": "odata-reference-services/TripPin-Microsoft.OData.SampleService.xml",
    "ext_trippin_restier": "odata-reference-services/TripPinRESTier-Trippin.xml",
    "ext_northwind": "odata-reference-services/Northwind-V4.xml",
    "ext_cap_library": "odata-reference-services/CAP-Library-Service.xml",
    "ext_csdl_16_1": "odata-csdl-schemas/examples/csdl-16.1.xml",
    "ext_csdl_16_2": "odata-csdl-schemas/examples/csdl-16.2.xml",
    "ext_miscellaneous": "odata-csdl-schemas/examples/miscellaneous.xml",
    "ext_outlook_2015_10": "outlookservices-vipr/Exchange-OutlookServices-2015-10.edmx.xml",
    "ext_outlook_2015_04": "outlookservices-vipr/Exchange-OutlookServices-sample-2015-04.edmx.xml",
}
EXTERNAL = SHARED / "external"


@pytest.fixture(scope="module")
def external_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not EXTERNAL.exists():
        pytest.skip(f"{EXTERNAL} is absent: the ../shared data is not checked out next to the project")
    out = tmp_path_factory.mktemp("external")
    for package, rel in DOCUMENTS.items():
        generate(EXTERNAL / rel, package, out)
    # The OASIS special-characters example keys on a property it does not declare (see the
    # test below); with the key repaired it still exercises non-ASCII identifiers.
    data = (EXTERNAL / "odata-csdl-schemas/examples/special-characters.xml").read_bytes()
    fixed = data.replace(b'<PropertyRef Name="id" />', "<PropertyRef Name=\"id_Pc_‿⁀⁔︳︴﹍﹎﹏＿\" />".encode())
    model = assign_names(parse_metadata(fixed, "special-characters.xml (key repaired)"))
    emit(model, EmitOptions(package="ext_special_characters"), out)
    return out


def test_every_external_document_generates_and_imports(external_packages: Path) -> None:
    sys.path.insert(0, str(external_packages))
    try:
        for package in [*DOCUMENTS, "ext_special_characters"]:
            pkg = importlib.import_module(package)
            names = list(pkg.__all__)
            assert names, package
            for name in names:
                assert getattr(pkg, name) is not None  # every lazy export resolves
    finally:
        sys.path.remove(str(external_packages))


def test_every_external_package_passes_mypy_strict(external_packages: Path) -> None:
    packages = [arg for name in [*DOCUMENTS, "ext_special_characters"] for arg in ("-p", name)]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *packages],
        cwd=external_packages,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_external_packages_pass_ruff(external_packages: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--line-length", "120", "--no-cache", "."],
        cwd=external_packages,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_trippin_structures_polymorphic_plan_items(external_packages: Path) -> None:
    sys.path.insert(0, str(external_packages))
    try:
        pkg = importlib.import_module("ext_trippin")
        conv = pkg.DefaultContainerClient("https://services.test/TripPinRESTierService").converter
        data = {
            "value": [
                {"@odata.type": "#Microsoft.OData.SampleService.Models.TripPin.Flight", "PlanItemId": 1,
                 "FlightNumber": "VA1930", "StartsAt": "2014-01-01T06:15:00-08:00", "Duration": "PT6H"},
                {"@odata.type": "#Microsoft.OData.SampleService.Models.TripPin.Event", "PlanItemId": 2,
                 "Description": "Dinner", "OccursAt": {"Address": "1 Main", "BuildingInfo": "B"}},
            ]
        }
        items = [conv.structure(v, pkg.PlanItem) for v in data["value"]]
        assert [type(i).__name__ for i in items] == ["Flight", "Event"]
        assert items[0].duration.total_seconds() == 6 * 3600
        assert items[0].starts_at.utcoffset().total_seconds() == -8 * 3600
        assert [conv.unstructure(i) for i in items] == data["value"]
    finally:
        sys.path.remove(str(external_packages))


def test_special_characters_example_has_a_key_that_does_not_exist() -> None:
    path = EXTERNAL / "odata-csdl-schemas/examples/special-characters.xml"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    with pytest.raises(MetadataError) as info:
        generate(path, "never_written", Path("/nonexistent-never-written"))
    assert ":12: <PropertyRef>" in str(info.value)
    assert "id" in str(info.value)

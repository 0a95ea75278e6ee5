"""Pruning: names, globs and URL paths, the closure's reasons, --explain, the summary, --exclude."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from generator.csdl import parse_metadata
from generator.model import Model
from generator.prune import EDM, PatternError, PruneResult, closure, explain, prune_document, summary_lines

from .conftest import ROOT, shared_file
from .conftest import run_cli as run

# A small calendar service with every shape the closure cares about: base types, derived
# entity and complex types, a derived type declaring a navigation, a navigation to an
# abstract base (ItemAttachment/item), type definitions, enums, bound operations, an alias.
CSDL = b"""<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="Cal" Alias="c" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <TypeDefinition Name="Stamp" UnderlyingType="Edm.DateTimeOffset"/>
      <EnumType Name="Color"><Member Name="blue"/><Member Name="red"/></EnumType>
      <EnumType Name="Importance"><Member Name="low"/><Member Name="high"/></EnumType>
      <EntityType Name="Entity" Abstract="true">
        <Key><PropertyRef Name="id"/></Key>
        <Property Name="id" Type="Edm.String" Nullable="false"/>
      </EntityType>
      <ComplexType Name="Address"><Property Name="street" Type="Edm.String"/></ComplexType>
      <ComplexType Name="GeoAddress" BaseType="c.Address"><Property Name="lat" Type="Edm.Double"/></ComplexType>
      <ComplexType Name="Room"><Property Name="name" Type="Edm.String"/></ComplexType>
      <ComplexType Name="EmailAddress"><Property Name="address" Type="Edm.String"/></ComplexType>
      <ComplexType Name="Recipient"><Property Name="emailAddress" Type="c.EmailAddress"/></ComplexType>
      <EntityType Name="Person" BaseType="c.Entity">
        <Property Name="name" Type="Edm.String"/>
        <Property Name="address" Type="c.Address"/>
        <NavigationProperty Name="events" Type="Collection(c.Event)" ContainsTarget="true"/>
        <NavigationProperty Name="calendar" Type="c.Calendar" ContainsTarget="true"/>
        <NavigationProperty Name="photo" Type="c.Photo" ContainsTarget="true"/>
        <NavigationProperty Name="drive" Type="c.Drive"/>
      </EntityType>
      <EntityType Name="Manager" BaseType="c.Person">
        <NavigationProperty Name="reports" Type="Collection(c.Person)"/>
      </EntityType>
      <EntityType Name="Item" BaseType="c.Entity" Abstract="true">
        <Property Name="changeKey" Type="Edm.String"/>
      </EntityType>
      <EntityType Name="Event" BaseType="c.Item">
        <Property Name="subject" Type="Edm.String"/>
        <Property Name="start" Type="c.Stamp"/>
        <Property Name="importance" Type="c.Importance"/>
        <Property Name="organizer" Type="c.Recipient"/>
        <NavigationProperty Name="attachments" Type="Collection(c.Attachment)" ContainsTarget="true"/>
        <NavigationProperty Name="calendar" Type="c.Calendar"/>
      </EntityType>
      <EntityType Name="Note" BaseType="c.Item">
        <NavigationProperty Name="photo" Type="c.Photo" ContainsTarget="true"/>
      </EntityType>
      <EntityType Name="Attachment" BaseType="c.Entity"><Property Name="name" Type="Edm.String"/></EntityType>
      <EntityType Name="FileAttachment" BaseType="c.Attachment">
        <Property Name="contentBytes" Type="Edm.Binary"/>
      </EntityType>
      <EntityType Name="ItemAttachment" BaseType="c.Attachment">
        <NavigationProperty Name="item" Type="c.Item" ContainsTarget="true"/>
      </EntityType>
      <EntityType Name="Calendar" BaseType="c.Entity">
        <Property Name="color" Type="c.Color"/>
        <NavigationProperty Name="events" Type="Collection(c.Event)" ContainsTarget="true"/>
      </EntityType>
      <EntityType Name="Photo" BaseType="c.Entity"><Property Name="width" Type="Edm.Int32"/></EntityType>
      <EntityType Name="Drive" BaseType="c.Entity"><Property Name="quota" Type="Edm.Int64"/></EntityType>
      <Action Name="accept" IsBound="true">
        <Parameter Name="bindingParameter" Type="c.Event"/>
        <Parameter Name="comment" Type="Edm.String"/>
      </Action>
      <Function Name="delta" IsBound="true">
        <Parameter Name="bindingParameter" Type="Collection(c.Event)"/>
        <ReturnType Type="Collection(c.Event)"/>
      </Function>
      <Function Name="findRooms" IsBound="true">
        <Parameter Name="bindingParameter" Type="c.Person"/>
        <ReturnType Type="Collection(c.Room)"/>
      </Function>
      <Action Name="share" IsBound="true">
        <Parameter Name="bindingParameter" Type="c.Calendar"/>
        <Parameter Name="recipients" Type="Collection(c.Recipient)"/>
      </Action>
      <Function Name="recent" IsBound="true">
        <Parameter Name="bindingParameter" Type="c.Drive"/>
        <ReturnType Type="Collection(c.Drive)"/>
      </Function>
      <EntityContainer Name="Service">
        <EntitySet Name="people" EntityType="c.Person">
          <NavigationPropertyBinding Path="drive" Target="drives"/>
        </EntitySet>
        <Singleton Name="me" Type="c.Person">
          <NavigationPropertyBinding Path="drive" Target="drives"/>
        </Singleton>
        <EntitySet Name="drives" EntityType="c.Drive"/>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
"""

ALL_TYPES = 20  # 17 structured, 2 enums, 1 type definition


@pytest.fixture(scope="module")
def model() -> Model:
    return parse_metadata(CSDL, "cal.xml")


@pytest.fixture
def cal_file(tmp_path: Path) -> Path:
    path = tmp_path / "cal.xml"
    path.write_bytes(CSDL)
    return path


def cal(*names: str) -> set[str]:
    return {f"Cal.{n}" for n in names}


# ---------------------------------------------------------------- URL paths on the small service


def test_deep_path_follows_navigations_type_casts_and_polymorphic_targets(model: Model) -> None:
    result = closure(model, ["/me/events/**"])
    assert set(result.kept) == cal(
        "Person", "Entity", "Address", "GeoAddress", "Manager", "Room",  # the singleton's type and its closure
        "Event", "Item", "Stamp", "Importance", "Recipient", "EmailAddress",  # the path's target and its closure
        "Attachment", "FileAttachment", "ItemAttachment", "Calendar", "Color",  # reached by navigations
        "Note", "Photo",  # ItemAttachment/item may hold any Item: Note, whose photo is reachable too
    )
    assert "Cal.Drive" not in result.kept  # Person/drive is not under /me/events
    assert result.operations == {
        "Cal.accept(Cal.Event)", "Cal.delta(Collection(Cal.Event))", "Cal.findRooms(Cal.Person)",
        "Cal.share(Cal.Calendar)",
    }
    assert {n: r.kind for n, r in result.kept.items() if r.kind in ("path", "navigation")} == {
        "Cal.Person": "path", "Cal.Event": "navigation", "Cal.Attachment": "navigation",
        "Cal.Calendar": "navigation", "Cal.Photo": "navigation",
    }
    assert summary_lines(result) == [
        "pruned to 19 of 20 types and 4 of 5 bound operations: 1 on URL paths, 4 navigation targets of paths, "
        "2 base types, 6 property types, 5 derived types, 1 operation parameter/return types"
    ]


def test_explain_chains_lead_back_to_the_path(model: Model) -> None:
    result = closure(model, ["/me/events/**"])
    assert explain(model, result, "Cal.EmailAddress") == [
        "Cal.EmailAddress",
        "  type of Cal.Recipient/emailAddress",
        "  type of Cal.Event/organizer",
        "  target of Cal.Person/events (path /me/events/**)",
    ]
    # Item is kept as Event's base; Note comes from Item being a navigation target, and the
    # chain says that rather than "base of Cal.Event".
    assert explain(model, result, "Cal.Photo") == [
        "Cal.Photo",
        "  target of Cal.Note/photo (path /me/events/**)",
        "  derived from Cal.Item",
        "  target of Cal.ItemAttachment/item (path /me/events/**)",
        "  derived from Cal.Attachment",
        "  target of Cal.Event/attachments (path /me/events/**)",
        "  target of Cal.Person/events (path /me/events/**)",
    ]
    assert explain(model, result, "Cal.Person") == ["Cal.Person", "  entity type of singleton me (path /me/events/**)"]
    assert explain(model, result, "Cal.Room") == [
        "Cal.Room", "  returned by Cal.findRooms bound to Cal.Person", "  entity type of singleton me (path /me/events/**)",
    ]
    assert explain(model, result, "Cal.Drive") == [
        "Cal.Drive",
        "  not kept: target of Cal.Person/drive, which is not followed",
        "  navigations are followed only where an --include URL path names them or ends with * or **",
    ]
    assert explain(model, result, "Cal.Evnt") == ["Cal.Evnt", "  not a type of this document (did you mean: Cal.Event, Cal.Entity, Cal.Note?)"]


def test_single_star_takes_direct_navigation_targets_only(model: Model) -> None:
    result = closure(model, ["/people/{id}/calendar/*"])
    assert result.kept["Cal.Calendar"].text == "target of Cal.Person/calendar (path /people/{id}/calendar/*)"
    assert result.kept["Cal.Event"].text == "target of Cal.Calendar/events (path /people/{id}/calendar/*)"
    # Event's own navigations are not followed.
    assert not cal("Attachment", "Photo", "Note") & set(result.kept)
    assert explain(model, result, "Cal.Attachment")[1] == "  not kept: target of Cal.Event/attachments, which is not followed"


def test_path_without_wildcard_keeps_the_path_only(model: Model) -> None:
    result = closure(model, ["/me/events"])
    assert cal("Person", "Event", "Item") <= set(result.kept)
    assert not cal("Attachment", "Calendar", "Photo", "Drive") & set(result.kept)


def test_name_include_does_not_follow_navigations(model: Model) -> None:
    result = closure(model, ["Cal.Event"])
    assert set(result.kept) == cal("Event", "Item", "Entity", "Stamp", "Importance", "Recipient", "EmailAddress")
    assert result.kept["Cal.Event"].text == "--include Cal.Event"
    assert summary_lines(result) == [
        "pruned to 7 of 20 types and 2 of 5 bound operations: 1 included by name, 2 base types, 4 property types"
    ]


def test_path_segments_keys_casts_aliases_and_derived_declarations(model: Model) -> None:
    result = closure(model, ["/me/events('x')/attachments/{id}/c.ItemAttachment/item"])
    assert result.kept["Cal.ItemAttachment"].text == (
        "type cast from Cal.Attachment (path /me/events('x')/attachments/{id}/c.ItemAttachment/item)")
    # Every type on the path is kept before any closure: Item is the path's last target, not Event's base.
    assert result.kept["Cal.Item"].text == (
        "target of Cal.ItemAttachment/item (path /me/events('x')/attachments/{id}/c.ItemAttachment/item)")
    # reports is declared by Manager, derived from Person: Manager comes in as a path type.
    result = closure(model, ["/people/{id}/reports"])
    assert result.kept["Cal.Manager"].text == "derived from Cal.Person, declares reports (path /people/{id}/reports)"
    # A bound operation may end a path; it is kept with its binding type.
    result = closure(model, ["/me/calendar/share"])
    assert "Cal.share(Cal.Calendar)" in result.operations


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("/me/evnts/**", "--include /me/evnts/**: 'evnts' is not a navigation property of Cal.Person "
                         "(did you mean: events?)"),
        ("/peple", "--include /peple: 'peple' is not an entity set or singleton of Service (did you mean: people?)"),
        ("/me/events/e1", "--include /me/events/e1: 'e1' is not a navigation property of Cal.Event "
                          "(a key goes in braces: {id})"),
        ("/me/**/events", "--include /me/**/events: a wildcard (* or **) may only be the last segment"),
        ("/me/Cal.Drive", "--include /me/Cal.Drive: 'Cal.Drive' is not a type derived from Cal.Person"),
        ("/me/events/{id}/subject", "--include /me/events/{id}/subject: 'subject' is a property of Cal.Event "
                                    "of type Edm.String, not a navigation"),
        ("/me/calendar/share/*", "--include /me/calendar/share/*: 'share' is an operation bound to Cal.Calendar: "
                                 "a path ends there"),
        ("/", "--include /: a URL path starts with an entity set or singleton"),
    ],
)
def test_unknown_segments_are_named_with_close_matches(model: Model, pattern: str, message: str) -> None:
    with pytest.raises(PatternError) as caught:
        closure(model, [pattern])
    assert str(caught.value) == message


# ---------------------------------------------------------------- --exclude


def test_excluded_path_cuts_its_navigation_unless_something_else_needs_the_target(model: Model) -> None:
    result = closure(model, ["/me/events/**"], ["/me/events/{id}/attachments"])
    assert not cal("Attachment", "FileAttachment", "ItemAttachment", "Note", "Photo") & set(result.kept)
    assert "Cal.Calendar" in result.kept
    assert explain(model, result, "Cal.Attachment") == [
        "Cal.Attachment", "  not kept: target of Cal.Event/attachments, which --exclude /me/events/{id}/attachments cuts",
    ]
    assert summary_lines(result)[1:] == [
        "  --exclude /me/events/{id}/attachments: cuts 1 navigation (Cal.Event/attachments); "
        "not reached: 1 type (Cal.Attachment)",
    ]
    # The cut is by navigation: Person/calendar is not cut by cutting Event/calendar ...
    result = closure(model, ["/me/**"], ["/me/events/{id}/calendar"])
    assert "Cal.Calendar" in result.kept
    assert summary_lines(result)[1] == (
        "  --exclude /me/events/{id}/calendar: cuts 1 navigation (Cal.Event/calendar); "
        "every target was reached another way")
    # ... and a cut that the walk never meets has no effect.
    result = closure(model, ["/me/events"], ["/me/drive"])
    assert summary_lines(result)[1] == "  --exclude /me/drive: no effect"


def test_excluded_star_path_cuts_every_navigation_of_its_type(model: Model) -> None:
    result = closure(model, ["/me/**"], ["/me/*"])
    assert set(result.kept) == cal("Person", "Entity", "Address", "GeoAddress", "Manager", "Room")
    # Manager/reports is not a navigation of Person, so the walk follows it (back to Person).
    assert result.cuts == {"/me/*": ("Cal.Person/events", "Cal.Person/calendar", "Cal.Person/photo", "Cal.Person/drive")}


def test_excluded_glob_and_set(model: Model, cal_file: Path, tmp_path: Path) -> None:
    result = closure(model, ["/me/events/**"], ["Cal.Note", "Cal.Nothing*", "/people"])
    assert "Cal.Note" not in result.kept and "Cal.Photo" not in result.kept
    assert explain(model, result, "Cal.Note") == [
        "Cal.Note",
        "  not kept: excluded by --exclude Cal.Note; wanted as",
        "  derived from Cal.Item",
        "  target of Cal.ItemAttachment/item (path /me/events/**)",
        "  derived from Cal.Attachment",
        "  target of Cal.Event/attachments (path /me/events/**)",
        "  target of Cal.Person/events (path /me/events/**)",
    ]
    assert summary_lines(result)[1:] == [
        "  --exclude Cal.Note: left out 1 type (Cal.Note)",
        "  --exclude Cal.Nothing*: nothing it matches was needed",
        "  --exclude /people: people left out of the container",
    ]
    pruned, _ = prune_document("cal.xml", CSDL, model, ["/me/events/**"], ["Cal.Note", "/people"])
    assert _container_children(pruned) == ["me"]


def test_types_on_an_included_path_win_over_exclude(model: Model) -> None:
    result = closure(model, ["/me/events"], ["Cal.Event", "Cal.Attach*"])
    assert "Cal.Event" in result.kept
    assert result.kept["Cal.Event"].text == "target of Cal.Person/events (path /me/events)"


# ---------------------------------------------------------------- the pruned document


def _container_children(document: bytes) -> list[str]:
    root = etree.fromstring(document)
    return [c.get("Name", "") for c in root.iter(f"{{{EDM}}}EntityContainer") for c in c]


def test_pruned_document_keeps_the_path_singleton_and_drops_the_rest(model: Model) -> None:
    pruned, result = prune_document("cal.xml", CSDL, model, ["/me/events/**"])
    assert isinstance(result, PruneResult)
    # people has the same type as me, so it stays; drives' type is gone.
    assert _container_children(pruned) == ["people", "me"]
    back = parse_metadata(pruned, "pruned.xml")
    person = back.structured_by_name()["Cal.Person"]
    assert [n.name for n in person.navigation] == ["events", "calendar", "photo"]  # drive's target is gone
    assert {t.qualified for t in back.structured} | {e.qualified for e in back.enums} | {
        t.qualified for t in back.type_definitions} == set(result.kept)
    assert b"NavigationPropertyBinding" not in pruned  # the binding to drives went with it


# ---------------------------------------------------------------- the command line


def test_cli_prune_prints_the_summary_on_stderr(cal_file: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "small.xml"
    code, out, err = run(capsys, "prune", "--metadata", str(cal_file), "--include", "/me/events/**",
                         "--exclude", "/me/events/{id}/calendar", "--include", "Cal.Nope", "--out", str(out_file))
    assert code == 0, err
    assert err.splitlines() == [
        "pruned to 17 of 20 types and 3 of 5 bound operations: 1 on URL paths, 3 navigation targets of paths, "
        "2 base types, 5 property types, 5 derived types, 1 operation parameter/return types",
        "  --exclude /me/events/{id}/calendar: cuts 1 navigation (Cal.Event/calendar); "
        "not reached: 1 type (Cal.Calendar)",
        "  warning: --include Cal.Nope matches no type",
    ]
    assert out.startswith(f"{out_file}: 17 types, 3 bound operations, ")
    assert parse_metadata(out_file.read_bytes(), "small.xml").structured_by_name().keys() >= cal("Person", "Note")


def test_cli_prune_to_stdout_and_quiet(cal_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "prune", "--metadata", str(cal_file), "--include", "Cal.Drive", "--quiet")
    assert code == 0 and err == ""
    assert out.startswith("<?xml") and 'EntitySet Name="drives"' in out and "Cal.Person" not in out


def test_cli_explain_writes_nothing(cal_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "small.xml"
    code, out, _ = run(capsys, "prune", "--metadata", str(cal_file), "--include", "/me/events/**",
                       "--explain", "Cal.EmailAddress", "--explain", "Cal.Drive", "--out", str(out_file))
    assert code == 0
    assert out.splitlines() == [
        "Cal.EmailAddress",
        "  type of Cal.Recipient/emailAddress",
        "  type of Cal.Event/organizer",
        "  target of Cal.Person/events (path /me/events/**)",
        "Cal.Drive",
        "  not kept: target of Cal.Person/drive, which is not followed",
        "  navigations are followed only where an --include URL path names them or ends with * or **",
    ]
    assert not out_file.exists()


def test_cli_bad_path_is_one_line_exit_2(cal_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "generate", "--metadata", str(cal_file), "--include", "/me/evnts/**",
                         "--package", "cal", "--out", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == ("error: --include /me/evnts/**: 'evnts' is not a navigation property of Cal.Person "
                   "(did you mean: events?)\n")
    assert not (tmp_path / "cal").exists()


def test_cli_generate_explains_on_stderr_and_generates(cal_file: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "generate", "--metadata", str(cal_file), "--include", "/people/{id}/calendar/*",
                         "--explain", "Cal.Event", "--package", "cal", "--out", str(tmp_path))
    assert code == 0, err
    assert err.splitlines()[:3] == [
        "Cal.Event",
        "  target of Cal.Calendar/events (path /people/{id}/calendar/*)",
        "  target of Cal.Person/calendar (path /people/{id}/calendar/*)",
    ]
    assert err.splitlines()[3] == (
        "pruned to 14 of 20 types and 4 of 5 bound operations: 1 on URL paths, 2 navigation targets of paths, "
        "2 base types, 6 property types, 2 derived types, 1 operation parameter/return types")
    assert out.startswith("cal: 11 structured + 2 enum types, ")
    script = "import cal\nprint(hasattr(cal, 'Calendar'), hasattr(cal, 'Attachment'))\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert (done.returncode, done.stdout) == (0, "True False\n"), done.stderr


# ---------------------------------------------------------------- the real Graph document

GRAPH = ("external", "msgraph-metadata", "v1.0-cleanMetadata.xml")


@pytest.fixture(scope="module")
def graph() -> tuple[Path, Model]:
    path = shared_file(*GRAPH)
    return path, parse_metadata(path.read_bytes(), str(path))


def test_graph_me_events(graph: tuple[Path, Model]) -> None:
    path, model = graph
    result = closure(model, ["/me/events/**"])
    g = "microsoft.graph."
    kept = set(result.kept)
    assert {g + n for n in ("user", "event", "calendar", "attachment", "fileAttachment", "itemAttachment",
                            "referenceAttachment", "calendarPermission", "outlookItem", "message", "contact",
                            "emailAddress", "recipient", "dateTimeTimeZone")} <= kept
    assert not {g + n for n in ("driveItem", "drive", "team", "group", "site", "chat")} & kept
    assert result.kept[g + "user"].text == "entity type of singleton me (path /me/events/**)"
    assert result.kept[g + "calendar"].text == "target of microsoft.graph.event/calendar (path /me/events/**)"
    assert summary_lines(result) == [
        "pruned to 125 of 3,823 types and 58 of 1,141 bound operations: 1 on URL paths, 8 navigation targets of "
        "paths, 4 base types, 78 property types, 18 derived types, 16 operation parameter/return types"
    ]
    assert explain(model, result, g + "emailAddress") == [
        "microsoft.graph.emailAddress",
        "  type of microsoft.graph.recipient/emailAddress",
        "  type of microsoft.graph.event/organizer",
        "  target of microsoft.graph.user/events (path /me/events/**)",
    ]
    pruned, _ = prune_document(str(path), path.read_bytes(), model, ["/me/events/**"], result=result)
    assert "me" in _container_children(pruned)
    assert "drives" not in _container_children(pruned)


def test_graph_users_calendar(graph: tuple[Path, Model]) -> None:
    _, model = graph
    result = closure(model, ["/users/{id}/calendar/**"])
    assert len(result.kept) == 125  # a calendar's events lead where /me/events/** leads
    assert explain(model, result, "microsoft.graph.fileAttachment") == [
        "microsoft.graph.fileAttachment",
        "  derived from microsoft.graph.attachment",
        "  target of microsoft.graph.event/attachments (path /users/{id}/calendar/**)",
        "  target of microsoft.graph.calendar/calendarView (path /users/{id}/calendar/**)",
        "  target of microsoft.graph.user/calendar (path /users/{id}/calendar/**)",
    ]
    with pytest.raises(PatternError) as caught:
        closure(model, ["/me/evnts/**"])
    assert str(caught.value) == (
        "--include /me/evnts/**: 'evnts' is not a navigation property of microsoft.graph.user (did you mean: events?)")


def test_graph_bundled_subset_is_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The Makefile's GRAPH_TYPES (name includes) must still prune to the committed schema.
    path = shared_file(*GRAPH)
    names = ["event", "calendar", "calendarGroup", "attachment", "user", "group", "reminder", "profilePhoto"]
    argv = ["prune", "--metadata", str(path), "--out", str(tmp_path / "g.xml"),
            "--exclude", "microsoft.graph.security.*", "--exclude", "microsoft.graph.callRecords.*"]
    for n in names:
        argv += ["--include", f"microsoft.graph.{n}"]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    assert (tmp_path / "g.xml").read_bytes() == (ROOT / "schemas" / "graph_v1.xml").read_bytes()


def test_graph_name_include_and_explain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_file(*GRAPH)
    code, out, _ = run(capsys, "prune", "--metadata", str(path), "--include", "microsoft.graph.event",
                       "--explain", "microsoft.graph.fileAttachment", "--explain", "microsoft.graph.outlookItem",
                       "--explain", "microsoft.graph.dateTimeTimeZone", "--explain", "microsoft.graph.user")
    assert code == 0
    assert out.splitlines() == [
        "microsoft.graph.fileAttachment",
        "  not kept: not reachable from the includes",
        "microsoft.graph.outlookItem",
        "  base of microsoft.graph.event",
        "  --include microsoft.graph.event",
        "microsoft.graph.dateTimeTimeZone",
        "  type of microsoft.graph.event/end",
        "  --include microsoft.graph.event",
        "microsoft.graph.user",
        "  not kept: not reachable from the includes",
    ]


def test_graph_generate_me_events_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_file(*GRAPH)
    code, out, err = run(capsys, "generate", "--metadata", str(path), "--include", "/me/events/**",
                         "--package", "me_events", "--out", str(tmp_path), "--key-as-segment",
                         "--explain", "microsoft.graph.emailAddress")
    assert code == 0, err
    assert err.splitlines()[:5] == [
        "microsoft.graph.emailAddress",
        "  type of microsoft.graph.recipient/emailAddress",
        "  type of microsoft.graph.event/organizer",
        "  target of microsoft.graph.user/events (path /me/events/**)",
        "pruned to 125 of 3,823 types and 58 of 1,141 bound operations: 1 on URL paths, 8 navigation targets of "
        "paths, 4 base types, 78 property types, 18 derived types, 16 operation parameter/return types",
    ]
    assert out.startswith("me_events: 92 structured + 33 enum types, ")
    script = (
        "import me_events as m\n"
        "for name in m.__all__: getattr(m, name)\n"
        "from me_events import Event, FileAttachment, GraphClient\n"
        "print(len(m.__all__))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 100

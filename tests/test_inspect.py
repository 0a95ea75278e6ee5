"""`odatakit inspect`: which generated call serves each operation of the spec pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT, SHARED
from .conftest import run_cli as run

SCHEMAS = ROOT / "schemas"
SEEDS = SHARED / "seeds"
OUTLOOK = ("--metadata", str(SCHEMAS / "outlook_v2.xml"))
GRAPH = ("--metadata", str(SCHEMAS / "graph_v1.xml"))


def test_bundled_spec_tables_are_fully_served(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "inspect", *OUTLOOK, "--spec", str(SCHEMAS / "outlook_v2.spec.md"), "--require-full")
    assert code == 0 and out.splitlines()[-1] == "42 of 42 spec operations served"
    assert "POST /me/events/{event_id}/accept" in out
    assert "client.me.events[event_id].accept(comment=..., send_response=...)" in out
    code, out, _ = run(capsys, "inspect", *GRAPH, "--spec", str(SCHEMAS / "graph_v1.spec.md"), "--require-full")
    assert code == 0 and out.splitlines()[-1] == "20 of 20 spec operations served"
    assert ("client.users[user_id].calendar_groups[calendar_group_id].calendars[calendar_id].events"
            ".prefer(timezone=...).create(...)") in out


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"{SEEDS} is absent (the shared seed pages)")
@pytest.mark.parametrize(
    ("page", "version", "metadata", "count"),
    [
        ("000_4f943cbb13d26cd2.txt", "v2.0", OUTLOOK, 39),
        ("003_07f9522caa828b14.txt", "v2.0", OUTLOOK, 39),
        ("001_f9e9bf820bf01100.txt", "v1.0", GRAPH, 6),
        ("002_a70b48ea29734876.txt", "beta", GRAPH, 7),
    ],
)
def test_reference_pages_are_fully_served(
    capsys: pytest.CaptureFixture[str], page: str, version: str, metadata: tuple[str, str], count: int
) -> None:
    code, out, _ = run(capsys, "inspect", *metadata, "--spec", str(SEEDS / page), "--api-version", version,
                       "--require-full", "--quiet")
    assert out.splitlines()[-1] == f"{count} of {count} spec operations served", out
    assert code == 0
    if page.startswith("000"):
        # The sync lines' {user_context} is served by the singleton that fits the rest of the path.
        assert ("client.me.calendar_view(start_date_time=..., end_date_time=...).deltatoken(...)"
                ".prefer(maxpagesize=..., track_changes=...).get()") in out


def test_unserved_operations_fail_with_require_full(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "### Get things\n\n```no-highlight\nGET https://outlook.office.com/api/v2.0/me/things\n```\n\n"
        "### Post to an event\n\n```no-highlight\nPOST https://outlook.office.com/api/v2.0/me/events/{event_id}\n```\n\n"
        "|**Parameter**|**Type**|**Description**|\n|:-----|:-----|:-----|\n|_URL parameters_|\n"
        "|event_id|string|The event. Required.|\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "inspect", *OUTLOOK, "--spec", str(page), "--require-full", "--quiet")
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "0 of 2 spec operations served"
    assert any("GET /me/things" in line and "NOT SERVED: 'things': no navigation, cast or bound operation on an "
               "entity of type Microsoft.OutlookServices.User" in line and "page.md:" in line for line in lines)
    assert any("POST /me/events/{event_id}" in line and "NOT SERVED: POST on an entity is not generated" in line
               for line in lines)
    # Without --require-full the table is printed and the exit code is 0.
    assert run(capsys, "inspect", *OUTLOOK, "--spec", str(page), "--quiet")[0] == 0


def test_bad_pages_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("", encoding="utf-8")
    code, out, err = run(capsys, "inspect", *OUTLOOK, "--spec", str(empty))
    assert code == 2 and out == ""
    assert err == "error: empty.md: page is empty\n"
    code, _, err = run(capsys, "inspect", *OUTLOOK, "--spec", str(tmp_path / "missing.md"))
    assert code == 2 and "missing.md" in err and err.count("\n") == 1


def test_references_properties_and_replace_are_printed_as_calls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Requests\n\n## HTTP request\n\n```http\nPOST /groups/{id}/members/$ref\n"
        "DELETE /groups/{id}/members/{id}/$ref\nPATCH /me/mailboxSettings\nPUT /me/events/{id}\n```\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "inspect", *GRAPH, "--spec", str(page), "--require-full")
    assert code == 0 and out.splitlines()[-1] == "4 of 4 spec operations served", out
    for call in ("client.groups[id].members.ref.add(...)", "client.groups[id].members[id].ref.delete()",
                 "client.me.prop(User.mailbox_settings).update(...)", "client.me.events[id].replace(...)"):
        assert call in out

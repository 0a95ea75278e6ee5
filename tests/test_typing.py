"""What the type checkers see of the query DSL: mistakes they report, correct queries they accept.

Every snippet is user code against the bundled `graph_v1` package. mypy --strict and pyright
--strict each check all snippets in one process. A misuse snippet marks with `# <-` the line
the mistake is on, and says which checkers must report an error exactly there (and nowhere
else in the snippet). Every misuse but a constructor's value is refused at run time as well. A clean snippet must pass
both checkers without a single error; the reveal table pins the types checkers infer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT

GENERATED = ROOT / "generated"
PYRIGHT = Path(sys.executable).parent / "pyright"
BOTH = frozenset({"mypy", "pyright"})
NONE: frozenset[str] = frozenset()

# (name, body of `def use(client: GraphClient) -> object:`, the checkers that report it).
# The names of graph_v1 and datetime the body uses are imported for it. A comparison of the wrong
# type (`Event.subject == 5`) is Python's `bool` for a checker (`int.__eq__` takes any object), so
# it is an error where a condition is expected: these snippets pass it to filter(), as users do.
MISUSE: list[tuple[str, str, frozenset[str]]] = [
    # members misspelled below the first level, in lambdas, on derived types
    ("nested member typo", 'return client.me.events.filter(Event.start.date_tme == "x")  # <-', BOTH),
    ("deep nested member typo", 'return Event.organizer.email_address.adress == "a@b.c"  # <-', BOTH),
    ("third level member typo", 'return Event.location.address.city_name == "Oslo"  # <-', BOTH),
    ("lambda member typo (complex collection)",
     'return Event.attendees.any(lambda a: a.email_adress.address == "x")  # <-', BOTH),
    ("lambda nested member typo", 'return Event.attendees.any(lambda a: a.status.respons == "x")  # <-', BOTH),
    ("lambda member typo (entity collection)", 'return Event.attachments.any(lambda a: a.nam == "x")  # <-', BOTH),
    ("derived type member typo", 'return FileAttachment.content_byte == b"x"  # <-', BOTH),
    ("navigation target member typo", 'return Event.calendar.nme == "Work"  # <-', BOTH),
    ("any() on a complex value", 'return Event.start.any(lambda s: s == "x")  # <-', BOTH),
    ("any() on a complex member in a lambda",
     'return Event.attendees.any(lambda a: a.email_address.any(lambda e: e == "x"))  # <-', BOTH),
    # literals of the wrong type
    ("datetime against a string property",
     "return Event.start.date_time >= datetime(2024, 1, 1, tzinfo=timezone.utc)  # <-", BOTH),
    ("int against a string property", "return client.me.events.filter(Event.subject == 5)  # <-", BOTH),
    ("str against a boolean property", 'return client.me.events.filter(Event.is_all_day == "true")  # <-', BOTH),
    ("str against a number property", 'return Event.reminder_minutes_before_start > "15"  # <-', BOTH),
    ("str against a date/time property", 'return Event.created_date_time > "2024-01-01"  # <-', BOTH),
    ("bytes against a string property", 'return client.me.events.filter(Event.subject == b"Weekly")  # <-', BOTH),
    ("bytes to startswith", 'return Event.subject.startswith(b"All")  # <-', BOTH),
    ("int in a string in_()", "return Event.subject.in_([1, 2])  # <-", BOTH),
    ("str against a number in a lambda", 'return Event.attachments.any(lambda a: a.size > "100")  # <-', BOTH),
    ("int to a primitive lambda variable", "return Event.categories.any(lambda c: c.startswith(5))  # <-", BOTH),
    ("str against a nested date/time", 'return Event.attendees.any(lambda a: a.status.time > "2024")  # <-', BOTH),
    # enums
    ("member of another enum", "return client.me.events.filter(Event.importance == Sensitivity.PRIVATE)  # <-", BOTH),
    ("member of another enum in in_()", "return Event.show_as.in_([Importance.HIGH])  # <-", BOTH),
    ("member of another enum in a filter",
     "return client.me.events.filter(Event.sensitivity == Importance.LOW)  # <-", BOTH),
    # methods on the wrong type
    ("string method on a boolean", 'return Event.is_all_day.startswith("t")  # <-', BOTH),
    ("string method on a number", 'return Event.reminder_minutes_before_start.contains("1")  # <-', BOTH),
    ("string method on a date/time", 'return Event.created_date_time.startswith("2024")  # <-', BOTH),
    ("arithmetic with a string expression", "return Event.created_date_time - Event.subject  # <-", BOTH),
    # query options
    ("top() given a string", 'return client.me.events.top("5")  # <-', BOTH),
    ("filter() given a non-Boolean expression", "return client.me.events.filter(Event.subject)  # <-", BOTH),
    ("order_by() given the method, not the key", "return client.me.events.order_by(Event.subject.desc)  # <-", BOTH),
    ("filter() option on a to-one navigation",
     'return client.me.events.expand(Event.calendar.filter(Calendar.name == "Work"))  # <-', BOTH),
    ("top() option on a to-one navigation", "return client.me.events.expand(Event.calendar.top(5))  # <-", BOTH),
    ("order_by() option on a to-one navigation",
     "return client.me.events.expand(Event.calendar.order_by(Calendar.name))  # <-", BOTH),
    ("nested top() given a string", 'return client.me.events.expand(Event.attachments.top("3"))  # <-', BOTH),
    ("misspelled constructor keyword", 'return Event(subjct="Standup")  # <-', BOTH),
    ("constructor value of the wrong type", "return Event(subject=5)  # <-", BOTH),
    # fields, navigations and conditions of another entity
    ("filter on another entity's field", 'return client.me.events.filter(User.display_name == "x")  # <-', BOTH),
    ("select another entity's field", "return client.me.events.select(User.display_name)  # <-", BOTH),
    ("order_by another entity's field", "return client.me.events.order_by(Calendar.name)  # <-", BOTH),
    ("order_by another entity's key", "return client.me.events.order_by(User.display_name.desc())  # <-", BOTH),
    ("expand another entity's navigation", "return client.me.events.expand(User.calendar)  # <-", BOTH),
    ("expand the target's navigation at the top", "return client.me.events.expand(Calendar.events)  # <-", BOTH),
    ("condition combining two entities",
     'return client.me.events.filter((Event.subject == "x") & (User.display_name == "y"))  # <-', BOTH),
    ("another entity inside a lambda",
     'return client.me.events.filter(Event.attendees.any(lambda a: User.display_name == "x"))  # <-', BOTH),
    ("nested member of another entity", 'return client.me.events.filter(User.employee_org_data.division == "x")  # <-',
     BOTH),
    ("select on a single entity across entities", "return client.me.calendar.select(Event.subject)  # <-", BOTH),
    ("select inside an expand across entities",
     "return client.me.events.expand(Event.attachments.select(Event.subject))  # <-", BOTH),
    ("filter inside an expand across entities",
     'return client.me.events.expand(Event.attachments.filter(Event.subject == "x"))  # <-', BOTH),
    ("order_by inside an expand across entities",
     "return client.me.events.expand(Event.attachments.order_by(Event.subject))  # <-", BOTH),
    ("select inside a to-one expand across entities",
     "return client.me.events.expand(Event.calendar.select(Event.subject))  # <-", BOTH),
]

# Correct queries, each form of the query builder: neither checker may report anything.
CLEAN: list[tuple[str, str]] = [
    ("filter, select, order_by, top", """
        q = client.me.events.filter(Event.subject.startswith("All") & (Event.importance == Importance.HIGH))
        return q.select(Event.subject, Event.start).order_by(Event.start.date_time.desc()).top(10).skip(5)
    """),
    ("nested complex members", """
        cond = (Event.start.date_time >= "2024-01-01T00:00:00") & (Event.start.time_zone == "UTC")
        return client.me.events.filter(cond | (Event.organizer.email_address.address == "a@b.c"))
    """),
    ("lambdas over complex, entity and primitive collections, nested", """
        a = Event.attendees.any(lambda x: x.email_address.address.endswith("@contoso.com"))
        b = Event.attachments.all(lambda x: (x.size < 1000) & x.name.contains("report"))
        c = Event.categories.any(lambda x: x == "Blue")
        d = Event.attendees.any(lambda x: x.status.time > datetime(2024, 1, 1, tzinfo=timezone.utc))
        return client.me.events.filter(a & b & c & d & Event.attendees.any())
    """),
    ("enums, in_, has-free comparisons, null", """
        cond = Event.show_as.in_([FreeBusyStatus.BUSY, FreeBusyStatus.OOF]) & (Event.sensitivity != None)  # noqa: E711
        return client.me.events.filter(cond)
    """),
    ("expand with options, to-one and to-many", """
        att = Event.attachments.select(Attachment.name, Attachment.size).filter(Attachment.size > 10).top(3)
        return client.me.events.expand(att, Event.calendar.select(Calendar.name))
    """),
    ("navigation target members in a filter", """
        return client.me.events.filter(Event.calendar.name == "Work").count()
    """),
    ("derived type fields and casts", """
        size = Event.reminder_minutes_before_start.cast("Edm.Int64") > 10
        return client.me.events.filter(size & (Event.subject.length() > 3))
    """),
    ("arithmetic and date/time functions", """
        later = Event.created_date_time + timedelta(days=1)
        return client.me.events.filter((later.year() == 2024) & ((Event.reminder_minutes_before_start * 2) <= 30))
    """),
    ("constructing an object", """
        return Event(subject="Standup", importance=Importance.LOW, categories=["Blue"])
    """),
]

# (expression, mypy's type, pyright's type)
REVEAL: list[tuple[str, str, str]] = [
    ("Event.subject", "odatakit.expr.StringExpr[graph_v1.models.Event]", "StringExpr[Event]"),
    ("Event.start", "graph_v1._paths.DateTimeTimeZonePath[graph_v1.models.Event]", "DateTimeTimeZonePath[Event]"),
    ("Event.start.date_time", "odatakit.expr.StringExpr[graph_v1.models.Event]", "StringExpr[Event]"),
    ("Event.organizer.email_address.address", "odatakit.expr.StringExpr[graph_v1.models.Event]", "StringExpr[Event]"),
    ("Event.location.address.city", "odatakit.expr.StringExpr[graph_v1.models.Event]", "StringExpr[Event]"),
    ("Event.is_all_day", "odatakit.expr.BoolExpr[graph_v1.models.Event]", "BoolExpr[Event]"),
    ("Event.reminder_minutes_before_start", "odatakit.expr.NumberExpr[graph_v1.models.Event]", "NumberExpr[Event]"),
    ("Event.created_date_time", "odatakit.expr.DateTimeExpr[graph_v1.models.Event]", "DateTimeExpr[Event]"),
    ("Event.importance", "odatakit.expr.EnumExpr[graph_v1.models.Importance, graph_v1.models.Event]",
     "EnumExpr[Importance, Event]"),
    ("Event.categories", "odatakit.paths.CollectionExpr[odatakit.expr.StringExpr[Any], graph_v1.models.Event]",
     "CollectionExpr[StringExpr[Any], Event]"),
    ("Event.attendees", "odatakit.paths.CollectionExpr[graph_v1._paths.AttendeePath[Any], graph_v1.models.Event]",
     "CollectionExpr[AttendeePath[Any], Event]"),
    ("Event.attachments",
     "odatakit.paths.NavCollectionExpr[graph_v1.models.Attachment, graph_v1._paths.AttachmentPath[Any], "
     "graph_v1.models.Event]",
     "NavCollectionExpr[Attachment, AttachmentPath[Any], Event]"),
    ("Event.calendar", "graph_v1._paths.CalendarPath[graph_v1.models.Event]", "CalendarPath[Event]"),
    ("Event.calendar.owner.address", "odatakit.expr.StringExpr[graph_v1.models.Event]", "StringExpr[Event]"),
    ("Event.id", "odatakit.expr.StringExpr[graph_v1.models.Event]", "StringExpr[Event]"),
    ("FileAttachment.content_bytes", "odatakit.expr.BinaryExpr[graph_v1.models.FileAttachment]",
     "BinaryExpr[FileAttachment]"),
    ("FileAttachment.name", "odatakit.expr.StringExpr[graph_v1.models.FileAttachment]", "StringExpr[FileAttachment]"),
    ("Event.attendees.any(lambda a: a.status.response == ResponseType.ACCEPTED)",
     "odatakit.expr.BoolExpr[graph_v1.models.Event | Any]", "BoolExpr[Event | Any]"),
    ("(Event.subject == 'x') & Event.is_all_day", "odatakit.expr.BoolExpr[graph_v1.models.Event]", "BoolExpr[Event]"),
    ("Event.subject.cast('Edm.String')", "odatakit.expr.StringExpr[graph_v1.models.Event]", "StringExpr[Event]"),
    ("Event.subject.length()", "odatakit.expr.NumberExpr[graph_v1.models.Event]", "NumberExpr[Event]"),
    ("Event.subject.desc()", "odatakit.expr.OrderKey[graph_v1.models.Event]", "OrderKey[Event]"),
    ("Event.attachments.select(Attachment.name)",
     "odatakit.paths.ExpandMany[graph_v1.models.Attachment, graph_v1.models.Event]", "ExpandMany[Attachment, Event]"),
    ("Event.calendar.select(Calendar.name)", "odatakit.paths.Expand[graph_v1.models.Calendar, graph_v1.models.Event]",
     "Expand[Calendar, Event]"),
    # An inherited complex or single-valued member is rooted at the class it is read from.
    ("Attendee.email_address", "graph_v1._paths.EmailAddressPath[graph_v1.models.Attendee]",
     "EmailAddressPath[Attendee]"),
    ("AgentUser.mailbox_settings.time_zone", "odatakit.expr.StringExpr[graph_v1.models.AgentUser]",
     "StringExpr[AgentUser]"),
    ("Event().start", "graph_v1.models.DateTimeTimeZone | None", "DateTimeTimeZone | None"),
    ("Attendee().email_address", "graph_v1.models.EmailAddress | None", "EmailAddress | None"),
    ("Event().calendar", "graph_v1.models.Calendar | None", "Calendar | None"),
    ("client.me.events.filter(Event.subject == 'x')", "graph_v1.requests.EventCollectionRequest[graph_v1.models.Event]",
     "EventCollectionRequest[Event]"),
]

_NAMES = ("AgentUser", "Attachment", "Attendee", "Calendar", "Event", "FileAttachment", "FreeBusyStatus", "Importance", "ResponseType",
          "Sensitivity", "User")
_STDLIB = ("datetime", "timedelta", "timezone")
_MARK = "# <-"


def _module(body: str) -> str:
    body = textwrap.dedent(body).strip("\n")
    used = [n for n in _NAMES if re.search(rf"\b{n}\b", body)]
    stdlib = [n for n in _STDLIB if re.search(rf"\b{n}\b", body)]
    head = "from __future__ import annotations\n\n"
    if stdlib:
        head += f"from datetime import {', '.join(stdlib)}\n\n"
    head += f"from graph_v1 import {', '.join(['GraphClient', *used])}\n\n\n"
    return head + "def use(client: GraphClient) -> object:\n" + textwrap.indent(body, "    ") + "\n"


def _file_name(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_") + ".py"


@pytest.fixture(scope="module")
def snippets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("typing")
    for group, items in (("misuse", MISUSE), ("clean", CLEAN)):
        sub = folder / group
        sub.mkdir()
        for name, body, *_ in items:
            (sub / _file_name(name)).write_text(_module(body), encoding="utf-8")
    reveal = "".join(f"reveal_type({expr})\n" for expr, _, _ in REVEAL) + "return None\n"
    (folder / "reveal.py").write_text(_module(reveal), encoding="utf-8")
    return folder


def _errors(found: Iterator[tuple[str, int]]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for path, line in found:
        out.setdefault(path, set()).add(line)
    return out


@pytest.fixture(scope="module")
def mypy_run(snippets: Path) -> tuple[dict[str, set[int]], str]:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--no-error-summary", "--cache-dir",
         str(snippets / ".mypy"), "--show-column-numbers", "misuse", "clean", "reveal.py"],
        cwd=snippets, capture_output=True, text=True, env={**os.environ, "MYPYPATH": f"{ROOT}:{GENERATED}"},
    )
    assert "Traceback" not in done.stderr, done.stderr
    found = re.finditer(r"^([\w/.]+\.py):(\d+):\d+: error:", done.stdout, re.M)
    return _errors((m[1], int(m[2])) for m in found), done.stdout


@pytest.fixture(scope="module")
def pyright_run(snippets: Path) -> tuple[dict[str, set[int]], str]:
    if not PYRIGHT.exists() and shutil.which("pyright") is None:
        pytest.skip("pyright is not installed (pip install -e '.[dev]')")
    config = {"typeCheckingMode": "strict", "extraPaths": [str(GENERATED), str(ROOT)], "pythonVersion": "3.11",
              "reportMissingModuleSource": False}
    (snippets / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        [str(PYRIGHT) if PYRIGHT.exists() else "pyright", "--outputjson", "--pythonpath", sys.executable,
         "-p", "pyrightconfig.json"],
        cwd=snippets, capture_output=True, text=True,
    )
    report = json.loads(done.stdout)
    found: list[tuple[str, int]] = []
    infos: list[str] = []
    for d in report["generalDiagnostics"]:
        path = str(Path(d["file"]).relative_to(snippets))
        line = d["range"]["start"]["line"] + 1
        if d["severity"] == "error":
            found.append((path, line))
        else:
            infos.append(f"{path}:{line}: {d['message']}")
    return _errors(iter(found)), "\n".join(infos) + "\n" + done.stdout


def _marked(name: str, body: str) -> int:
    lines = _module(body).splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.rstrip().endswith(_MARK))


def _check_misuse(checker: str, errors: dict[str, set[int]], output: str) -> None:
    wrong = []
    for name, body, caught in MISUSE:
        path = f"misuse/{_file_name(name)}"
        expected = {_marked(name, body)} if checker in caught else set()
        if errors.get(path, set()) != expected:
            wrong.append(f"{name}: expected errors on {sorted(expected)}, got {sorted(errors.get(path, set()))}")
    assert not wrong, "\n".join(wrong) + "\n" + output


def test_mypy_reports_each_mistake_on_its_line(mypy_run: tuple[dict[str, set[int]], str]) -> None:
    _check_misuse("mypy", *mypy_run)


def test_pyright_reports_each_mistake_on_its_line(pyright_run: tuple[dict[str, set[int]], str]) -> None:
    _check_misuse("pyright", *pyright_run)


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_correct_queries_pass_both_checkers(checker: str, request: pytest.FixtureRequest) -> None:
    errors, output = request.getfixturevalue(f"{checker}_run")
    clean = {path: lines for path, lines in errors.items() if path.startswith("clean/")}
    assert clean == {}, output


def test_mypy_reveals_the_leaf_types(mypy_run: tuple[dict[str, set[int]], str]) -> None:
    _, output = mypy_run
    revealed = re.findall(r'^reveal\.py:\d+:\d+: note: Revealed type is "(.*)"$', output, re.M)
    assert revealed == [mypy for _, mypy, _ in REVEAL], output
    assert "reveal.py" not in _errors_of(output)


def test_pyright_reveals_the_leaf_types(pyright_run: tuple[dict[str, set[int]], str]) -> None:
    errors, output = pyright_run
    revealed = re.findall(r'^reveal\.py:\d+: Type of ".*" is "(.*)"$', output, re.M)
    assert revealed == [pyright for _, _, pyright in REVEAL], output
    assert "reveal.py" not in errors


def _errors_of(output: str) -> set[str]:
    return {m[1] for m in re.finditer(r"^([\w/.]+\.py):\d+:\d+: error:", output, re.M)}


# Mistakes only a checker sees: the constructor stores what it is given (reading never validates either).
STATIC_ONLY = frozenset({"constructor value of the wrong type"})


@pytest.mark.parametrize(("name", "body"), [(n, b) for n, b, _ in MISUSE if n not in STATIC_ONLY],
                         ids=[n for n, _, _ in MISUSE if n not in STATIC_ONLY])
def test_every_mistake_is_refused_at_run_time(name: str, body: str, bundled: None) -> None:
    import graph_v1

    namespace: dict[str, Any] = {}
    exec(compile(_module(body), f"<{name}>", "exec"), namespace)  # noqa: S102 - the snippet under test
    client = graph_v1.GraphClient("https://graph.test/v1.0", None)
    with pytest.raises((TypeError, AttributeError)):
        namespace["use"](client)


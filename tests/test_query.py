"""The typed query builder: exact URLs, type errors, Capabilities, running queries.

URLs are compared as strings, exactly as they are sent. HTTP behaviour is checked with
aioresponses; the real-server tests belong to the runtime.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aioresponses import aioresponses

from odatakit.capabilities import CapabilityError, CapabilityWarning
from odatakit.expr import concat, maxdatetime, mindatetime, now

from .conftest import FIXTURES, GENERATED, ROOT


@pytest.fixture
def q(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "query.xml", "fx_query")  # type: ignore[no-any-return]


@pytest.fixture
def graph(bundled: None) -> ModuleType:
    import graph_v1

    return graph_v1


@pytest.fixture
def outlook(bundled: None) -> ModuleType:
    import outlook_v2

    return outlook_v2


def items(q: ModuleType, **kw: Any) -> Any:
    return q.StoreClient("https://svc.test/odata", None, **kw).items


def filt(q: ModuleType, expr: Any) -> str:
    """The decoded $filter of `items.filter(expr)`."""
    url = str(items(q).filter(expr))
    return url.split("$filter=", 1)[1]


# -- the example from the README -------------------------------------------------------------------
def test_readme_query_graph(graph: ModuleType) -> None:
    Event, Attachment, Importance = graph.Event, graph.Attachment, graph.Importance
    client = graph.GraphClient("https://graph.microsoft.com/v1.0", None)
    query = (
        client.me.events.select(Event.subject, Event.start)
        .filter(Event.subject.startswith("All") & (Event.importance == Importance.HIGH))
        .expand(Event.attachments.select(Attachment.name))
        .order_by(Event.start.date_time.desc())
        .top(10)
    )
    assert query.url == (
        "me/events?$select=subject,start&$expand=attachments($select=name)"
        "&$filter=startswith(subject,'All')%20and%20importance%20eq%20'high'"
        "&$orderby=start/dateTime%20desc&$top=10"
    )
    assert str(query) == (
        "me/events?$select=subject,start&$expand=attachments($select=name)"
        "&$filter=startswith(subject,'All') and importance eq 'high'&$orderby=start/dateTime desc&$top=10"
    )
    assert query.absolute_url == "https://graph.microsoft.com/v1.0/" + query.url


def test_readme_query_outlook_uses_qualified_enums_and_pascal_case(outlook: ModuleType) -> None:
    Event = outlook.Event
    client = outlook.OutlookClient("https://outlook.office.com/api/v2.0", None)
    query = client.me.events.filter(Event.importance == outlook.Importance.HIGH).select(Event.subject)
    assert str(query) == "Me/Events?$select=Subject&$filter=Importance eq Microsoft.OutlookServices.Importance'High'"


def test_queries_are_immutable(graph: ModuleType) -> None:
    Event = graph.Event
    base = graph.GraphClient("https://g.test/v1.0", None).me.events
    a = base.top(5)
    b = a.filter(Event.subject == "x")
    c = a.filter(Event.subject == "y")
    assert base.url == "me/events"
    assert a.url == "me/events?$top=5"
    assert b.url == "me/events?$filter=subject%20eq%20'x'&$top=5"
    assert c.url == "me/events?$filter=subject%20eq%20'y'&$top=5"
    assert type(b) is type(base)


def test_several_filters_combine_with_and(graph: ModuleType) -> None:
    Event = graph.Event
    events = graph.GraphClient("https://g.test/v1.0", None).me.events
    query = events.filter((Event.subject == "a") | (Event.subject == "b")).filter(~Event.is_all_day)
    assert str(query) == "me/events?$filter=(subject eq 'a' or subject eq 'b') and not isAllDay"


# -- operators and precedence -------------------------------------------------------------------------
def test_comparison_operators(q: ModuleType) -> None:
    Item = q.Item
    assert filt(q, Item.quantity == 1) == "quantity eq 1"
    assert filt(q, Item.quantity != 1) == "quantity ne 1"
    assert filt(q, Item.quantity > 1) == "quantity gt 1"
    assert filt(q, Item.quantity >= 1) == "quantity ge 1"
    assert filt(q, Item.quantity < 1) == "quantity lt 1"
    assert filt(q, Item.quantity <= 1) == "quantity le 1"
    assert filt(q, Item.name == None) == "name eq null"  # noqa: E711 - builds `eq null`
    assert filt(q, Item.name != None) == "name ne null"  # noqa: E711
    assert filt(q, 5 < Item.quantity) == "quantity gt 5"  # Python reflects the comparison
    assert filt(q, Item.name.in_(["a", "b"])) == "name in ('a','b')"


def test_logical_precedence_and_minimal_parentheses(q: ModuleType) -> None:
    Item = q.Item
    a, b, c = Item.quantity == 1, Item.name == "x", Item.active == True  # noqa: E712
    assert filt(q, a & b | c) == "quantity eq 1 and name eq 'x' or active eq true"
    assert filt(q, a & (b | c)) == "quantity eq 1 and (name eq 'x' or active eq true)"
    assert filt(q, (a | b) & c) == "(quantity eq 1 or name eq 'x') and active eq true"
    assert filt(q, a | (b | c)) == "quantity eq 1 or (name eq 'x' or active eq true)"  # the tree is kept
    assert filt(q, ~(a & b)) == "not (quantity eq 1 and name eq 'x')"
    assert filt(q, ~Item.active) == "not active"
    assert filt(q, Item.active & True) == "active and true"


def test_arithmetic(q: ModuleType) -> None:
    Item = q.Item
    assert filt(q, Item.quantity + 1 > 2) == "quantity add 1 gt 2"
    assert filt(q, (Item.quantity + 1) * 2 > 2) == "(quantity add 1) mul 2 gt 2"
    assert filt(q, Item.quantity - (Item.big - 1) == 0) == "quantity sub (big sub 1) eq 0"
    assert filt(q, Item.quantity - Item.big - 1 == 0) == "quantity sub big sub 1 eq 0"
    assert filt(q, Item.ratio / 2 < 1) == "ratio div 2 lt 1"
    assert filt(q, Item.price // 3 < 1) == "price divby 3 lt 1"
    assert filt(q, Item.quantity % 2 == 0) == "quantity mod 2 eq 0"
    assert filt(q, 10 - Item.quantity > 0) == "10 sub quantity gt 0"
    assert filt(q, -Item.quantity < 0) == "-quantity lt 0"
    assert filt(q, -(Item.quantity + 1) < 0) == "-(quantity add 1) lt 0"
    assert filt(q, Item.when + timedelta(hours=1) < now()) == "when add duration'PT1H' lt now()"
    assert filt(q, Item.when - Item.when > timedelta(0)) == "when sub when gt duration'PT0S'"


def test_has_and_in_parenthesise_a_non_primary_left_operand(q: ModuleType) -> None:
    Item, Access = q.Item, q.Access
    assert filt(q, Item.access.has(Access.READ | Access.WRITE)) == "access has Query.Model.Access'read,write'"
    assert filt(q, ~Item.access.has(Access.READ)) == "not (access has Query.Model.Access'read')"
    assert filt(q, (Item.quantity + 1).in_([1, 2])) == "(quantity add 1) in (1,2)"


# -- functions ---------------------------------------------------------------------------------
def test_string_functions(q: ModuleType) -> None:
    n = q.Item.name
    assert filt(q, n.contains("a")) == "contains(name,'a')"
    assert filt(q, n.startswith("a")) == "startswith(name,'a')"
    assert filt(q, n.endswith("a")) == "endswith(name,'a')"
    assert filt(q, n.length() > 3) == "length(name) gt 3"
    assert filt(q, n.indexof("b") == 1) == "indexof(name,'b') eq 1"
    assert filt(q, n.substring(1) == "b") == "substring(name,1) eq 'b'"
    assert filt(q, n.substring(1, 2) == "b") == "substring(name,1,2) eq 'b'"
    assert filt(q, n.tolower() == "b") == "tolower(name) eq 'b'"
    assert filt(q, n.toupper() == "B") == "toupper(name) eq 'B'"
    assert filt(q, n.trim() == "b") == "trim(name) eq 'b'"
    assert filt(q, n.concat(q.Item.id) == "ab") == "concat(name,id) eq 'ab'"
    assert filt(q, concat("x", n) == "xa") == "concat('x',name) eq 'xa'"
    assert filt(q, n.matches_pattern("^A.*e$")) == "matchesPattern(name,'^A.*e$')"


def test_date_time_and_math_functions(q: ModuleType) -> None:
    Item = q.Item
    w = Item.when
    for fn in ("year", "month", "day", "hour", "minute", "second", "totaloffsetminutes"):
        assert filt(q, getattr(w, fn)() == 1) == f"{fn}(when) eq 1"
    assert filt(q, w.fractionalseconds() < Decimal("0.5")) == "fractionalseconds(when) lt 0.5"
    assert filt(q, w.date() == date(2024, 1, 2)) == "date(when) eq 2024-01-02"
    assert filt(q, w.time() < time(12, 0)) == "time(when) lt 12:00:00"
    assert filt(q, w > mindatetime()) == "when gt mindatetime()"
    assert filt(q, w < maxdatetime()) == "when lt maxdatetime()"
    assert filt(q, Item.day.year() == 2024) == "year(day) eq 2024"
    assert filt(q, Item.at.hour() == 3) == "hour(at) eq 3"
    assert filt(q, Item.ratio.round() == 2) == "round(ratio) eq 2"
    assert filt(q, Item.ratio.floor() == 2) == "floor(ratio) eq 2"
    assert filt(q, Item.ratio.ceiling() == 2) == "ceiling(ratio) eq 2"


def test_isof_and_cast(q: ModuleType) -> None:
    Item, SpecialItem = q.Item, q.SpecialItem
    assert filt(q, Item.isof(SpecialItem)) == "isof(Query.Model.SpecialItem)"
    assert filt(q, Item.owner.isof(q.Person)) == "isof(owner,Query.Model.Person)"
    assert filt(q, Item.quantity.cast("Edm.Int64") > 3) == "cast(quantity,Edm.Int64) gt 3"
    assert filt(q, Item.name.cast("Edm.String").startswith("a")) == "startswith(cast(name,Edm.String),'a')"
    with pytest.raises(TypeError, match=r"Item.isof\(Person\): Person does not derive from it"):
        Item.isof(q.Person)


def test_lambdas(q: ModuleType, graph: ModuleType) -> None:
    Item, Event = q.Item, graph.Event
    assert filt(q, Item.tags.any(lambda t: t == "red")) == "tags/any(t:t eq 'red')"
    assert filt(q, Item.tags.all(lambda t: t.startswith("r"))) == "tags/all(t:startswith(t,'r'))"
    assert filt(q, Item.colors.any(lambda c: c == q.Color.RED)) == "colors/any(c:c eq Query.Model.Color'red')"
    assert filt(q, Item.shape.points.any(lambda p: p.x > 1.5)) == "shape/points/any(p:p/x gt 1.5)"
    assert filt(q, Item.parts.any()) == "parts/any()"
    nested = Item.parts.any(lambda p: p.item.parts.any(lambda p2: p2.name == p.name))
    assert filt(q, nested) == "parts/any(p:p/item/parts/any(p1:p1/name eq p/name))"
    events = graph.GraphClient("https://g.test/v1.0", None).me.events
    query = events.filter(Event.attendees.any(lambda a: a.email_address.address == "x@y.z"))
    assert str(query) == "me/events?$filter=attendees/any(a:a/emailAddress/address eq 'x@y.z')"
    assert query.url == "me/events?$filter=attendees/any(a:a/emailAddress/address%20eq%20'x%40y.z')"
    assert filt(q, Item.parts.length() > 2) == "parts/$count gt 2"


def test_lambda_errors(q: ModuleType) -> None:
    Item = q.Item
    with pytest.raises(TypeError, match="must return a Boolean expression"):
        Item.tags.any(lambda t: t)
    with pytest.raises(TypeError, match="needs a predicate"):
        Item.tags.all(None)  # type: ignore[arg-type]
    leaked: list[Any] = []
    Item.tags.any(lambda t: leaked.append(t) or t == "x")  # type: ignore[func-returns-value]
    with pytest.raises(TypeError, match="lambda variable 't' outside its lambda"):
        items(q).filter(leaked[0] == "y")


# -- literals and encoding ---------------------------------------------------------------------------
def test_literals_per_edm_type(q: ModuleType) -> None:
    Item = q.Item
    plus530 = timezone(timedelta(hours=5, minutes=30))
    cases = [
        (Item.name == "O'Neil", "name eq 'O''Neil'"),
        (Item.uid == uuid.UUID(int=5), "uid eq 00000000-0000-0000-0000-000000000005"),
        (Item.uid == "00000000-0000-0000-0000-000000000005", "uid eq 00000000-0000-0000-0000-000000000005"),
        (Item.when == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "when eq 2024-01-02T03:04:05Z"),
        (Item.when == datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=plus530), "when eq 2024-01-02T03:04:05.12+05:30"),
        (Item.day == date(2024, 1, 2), "day eq 2024-01-02"),
        (Item.at == time(3, 4, 5, 500), "at eq 03:04:05.0005"),
        (Item.span == timedelta(days=1, hours=2), "span eq duration'P1DT2H'"),
        (Item.span == -timedelta(minutes=1), "span eq duration'-PT1M'"),
        (Item.price == Decimal("12345678901234567890.123456789"), "price eq 12345678901234567890.123456789"),
        (Item.price == Decimal("1E+3"), "price eq 1000"),
        (Item.ratio == float("inf"), "ratio eq INF"),
        (Item.ratio == float("-inf"), "ratio eq -INF"),
        (Item.ratio == float("nan"), "ratio eq NaN"),
        (Item.ratio == 1e20, "ratio eq 1e+20"),
        (Item.big == 2**63 - 1, "big eq 9223372036854775807"),
        (Item.blob == b"\xfb\xff", "blob eq binary'-_8='"),
        (Item.color == q.Color.GREEN, "color eq Query.Model.Color'green'"),
        (Item.color == "green", "color eq Query.Model.Color'green'"),
        (Item.active == False, "active eq false"),  # noqa: E712
    ]
    for expr, expected in cases:
        assert filt(q, expr) == expected
    encoded = items(q).filter(Item.when == datetime(2024, 1, 2, tzinfo=plus530)).url
    assert encoded == "items?$filter=when%20eq%202024-01-02T00:00:00%2B05:30"  # `+` never reads as a space


def test_graph_enum_literals_are_bare_strings(graph: ModuleType) -> None:
    Event = graph.Event
    expr = Event.show_as.in_([graph.FreeBusyStatus.BUSY, graph.FreeBusyStatus.OOF])
    assert str(expr) == "showAs in ('busy','oof')"


@pytest.mark.parametrize("text", ["a'b", "a&b", "a#b", "a+b", "a%b", "a/b", "a=b", "a?b", "a b", "été 😀", "a;b)c,"])
def test_user_text_cannot_change_the_structure(q: ModuleType, text: str) -> None:
    from urllib.parse import unquote

    query = items(q).filter(q.Item.name == text).top(1)
    url = query.url
    path, _, query_string = url.partition("?")
    raw_options = query_string.split("&")
    assert [o.split("=", 1)[0] for o in raw_options] == ["$filter", "$top"]
    assert " " not in url and "#" not in url and "+" not in url.replace("%2B", "")
    assert unquote(raw_options[0].split("=", 1)[1]) == "name eq '" + text.replace("'", "''") + "'"


def test_keys_are_encoded_as_path_segments(graph: ModuleType, q: ModuleType) -> None:
    client = graph.GraphClient("https://g.test/v1.0", None)
    assert client.me.events["AAMkAGI2TG93AAA="].url == "me/events/AAMkAGI2TG93AAA="
    assert client.me.events["a/b+c d?#"].url == "me/events/a%2Fb%2Bc%20d%3F%23"
    store = q.StoreClient("https://svc.test/odata", None)
    assert store.pairs[("it's/1", 2)].url == "pairs(left='it''s%2F1',right=2)"
    assert store.items["x"].parts.url == "items('x')/parts"


# -- select / expand / orderby ----------------------------------------------------------------------------
def test_select_paths(q: ModuleType) -> None:
    Item, SpecialItem = q.Item, q.SpecialItem
    query = items(q).select(Item.shape.center.x, Item.owner, SpecialItem.extra, "*")
    assert str(query) == "items?$select=shape/center/x,owner,Query.Model.SpecialItem/extra,*"
    special = items(q).cast(SpecialItem)
    assert str(special.select(SpecialItem.extra, SpecialItem.name)) == "items/Query.Model.SpecialItem?$select=extra,name"
    with pytest.raises(TypeError, match="cannot follow a navigation"):
        items(q).select(Item.owner.name)
    with pytest.raises(TypeError, match="uses a field of Person, but this query returns Item"):
        items(q).select(q.Person.name)
    with pytest.raises(TypeError, match="expected a property of Item"):
        items(q).select(Item.name.tolower())


def test_expand_with_nested_options(q: ModuleType) -> None:
    Item, Part, Person = q.Item, q.Part, q.Person
    query = items(q).expand(
        Item.parts.select(Part.name)
        .filter(Part.name.contains("x"))
        .filter(Part.id > 1)
        .order_by(Part.id.desc())
        .top(2)
        .skip(1)
        .count()
        .search("blue")
        .expand(Part.item.select(Item.name)),
        Item.owner.expand(Person.manager.levels(2)),
    )
    assert str(query) == (
        "items?$expand=parts($select=name;$filter=contains(name,'x') and id gt 1;$expand=item($select=name);"
        "$orderby=id desc;$top=2;$skip=1;$count=true;$search=blue),owner($expand=manager($levels=2))"
    )
    assert str(items(q).expand("*")) == "items?$expand=*"
    with pytest.raises(TypeError, match="uses a field of Item, but this query returns Part"):
        Item.parts.select(Item.name)
    with pytest.raises(TypeError, match="not a navigation property"):
        items(q).expand(Item.shape)
    assert not hasattr(Item.owner, "top")  # to-one expands take no $top: a Person has no such member


def test_order_by(q: ModuleType) -> None:
    Item = q.Item
    query = items(q).order_by(Item.shape.name, Item.when.desc(), Item.quantity.asc(), Item.name.tolower())
    assert str(query) == "items?$orderby=shape/name,when desc,quantity asc,tolower(name)"
    with pytest.raises(TypeError, match="cannot order by a collection"):
        items(q).order_by(Item.tags)


def test_paging_counting_search_and_custom_options(q: ModuleType) -> None:
    query = items(q).top(5).skip(10).count(True).search('"blue shoes" OR red').params(startDateTime=datetime(
        2024, 1, 1, tzinfo=UTC), flag=True, n=3)
    assert query.url == (
        "items?$search=%22blue%20shoes%22%20OR%20red&$top=5&$skip=10&$count=true"
        "&startDateTime=2024-01-01T00:00:00Z&flag=true&n=3"
    )
    assert str(items(q).skiptoken("abc=/+").deltatoken("d1")) == "items?$skiptoken=abc=/+&$deltatoken=d1"
    # Tokens go back byte for byte where a query value allows their characters (`+` is no space);
    # only what would end or break the value is encoded.
    assert items(q).skiptoken("abc=/+").url == "items?$skiptoken=abc=/+"
    assert items(q).skiptoken("a b&c#d%").url == "items?$skiptoken=a%20b%26c%23d%25"
    assert items(q).params({"odd name": "a&b"}).url == "items?odd%20name=a%26b"


def test_function_calls_inline_and_with_aliases(q: ModuleType, graph: ModuleType) -> None:
    store = q.StoreClient("https://svc.test/odata", None)
    call = store.items.nearby(since=datetime(2024, 1, 1, 8, tzinfo=timezone(timedelta(hours=1))), radius=2.5)
    assert call.url == "items/Query.Model.nearby(since=2024-01-01T08:00:00%2B01:00,radius=2.5)"
    filtered = call.filter(q.Item.name == "a").top(3)
    assert str(filtered) == "items/Query.Model.nearby(since=2024-01-01T08:00:00+01:00,radius=2.5)?$filter=name eq 'a'&$top=3"
    aliased = filtered.parameter_aliases()
    assert aliased.url == (
        "items/Query.Model.nearby(since=@p1,radius=@p2)?$filter=name%20eq%20'a'&$top=3"
        "&@p1=2024-01-01T08:00:00%2B01:00&@p2=2.5"
    )
    assert aliased.parameter_aliases(False).url == filtered.url
    implicit = filtered.parameter_aliases("implicit")
    assert implicit.url == (
        "items/Query.Model.nearby?$filter=name%20eq%20'a'&$top=3&@since=2024-01-01T08:00:00%2B01:00&@radius=2.5"
    )
    assert implicit.parameter_aliases(False).url == filtered.url
    implicit_client = q.StoreClient("https://svc.test/odata", None).with_function_parameters("implicit")
    assert implicit_client.function_parameters == "implicit" and store.function_parameters == "inline"
    assert implicit_client.items.nearby(since=None, radius=1.0).url == "items/Query.Model.nearby?@radius=1.0"
    with pytest.raises(TypeError, match="is not a function call"):
        store.items.parameter_aliases()
    graph_client = graph.GraphClient("https://g.test/v1.0", None)
    assert graph_client.me.events.delta().deltatoken("tok").url == "me/events/delta()?$deltatoken=tok"


# -- type errors before anything is sent ------------------------------------------------------------
def test_type_errors_name_the_field_and_the_types(q: ModuleType, graph: ModuleType) -> None:
    Item, Event = q.Item, graph.Event
    events = graph.GraphClient("https://g.test/v1.0", None).me.events
    cases: list[tuple[Any, str]] = [
        (lambda: Event.subject > 5, r"Event.subject \(Edm.String\) > 5 \(int\): expected str"),
        (lambda: Event.reminder_minutes_before_start.startswith("x"),
         r"Event.reminder_minutes_before_start \(Edm.Int32\).startswith\(\): applies to Edm.String, not to Edm.Int32"),
        (lambda: events.filter(graph.Calendar.name == "x"), "uses a field of Calendar, but this query returns Event"),
        (lambda: events.top(-1), r"top\(-1\): expected a non-negative int"),
        (lambda: events.top(True), r"top\(True\): expected a non-negative int, got bool"),
        (lambda: events.filter(Event.subject), "expected a Boolean expression"),
        (lambda: Item.when > datetime(2024, 1, 1), r"Item.when \(Edm.DateTimeOffset\) > .*: expected an aware datetime"),
        (lambda: Item.day == datetime(2024, 1, 1, tzinfo=UTC), "expected a date"),
        (lambda: Item.quantity == "1", r"Item.quantity \(Edm.Int32\) == '1' \(str\): expected a number"),
        (lambda: Item.quantity == True, "expected a number"),  # noqa: E712
        (lambda: Item.color == q.Access.READ, "expected a Color member"),
        (lambda: Item.color == "blue", "expected a Color member"),
        (lambda: Item.uid == "not-a-guid", "expected a UUID"),
        (lambda: Item.name > None, "only == and != compare with null"),
        (lambda: Item.name == Item.quantity, "the types differ"),
        (lambda: Item.name.in_([]), "needs at least one value"),
        (lambda: (Item.name == "a") & "b", "expected a Boolean expression"),
        (lambda: Item.shape == 3, r"Item.shape \(Query.Model.Shape\) == 3"),
    ]
    for build, pattern in cases:
        with pytest.raises((TypeError, ValueError), match=pattern):
            build()
            pytest.fail(f"no error for {pattern}")


def test_python_boolean_operators_are_refused(q: ModuleType) -> None:
    Item = q.Item
    with pytest.raises(TypeError, match=r"combine conditions with & \| ~"):
        _ = (Item.quantity == 1) and (Item.name == "x")
    with pytest.raises(TypeError, match="has no truth value"):
        _ = 1 < Item.quantity < 3  # type: ignore[operator]


def test_mypy_catches_misuse_in_user_code(tmp_path: Path) -> None:
    snippet = tmp_path / "user_code.py"
    snippet.write_text(textwrap.dedent("""
        from graph_v1 import Event, GraphClient

        def build(client: GraphClient, e: Event) -> None:
            reveal_type(Event.subject)
            reveal_type(e.subject)
            client.me.events.filter(Event.subject.startswith("All")).top(10)
            Event.subject > 5
            Event.reminder_minutes_before_start.startswith("x")
            Event(subject=5)
            client.me.events.top("3")
            client.me.events.filter(Event.subject)
    """))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"),
         str(snippet)],
        cwd=GENERATED, capture_output=True, text=True, env={"MYPYPATH": f"{ROOT}:{GENERATED}", "PATH": ""},
    )
    lines = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if ": " in line and "user_code" in line]
    assert lines == [
        'note: Revealed type is "odatakit.expr.StringExpr[graph_v1.models.Event]"',
        'note: Revealed type is "str | None"',
        'error: Unsupported operand types for > ("StringExpr[Event]" and "int")  [operator]',
        'error: "NumberExpr[Event]" has no attribute "startswith"  [attr-defined]',
        'error: Argument "subject" to "Event" has incompatible type "int"; expected "str | None"  [arg-type]',
        'error: Argument 1 to "top" of "CollectionRequest" has incompatible type "str"; expected "int"  [arg-type]',
        'error: Argument 1 to "filter" of "CollectionRequest" has incompatible type "StringExpr[Event]"; '
        'expected "BoolExpr[Event]"  [arg-type]',
    ], result.stdout + result.stderr


# -- Capabilities ---------------------------------------------------------------------------------------
def test_capabilities_refuse_queries_quoting_the_annotation(q: ModuleType) -> None:
    Item, Part = q.Item, q.Part
    store = q.StoreClient("https://svc.test/odata", None)
    locked = store.locked
    ns = "Org.OData.Capabilities.V1."
    target = "Query.Model.Store/locked"
    cases: list[tuple[Any, str]] = [
        (lambda: locked.top(1), rf"\$top is not supported here: .*{ns}TopSupported = false on {target}"),
        (lambda: locked.skip(1), rf"{ns}SkipSupported = false on {target}"),
        (lambda: locked.count(True), rf"{ns}CountRestrictions/Countable = false on {target}"),
        (lambda: locked.search("x"), rf"{ns}SearchRestrictions/Searchable = false on {target}"),
        (lambda: locked.filter(Item.blob == b"x"), r"\$filter on 'blob' is not supported: .*NonFilterableProperties"),
        (lambda: locked.filter(Item.shape.center.x > 1), r"\$filter on 'shape/center/x' is not supported"),
        (lambda: locked.order_by(Item.name), r"\$orderby on 'name' is not supported: .*NonSortableProperties"),
        (lambda: locked.order_by(Item.when), r"'when' sorts descending only .*DescendingOnlyProperties"),
        (lambda: locked.expand(Item.parts), r"\$expand of 'parts' is not supported: .*NonExpandableProperties"),
        (lambda: locked.expand(Item.owner.levels(2)), r"\$levels=2 is deeper than allowed: .*MaxLevels = 1"),
        (lambda: store.people["1"], rf"cannot be addressed by key: .*{ns}IndexableByKey = false on Query.Model.Store/people"),
        (lambda: store.people.select(q.Person.name), rf"{ns}SelectSupport/Supported = false"),
        (lambda: store.items["i"].parts.filter(Part.name == "x"),
         r"\$filter is not supported here: .*FilterRestrictions/Filterable = false on Query.Model.Store/items "
         r"\(NavigationRestrictions, parts\)"),
        (lambda: store.people.cast(q.Person)["x"], "IndexableByKey"),
    ]
    for build, pattern in cases:
        with pytest.raises(CapabilityError, match=pattern):
            build()
    # What the annotations allow still works.
    assert locked.order_by(Item.when.desc()).expand(Item.owner).filter(Item.name == "a").url == (
        "locked?$expand=owner&$filter=name%20eq%20'a'&$orderby=when%20desc"
    )
    assert store.items["i"].parts.top(1).url == "items('i')/parts?$top=1"


async def test_capabilities_required_filter_is_checked_when_the_query_runs(q: ModuleType) -> None:
    store = q.StoreClient("https://svc.test/odata", None)
    with pytest.raises(CapabilityError, match=r"needs a \$filter: .*FilterRestrictions/RequiresFilter = true"):
        await store.locked.get()
    with pytest.raises(CapabilityError, match=r"the \$filter must use name: .*RequiredProperties"):
        await store.locked.filter(q.Item.quantity == 1).get()
    with pytest.raises(CapabilityError, match="Countable"):
        await store.locked.count_only()


async def test_type_navigation_annotations_apply_wherever_the_navigation_is_used(q: ModuleType) -> None:
    store = q.StoreClient("https://svc.test/odata", None)
    with pytest.raises(CapabilityError, match=r"ReadByKeyRestrictions/Readable = false on Query.Model.Person/items"):
        store.items["i"].owner.items["x"]


async def test_lenient_clients_warn_and_build_the_query(q: ModuleType) -> None:
    store = q.StoreClient("https://svc.test/odata", None, strict=False)
    with pytest.warns(CapabilityWarning, match="TopSupported"):
        query = store.locked.top(1)
    assert query.url == "locked?$top=1"
    with aioresponses() as m:
        m.get("https://svc.test/odata/locked?$top=1", payload={"value": []})
        with pytest.warns(CapabilityWarning) as record:
            assert await query.get() == []
    assert ["RequiresFilter" in str(w.message) for w in record] == [True, False]
    assert "RequiredProperties" in str(record[1].message)
    await store.close()


# -- running queries ---------------------------------------------------------------------------------
@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


def _sent(m: aioresponses) -> list[str]:
    return [str(url) for (_, url), calls in m.requests.items() for _ in calls]


async def test_get_follows_next_links_and_types_items(graph: ModuleType, mock: aioresponses) -> None:
    Event = graph.Event
    base = "https://graph.microsoft.com/v1.0"
    async with graph.GraphClient(base, None) as client:
        query = client.me.events.filter(Event.subject == "a+b").select(Event.subject).top(2)
        mock.get(f"{base}/{query.url}", repeat=True, payload={
            "value": [{"subject": "a+b", "id": "1"}],
            "@odata.nextLink": f"{base}/me/events?$skiptoken=X%2B1",
        })
        mock.get(f"{base}/me/events?$skiptoken=X%2B1", repeat=True, payload={"value": [{"subject": "a+b", "id": "2"}]})
        got = await query.get()
        assert [(type(e), e.id, e.subject) for e in got] == [(Event, "1", "a+b"), (Event, "2", "a+b")]
        again = [e.id async for e in query]
        assert again == ["1", "2"]


async def test_first_and_count_only(graph: ModuleType, mock: aioresponses) -> None:
    Event = graph.Event
    base = "https://graph.microsoft.com/v1.0"
    async with graph.GraphClient(base, None) as client:
        query = client.me.events.filter(Event.subject == "x").order_by(Event.subject)
        mock.get(f"{base}/me/events?$filter=subject%20eq%20'x'&$orderby=subject&$top=1",
                 payload={"value": [{"id": "9", "subject": "x"}]})
        first = await query.first()
        assert first is not None and first.id == "9"
        mock.get(f"{base}/me/events?$filter=subject%20eq%20'x'&$orderby=subject&$top=1", payload={"value": []})
        assert await query.first() is None
        mock.get(f"{base}/me/events/$count?$filter=subject%20eq%20'x'", body="42", content_type="text/plain")
        assert await query.count_only() == 42


async def test_function_query_is_awaitable(q: ModuleType, mock: aioresponses) -> None:
    async with q.StoreClient("https://svc.test/odata", None) as store:
        call = store.items.nearby(since=datetime(2024, 1, 1, tzinfo=UTC), radius=1.0)
        mock.get(f"https://svc.test/odata/{call.url}", payload={"value": [{"id": "a"}, {"id": "b"}]})
        got = await call
        assert [(type(i), i.id) for i in got] == [(q.Item, "a"), (q.Item, "b")]


async def test_the_url_is_sent_exactly_as_built(graph: ModuleType) -> None:
    import aiohttp
    from aiohttp import web

    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        return web.json_response({"value": []})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            client = graph.GraphClient(f"http://127.0.0.1:{port}/v1.0", None, session=session)
            Event = graph.Event
            query = client.me.events["a/b+c"].attachments.filter(graph.Attachment.name == "x@y&z'+%").top(1)
            await query.get()
    finally:
        await runner.cleanup()
    assert seen == ["/v1.0/" + query.url]
    assert Event is graph.Event


def test_custom_options_cannot_pose_as_system_options(q: ModuleType) -> None:
    for name in ("top", "Filter", "$top", "@p1"):
        with pytest.raises(TypeError, match="use the query methods for system options"):
            items(q).params({name: "1"})


def test_path_literals_share_the_enum_rules(q: ModuleType) -> None:
    from odatakit.literals import literal

    assert literal(q.Access.NONE) == "Query.Model.Access'none'"  # zero flags name their zero member
    assert literal(q.Access.READ | q.Access.WRITE, qualified_enums=False) == "'read,write'"
    with pytest.raises(TypeError, match="'blue' is not a declared member"):
        literal(q.Color("blue"))


def test_nested_filters_combine_and_must_be_boolean(q: ModuleType) -> None:
    Item, Part = q.Item, q.Part
    nested = Item.parts.filter(Part.id > 1).filter(Part.name == "a")
    assert str(items(q).expand(nested)) == "items?$expand=parts($filter=id gt 1 and name eq 'a')"
    with pytest.raises(TypeError, match="expected a Boolean expression"):
        Item.parts.filter(Part.name)  # type: ignore[arg-type]


# -- what is built once and shared ---------------------------------------------------------------------
def test_navigation_requests_are_built_once_and_carry_no_options(q: ModuleType) -> None:
    store = q.StoreClient("https://svc.test/odata", None)
    assert store.items is store.items
    item = store.items["i"]
    assert item.parts is item.parts
    # A navigation from a request with options starts without them.
    assert store.items.top(1).filter(q.Item.name == "a")["i"].parts.url == "items('i')/parts"
    assert item.select(q.Item.name).owner.url == "items('i')/owner"
    # Another client has its own requests (and its own base URL).
    other = q.StoreClient("https://other.test/odata", None)
    assert other.items is not store.items
    assert other.items.top(1).absolute_url == "https://other.test/odata/items?$top=1"


def test_complex_members_are_cached_without_shadowing_methods(q: ModuleType) -> None:
    Item = q.Item
    assert Item.shape.center.x is Item.shape.center.x
    member = Item.shape.center.prop("cast")
    assert member is Item.shape.center.prop("cast") and member.path == "shape/center/cast"
    # `cast` stays the DSL method on the path after the member was looked up.
    assert callable(Item.shape.center.cast) and Item.shape.center.cast is not member
    assert filt(q, Item.shape.center.prop("cast") == "a") == "shape/center/cast eq 'a'"


def test_capability_records_that_only_grant_skip_the_checks() -> None:
    from odatakit.capabilities import Capabilities, check_expand

    granted = Capabilities(({"target": "S/a", "ExpandRestrictions": {"Expandable": True, "NonExpandableProperties": []}},))
    assert granted.has("ExpandRestrictions") and not granted.restricts("ExpandRestrictions")
    # The most specific entry wins: a grant on the navigation lifts a refusal on its type.
    lifted = Capabilities((
        {"target": "S/a", "ExpandRestrictions": {"Expandable": True}},
        {"target": "T/a", "ExpandRestrictions": {"Expandable": False}},
    ))
    assert not lifted.restricts("ExpandRestrictions")
    check_expand(lifted, ["x"], [], strict=True)
    kept = Capabilities((
        {"target": "S/a", "ExpandRestrictions": {"Expandable": True}},
        {"target": "T/a", "ExpandRestrictions": {"MaxLevels": 1}},
    ))
    assert kept.restricts("ExpandRestrictions")
    with pytest.raises(CapabilityError, match=r"\$levels=2 is deeper than allowed: .*MaxLevels = 1 on T/a"):
        check_expand(kept, ["x"], [2], strict=True)
    # `RequiresFilter: true` is a restriction although its value is true.
    assert Capabilities(({"target": "S", "FilterRestrictions": {"RequiresFilter": True}},)).restricts(
        "FilterRestrictions"
    )
    refused = Capabilities(({"target": "S", "SearchRestrictions": {"Searchable": False}},))
    assert refused.restricts("SearchRestrictions")

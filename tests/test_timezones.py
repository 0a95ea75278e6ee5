"""odatakit.timezones: Windows ↔ IANA names, DateTimeTimeZone values, and the typed `prefer(timezone=...)`."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aioresponses import aioresponses

from odatakit import timezones
from odatakit.timezones import (
    UnknownTimeZone,
    aware,
    from_datetime,
    iana_to_windows,
    prefer_timezone,
    to_datetime,
    windows_to_iana,
    zone,
)

from .conftest import GENERATED, ROOT

# Links (`US/Pacific` → `America/Los_Angeles`) are read from the tz database's tzdata.zi.
needs_links = pytest.mark.skipif(not timezones._tzdata_zi()[1], reason="no tzdata.zi on this system")

LA = ZoneInfo("America/Los_Angeles")


# -- names ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("windows", "iana"),
    [
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("UTC", "UTC"),
    ],
)
def test_exact_mappings_both_ways(windows: str, iana: str) -> None:
    assert windows_to_iana(windows) == iana
    assert iana_to_windows(iana) == windows
    assert iana_to_windows(ZoneInfo(iana)) == windows
    assert zone(windows) == ZoneInfo(iana)


def test_links_and_aliases_map_to_the_windows_zone() -> None:
    assert iana_to_windows("Asia/Kolkata") == "India Standard Time"
    assert iana_to_windows("Asia/Calcutta") == "India Standard Time"
    assert iana_to_windows(ZoneInfo("Asia/Calcutta")) == "India Standard Time"
    assert iana_to_windows("US/Pacific") == "Pacific Standard Time"
    assert iana_to_windows("Etc/UTC") == "UTC"
    # A Windows name given where an IANA one is expected is already the answer.
    assert iana_to_windows("Tokyo Standard Time") == "Tokyo Standard Time"


@needs_links
def test_links_the_cldr_table_lacks_resolve_through_tzdata() -> None:
    assert "Europe/Zaporozhye" not in timezones._tables()[1]
    assert iana_to_windows("Europe/Zaporozhye") == "FLE Standard Time"  # a link to Europe/Kyiv
    assert iana_to_windows("US/East-Indiana") == "US Eastern Standard Time"


@needs_links
def test_iana_names_come_back_canonical() -> None:
    assert windows_to_iana("US/Pacific") == "America/Los_Angeles"
    assert windows_to_iana("Asia/Calcutta") == "Asia/Kolkata"
    assert windows_to_iana("India Standard Time") == "Asia/Kolkata"  # CLDR writes Asia/Calcutta
    assert windows_to_iana("America/Los_Angeles") == "America/Los_Angeles"
    assert zone("US/Pacific") is zone("Pacific Standard Time") is ZoneInfo("America/Los_Angeles")


def test_names_are_matched_regardless_of_case() -> None:
    assert windows_to_iana("pacific standard time") == "America/Los_Angeles"
    assert windows_to_iana("europe/berlin") == "Europe/Berlin"
    assert prefer_timezone("tokyo standard time") == "Tokyo Standard Time"


def test_unknown_names_raise_with_close_matches() -> None:
    with pytest.raises(UnknownTimeZone) as info:
        windows_to_iana("Pacific Standrd Time")
    assert str(info.value).startswith(
        "unknown time zone 'Pacific Standrd Time': not a Windows or an IANA time zone name; "
        "close matches: 'Pacific Standard Time', "
    )
    assert info.value.matches[0] == "Pacific Standard Time"
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownTimeZone, match=r"^unknown time zone 'Europe/Berln': .*close matches: 'Europe/Berlin'"):
        iana_to_windows("Europe/Berln")
    with pytest.raises(UnknownTimeZone, match=r"^unknown time zone 'Nowhere At All': not a Windows or an IANA "
                                              r"time zone name$"):
        zone("Nowhere At All")
    with pytest.raises(UnknownTimeZone, match="'Antarctica/Troll': an IANA time zone without a Windows time zone"):
        iana_to_windows("Antarctica/Troll")
    with pytest.raises(UnknownTimeZone, match="close matches: 'Tokyo Standard Time'"):
        prefer_timezone("Tokio Standard Time")
    with pytest.raises(UnknownTimeZone, match="unknown time zone 'Mars/Olympus'"):
        to_datetime("2026-11-23T09:00:00.0000000", "Mars/Olympus")


# -- values --------------------------------------------------------------------------------------------
def test_seven_fractional_digits_are_cut_to_microseconds() -> None:
    got = to_datetime("2026-11-23T09:00:00.1234567", "Pacific Standard Time")
    assert got == datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=LA)
    assert got.tzinfo is LA
    # Cut, not rounded: rounding .9999999 would move to the next second.
    assert to_datetime("2026-11-23T09:00:59.9999999", "UTC").second == 59
    assert to_datetime("2026-11-23T09:00:00.0000000", "UTC") == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert to_datetime("2026-11-23T09:00:00.5", "UTC").microsecond == 500000
    assert to_datetime("2026-11-23T09:00:00", "UTC").microsecond == 0


def test_daylight_saving_time_gives_the_offset_of_the_date() -> None:
    summer = to_datetime("2026-07-01T09:00:00.0000000", "Pacific Standard Time")
    winter = to_datetime("2026-01-15T09:00:00.0000000", "Pacific Standard Time")
    assert summer.isoformat() == "2026-07-01T09:00:00-07:00"
    assert winter.isoformat() == "2026-01-15T09:00:00-08:00"
    assert to_datetime("2026-07-01T09:00:00.0000000", "W. Europe Standard Time").utcoffset() == timedelta(hours=2)


def test_a_trailing_offset_fixes_the_instant() -> None:
    got = to_datetime("2026-07-01T16:00:00.0000000Z", "Pacific Standard Time")
    assert got.isoformat() == "2026-07-01T09:00:00-07:00" and got.tzinfo is LA
    assert to_datetime("2026-07-01T18:00:00+02:00", "America/Los_Angeles").hour == 9


def test_malformed_date_times_raise() -> None:
    with pytest.raises(ValueError, match=r"dateTime 'tomorrow': expected a date-time such as"):
        to_datetime("tomorrow", "UTC")
    with pytest.raises(ValueError, match=r"dateTime '2026-13-01T00:00:00': month must be in 1\.\.12"):
        to_datetime("2026-13-01T00:00:00", "UTC")


def test_aware_reads_generated_date_time_time_zone_values(bundled: None) -> None:
    from graph_v1 import DateTimeTimeZone as GraphValue
    from outlook_v2 import DateTimeTimeZone as OutlookValue

    for cls in (GraphValue, OutlookValue):
        value = cls(date_time="2026-07-01T09:00:00.0000000", time_zone="Pacific Standard Time")
        assert aware(value) == datetime(2026, 7, 1, 9, tzinfo=LA)
        with pytest.raises(ValueError, match="date_time and time_zone are both needed"):
            aware(cls(date_time="2026-07-01T09:00:00"))
    # A datetime in date_time (other classes) is placed in, or moved to, the zone.
    assert aware(SimpleNamespace(date_time=datetime(2026, 1, 1, 9), time_zone="Tokyo Standard Time")) == datetime(
        2026, 1, 1, 9, tzinfo=ZoneInfo("Asia/Tokyo"))
    moved = aware(SimpleNamespace(date_time=datetime(2026, 1, 1, 0, tzinfo=UTC), time_zone="Tokyo Standard Time"))
    assert moved.isoformat() == "2026-01-01T09:00:00+09:00"
    with pytest.raises(TypeError, match="expected an object with date_time and time_zone"):
        aware("2026-01-01T00:00:00")


def test_from_datetime_writes_what_graph_writes() -> None:
    assert from_datetime(datetime(2026, 7, 1, 9, tzinfo=ZoneInfo("Europe/Berlin"))) == (
        "2026-07-01T09:00:00.0000000", "W. Europe Standard Time")
    assert from_datetime(datetime(2026, 7, 1, 9, 1, 2, 345678, tzinfo=LA), windows=False) == (
        "2026-07-01T09:01:02.3456780", "America/Los_Angeles")
    assert from_datetime(datetime(2026, 7, 1, 9, tzinfo=UTC)) == ("2026-07-01T09:00:00.0000000", "UTC")
    assert from_datetime(datetime(2026, 7, 1, 9, tzinfo=timezone(timedelta(hours=-8)))) == (
        "2026-07-01T09:00:00.0000000", "UTC-08")
    # An offset no zone is named for: the same instant in UTC.
    assert from_datetime(datetime(2026, 7, 1, 9, tzinfo=timezone(timedelta(hours=5, minutes=30)))) == (
        "2026-07-01T03:30:00.0000000", "UTC")
    with pytest.raises(ValueError, match="expected an aware datetime"):
        from_datetime(datetime(2026, 7, 1, 9))


@pytest.mark.parametrize("windows", [True, False])
@pytest.mark.parametrize(
    "dt",
    [
        datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=LA),
        datetime(2026, 1, 15, 23, 59, 59, 999999, tzinfo=LA),
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Asia/Kolkata")),
        datetime(2026, 11, 23, 9, tzinfo=UTC),
    ],
)
def test_round_trip(dt: datetime, windows: bool) -> None:
    back = to_datetime(*from_datetime(dt, windows=windows))
    assert back == dt and back.utcoffset() == dt.utcoffset()
    assert back.replace(tzinfo=None) == dt.replace(tzinfo=None)


def test_prefer_timezone_values() -> None:
    assert prefer_timezone(LA) == "Pacific Standard Time"
    assert prefer_timezone(ZoneInfo("Asia/Calcutta")) == "India Standard Time"
    assert prefer_timezone(UTC) == "UTC"
    assert prefer_timezone(ZoneInfo("UTC")) == "UTC"
    assert prefer_timezone("Pacific Standard Time") == "Pacific Standard Time"
    assert prefer_timezone("US/Pacific") == "US/Pacific"  # IANA names are passed through (Graph takes them)
    assert prefer_timezone(ZoneInfo("Antarctica/Troll")) == "Antarctica/Troll"  # no Windows zone: IANA
    with pytest.raises(UnknownTimeZone, match="neither a named zone nor a whole-hour offset"):
        prefer_timezone(timezone(timedelta(hours=5, minutes=30)))
    with pytest.raises(TypeError, match="expected a zone name, a ZoneInfo or a tzinfo"):
        prefer_timezone(8)  # type: ignore[arg-type]


# -- cheap imports ---------------------------------------------------------------------------------------
def _run(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": f"{ROOT}:{GENERATED}", "PATH": ""})
    assert done.returncode == 0, done.stdout + done.stderr


def test_tzlocal_is_imported_on_first_use_only() -> None:
    _run(
        "import sys\n"
        "import odatakit.timezones as t\n"
        "assert 'tzlocal' not in sys.modules and 'tzlocal.windows_tz' not in sys.modules\n"
        "assert t.windows_to_iana('Tokyo Standard Time') == 'Asia/Tokyo'\n"
        "assert 'tzlocal.windows_tz' in sys.modules\n"
    )


def test_generated_packages_import_tzlocal_only_when_a_zone_is_named() -> None:
    _run(
        "import sys\n"
        "from zoneinfo import ZoneInfo\n"
        "import graph_v1.requests, outlook_v2.requests\n"
        "from graph_v1 import GraphClient\n"
        "query = GraphClient('https://graph.microsoft.com/v1.0').me.events\n"
        "assert 'tzlocal' not in sys.modules\n"
        "query.prefer(timezone=ZoneInfo('America/Los_Angeles'))\n"
        "assert 'tzlocal' in sys.modules\n"
    )


# -- the typed prefer() of the generated packages ----------------------------------------------------------
def _prefer_headers(m: aioresponses) -> list[Any]:
    return [c.kwargs.get("headers", {}).get("Prefer") for calls in m.requests.values() for c in calls]


async def test_generated_prefer_sends_the_windows_name_of_a_zoneinfo(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with GraphClient("https://graph.microsoft.com/v1.0", lambda: _token()) as client:
        query = client.me.events.prefer(timezone=ZoneInfo("America/Los_Angeles"))
        assert query._headers() == {"Prefer": 'outlook.timezone="Pacific Standard Time"'}
        with aioresponses() as m:
            m.get("https://graph.microsoft.com/v1.0/me/events", payload={"value": [{
                "id": "a", "start": {"dateTime": "2026-07-01T09:00:00.0000000", "timeZone": "Pacific Standard Time"},
            }]})
            events = await query.get()
            assert _prefer_headers(m) == ['outlook.timezone="Pacific Standard Time"']
        assert events[0].start is not None and aware(events[0].start) == datetime(2026, 7, 1, 9, tzinfo=LA)


async def test_generated_prefer_takes_names_and_refuses_unknown_ones(bundled: None) -> None:
    from outlook_v2 import OutlookClient

    async with OutlookClient("https://outlook.office.com/api/v2.0") as client:
        events = client.me.events
        assert events.prefer(timezone="W. Europe Standard Time")._headers() == {
            "Prefer": 'outlook.timezone="W. Europe Standard Time"'}
        assert events.prefer(timezone="Europe/Berlin")._headers() == {"Prefer": 'outlook.timezone="Europe/Berlin"'}
        assert events.prefer()._headers() is None
        with pytest.raises(UnknownTimeZone, match="close matches: 'W. Europe Standard Time'"):
            events.prefer(timezone="W Europe Standard Time")
        with aioresponses() as m:
            m.get("https://outlook.office.com/api/v2.0/Me/Events", payload={"value": []})
            await events.prefer(timezone=ZoneInfo("Asia/Tokyo")).get()
            assert _prefer_headers(m) == ['outlook.timezone="Tokyo Standard Time"']


async def _token() -> str:
    return "t"

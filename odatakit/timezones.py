"""Time zones of Outlook and Graph: Windows zone names, IANA names and `DateTimeTimeZone` values.

Outlook and Graph write date-times as a local `dateTime` (up to 7 fractional digits, no offset)
and a `timeZone` name, Windows (`"Pacific Standard Time"`) or IANA (`"America/Los_Angeles"`),
and take `Prefer: outlook.timezone="..."` for the zone of the values they return.

```python
to_datetime("2026-11-23T09:00:00.0000000", "Pacific Standard Time")  # 09:00-08:00, America/Los_Angeles
aware(event.start)                                                     # the same, from a generated value
from_datetime(datetime(2026, 7, 1, 9, tzinfo=ZoneInfo("Europe/Berlin")))
# ("2026-07-01T09:00:00.0000000", "W. Europe Standard Time")
client.me.events.prefer(timezone=ZoneInfo("America/Los_Angeles"))    # outlook.timezone="Pacific Standard Time"
```

Windows names are mapped with the Unicode CLDR windowsZones table that tzlocal ships
(`tzlocal.windows_tz`); it is imported on first use, so importing this module (and a generated
package, which imports it) stays cheap. IANA links (`US/Pacific`, `Asia/Calcutta`) are resolved
with the tz database's own link list (`tzdata.zi`) where the system or the tzdata package has one.
"""

from __future__ import annotations

import functools
import os
import re
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "UnknownTimeZone",
    "aware",
    "from_datetime",
    "iana_to_windows",
    "prefer_timezone",
    "to_datetime",
    "windows_to_iana",
    "zone",
]

#: The one name that is both a Windows zone and an IANA zone; it stays itself both ways.
_UTC = "UTC"

# An OData/Graph date-time: date, time, any number of fractional digits, optional offset.
_DATE_TIME = re.compile(
    r"(?P<base>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<fraction>\d+))?"
    r"(?P<offset>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


class UnknownTimeZone(ValueError):
    """A time zone name that is neither a Windows nor an IANA time zone (or has no counterpart)."""

    def __init__(self, name: object, detail: str, matches: Iterable[str] = ()) -> None:
        self.name = name
        self.matches = tuple(matches)
        hint = "; close matches: " + ", ".join(repr(m) for m in self.matches) if self.matches else ""
        super().__init__(f"unknown time zone {name!r}: {detail}{hint}")


# -- the tables, loaded on first use -------------------------------------------------------------------
@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """(Windows → IANA, IANA → Windows) from the CLDR windowsZones table tzlocal ships."""
    from tzlocal import windows_tz  # the only import of tzlocal: deferred until a name is mapped

    win_tz = {w: i for w, i in windows_tz.win_tz.items() if w and i}
    tz_win = {i: w for i, w in windows_tz.tz_win.items() if i and w}  # the table has an empty key
    return win_tz, tz_win


@functools.cache
def _tzdata_zi() -> tuple[frozenset[str], dict[str, str]]:
    """(zone names, link → target) of the tz database's `tzdata.zi`, empty when there is none."""
    text = None
    for root in zoneinfo.TZPATH:
        try:
            text = (Path(root) / "tzdata.zi").read_text(encoding="utf-8")
            break
        except OSError:
            continue
    if text is None:
        try:
            from importlib.resources import files

            text = files("tzdata.zoneinfo").joinpath("tzdata.zi").read_text(encoding="utf-8")
        except (ImportError, OSError):
            return frozenset(), {}
    zones: set[str] = set()
    links: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "Z":
            zones.add(parts[1])
        elif len(parts) >= 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    return frozenset(zones), links


def _symlink_target(key: str) -> str | None:
    """The zone a symlinked zone file of the system's zoneinfo folder points to, if it is one."""
    for root in zoneinfo.TZPATH:
        path = Path(root) / key
        if path.is_symlink():
            target = Path(os.path.realpath(path))
            try:
                return target.relative_to(os.path.realpath(root)).as_posix()
            except ValueError:
                return None
    return None


@functools.cache
def _canonical(key: str) -> str:
    """The zone an IANA link names (`Asia/Calcutta` → `Asia/Kolkata`); a zone is its own."""
    _, links = _tzdata_zi()
    seen = {key}
    while key in links and links[key] not in seen:  # links name zones; the loop only guards bad data
        key = links[key]
        seen.add(key)
    if len(seen) == 1 and not links:
        return _symlink_target(key) or key
    return key


@functools.cache
def _iana_names() -> dict[str, str]:
    """Every IANA name known without scanning the disk, lower-cased → as spelled."""
    zones, links = _tzdata_zi()
    names = {*_tables()[1], *zones, *links}
    return {n.lower(): n for n in sorted(names)}


@functools.cache
def _all_iana_names() -> dict[str, str]:
    """`_iana_names()` and every zone file on the time zone path (scans the disk: slow path only)."""
    from zoneinfo import available_timezones

    return {**{n.lower(): n for n in sorted(available_timezones())}, **_iana_names()}


@functools.cache
def _windows_by_canonical() -> dict[str, str]:
    """Canonical IANA zone → Windows name, for names the CLDR table spells differently."""
    out: dict[str, str] = {}
    for iana, windows in sorted(_tables()[1].items()):
        out.setdefault(_canonical(iana), windows)
    return out


def _close_matches(name: str) -> list[str]:
    import difflib

    win_tz, _ = _tables()
    candidates = {n.lower(): n for n in win_tz} | _all_iana_names()
    return [candidates[m] for m in difflib.get_close_matches(name.lower(), list(candidates), n=5, cutoff=0.6)]


def _unknown(name: object, detail: str = "not a Windows or an IANA time zone name") -> UnknownTimeZone:
    return UnknownTimeZone(name, detail, _close_matches(name) if isinstance(name, str) else ())


@functools.cache
def _windows_names() -> dict[str, str]:
    """Windows names, lower-cased → as spelled."""
    return {w.lower(): w for w in _tables()[0]}


@functools.lru_cache(maxsize=1024)
def _lookup(name: str) -> tuple[str, str]:
    """("windows" or "iana", the name as spelled in the tables) for a zone name of either kind."""
    if not isinstance(name, str):
        raise TypeError(f"time zone name: expected str, got {type(name).__name__}")
    win_tz, _ = _tables()
    if name == _UTC:
        return "iana", _UTC
    if name in win_tz:
        return "windows", name
    iana = _iana_names()
    folded = name.strip().lower()
    if iana.get(folded) == name:
        return "iana", name
    windows = _windows_names()
    if folded in windows:
        return "windows", windows[folded]
    spelled = iana.get(folded) or _all_iana_names().get(folded)
    if spelled is not None:
        return "iana", spelled
    try:
        ZoneInfo(name)  # a zone file only this system has
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _unknown(name) from None
    return "iana", name


# -- names ---------------------------------------------------------------------------------------------
def windows_to_iana(name: str) -> str:
    """The canonical IANA zone of a Windows zone name (or of an IANA name: `US/Pacific` → `America/Los_Angeles`)."""
    kind, spelled = _lookup(name)
    if spelled == _UTC:
        return _UTC
    if kind == "windows":
        return _canonical(_tables()[0][spelled])
    return _canonical(spelled)


def iana_to_windows(zone: str | ZoneInfo) -> str:
    """The Windows zone name of an IANA zone or link (`Asia/Calcutta` → `India Standard Time`), or of a Windows name."""
    if isinstance(zone, ZoneInfo):
        if zone.key is None:
            raise UnknownTimeZone(zone, "a ZoneInfo read from a file has no key to map")
        key = zone.key
    elif isinstance(zone, str):
        key = zone
    else:
        raise TypeError(f"iana_to_windows({zone!r}): expected an IANA name or a ZoneInfo")
    _, tz_win = _tables()
    if key in tz_win:
        return tz_win[key]
    kind, spelled = _lookup(key)
    if kind == "windows":  # already a Windows name
        return spelled
    if spelled in tz_win:
        return tz_win[spelled]
    canonical = _canonical(spelled)
    found = tz_win.get(canonical) or _windows_by_canonical().get(canonical)
    if found is None:
        raise UnknownTimeZone(key, "an IANA time zone without a Windows time zone in the CLDR table")
    return found


def zone(name: str) -> ZoneInfo:
    """The `ZoneInfo` of a Windows or IANA zone name."""
    return _zone(name)


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(windows_to_iana(name))


def _zone_name(tz: tzinfo, windows: bool) -> str | None:
    """The Windows (or IANA) name of a named zone or of a whole-hour fixed offset; None otherwise."""
    key: Any = getattr(tz, "key", None) or getattr(tz, "zone", None)  # ZoneInfo, pytz
    if isinstance(key, str):
        if not windows:
            return key
        try:
            return iana_to_windows(key)
        except UnknownTimeZone:
            if _lookup(key)[0] != "iana":
                raise
            return key  # an IANA zone without a Windows one (Antarctica/Troll): Graph takes IANA names too
    offset = tz.utcoffset(None)
    if offset is None or offset % timedelta(hours=1):
        return None
    if not offset:
        return _UTC
    hours = int(offset / timedelta(hours=1))
    iana = f"Etc/GMT{-hours:+d}"  # POSIX signs: Etc/GMT+8 is eight hours behind UTC
    if not windows:
        return iana
    try:
        return iana_to_windows(iana)
    except UnknownTimeZone:
        return iana  # Graph takes IANA names too


# -- values --------------------------------------------------------------------------------------------
def _parse_local(text: str) -> datetime:
    """A date-time as Outlook and Graph write it, to the microsecond (more digits are cut, not rounded)."""
    if not isinstance(text, str):
        raise TypeError(f"dateTime: expected str, got {type(text).__name__}")
    m = _DATE_TIME.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"dateTime {text!r}: expected a date-time such as '2026-11-23T09:00:00.0000000'")
    iso = m["base"].replace(" ", "T")
    if m["fraction"]:
        iso += "." + m["fraction"][:6].ljust(6, "0")
    offset = m["offset"]
    if offset:
        iso += "+00:00" if offset in "Zz" else offset
    try:
        return datetime.fromisoformat(iso)
    except ValueError as exc:
        raise ValueError(f"dateTime {text!r}: {exc}") from None


def to_datetime(date_time: str, time_zone: str) -> datetime:
    """An aware datetime from a `DateTimeTimeZone`'s local `dateTime` text and its zone name."""
    tz = zone(time_zone)
    parsed = _parse_local(date_time)
    if parsed.tzinfo is not None:  # an offset on the text fixes the instant; show it in the zone
        return parsed.astimezone(tz)
    return parsed.replace(tzinfo=tz)


def aware(value: Any) -> datetime:
    """An aware datetime from any `DateTimeTimeZone`-like object (`date_time` and `time_zone` attributes)."""
    try:
        date_time, time_zone = value.date_time, value.time_zone
    except AttributeError:
        raise TypeError(f"aware({value!r}): expected an object with date_time and time_zone") from None
    if date_time is None or time_zone is None:
        raise ValueError(f"aware({value!r}): date_time and time_zone are both needed")
    if isinstance(date_time, datetime):
        tz = zone(time_zone)
        return date_time.astimezone(tz) if date_time.tzinfo is not None else date_time.replace(tzinfo=tz)
    return to_datetime(date_time, time_zone)


def from_datetime(dt: datetime, *, windows: bool = True) -> tuple[str, str]:
    """(local dateTime text with 7 fractional digits, zone name) of an aware datetime, for a DateTimeTimeZone."""
    if not isinstance(dt, datetime):
        raise TypeError(f"from_datetime({dt!r}): expected a datetime")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"from_datetime({dt!r}): expected an aware datetime (a naive one names no time zone)")
    name = _zone_name(dt.tzinfo, windows)
    if name is None:  # an offset no zone is named for: the same instant in UTC
        dt, name = dt.astimezone(ZoneInfo("UTC")), _UTC
    return dt.replace(tzinfo=None).isoformat(timespec="microseconds") + "0", name


def prefer_timezone(zone: str | ZoneInfo | tzinfo) -> str:
    """The value of `Prefer: outlook.timezone` for a zone (a Windows name for a `ZoneInfo`)."""
    if isinstance(zone, str):
        return _lookup(zone)[1]  # as the tables spell it; UnknownTimeZone for a name neither kind knows
    if isinstance(zone, tzinfo):
        name = _zone_name(zone, True)
        if name is None:
            raise UnknownTimeZone(zone, "neither a named zone nor a whole-hour offset")
        return name
    raise TypeError(f"prefer(timezone={zone!r}): expected a zone name, a ZoneInfo or a tzinfo")

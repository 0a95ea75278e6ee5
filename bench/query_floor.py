"""The least work that turns the typical query's five option strings into the URL odatakit sends.

Standard library only: bench/ours.py times it against odatakit's builder in one process, round by
round, and bench/peers/query_build.py times it again in the peers' process next to msgraph-sdk.

The floor is handed the five option values as strings ($select, $expand, $filter, $orderby, $top:
what a user who writes OData by hand would have) and percent-encodes each with a general encoder:
what RFC 3986 lets a query hold stays, but '&', which separates options, and '+', which some
servers read as a space; everything else becomes %XX of its UTF-8 bytes. Its fast path is the
common case, a value whose only character to encode is the space (one regex search, one
str.replace); anything else goes through urllib's quote. bench/ours.py checks that it builds
odatakit's URL to the byte. It is a floor, not a builder: odatakit also encodes those characters
inside string literals ('a&b', 'x=y'), which telling literals apart would cost.
"""

from __future__ import annotations

import re
import urllib.parse

SERVICE = "https://graph.microsoft.com/v1.0"
PATH = "me/events"
SELECT = "subject,start,end,organizer"
EXPAND = "attachments($select=name)"
FILTER = "startswith(subject,'All') and importance eq 'high' and isAllDay eq false"
ORDERBY = "start/dateTime desc"
TOP = "10"

# RFC 3986's query characters beyond the unreserved ones, less '&' and '+'.
SAFE = "!$'()*,;=:@/?"
# What needs encoding besides the space.
_OTHER = re.compile("[^A-Za-z0-9._~ " + re.escape(SAFE) + "-]")
_search = _OTHER.search
_quote = urllib.parse.quote


def encode(value: str) -> str:
    """`value` percent-encoded for a query option."""
    if _search(value) is None:
        return value.replace(" ", "%20")
    return _quote(value, safe=SAFE)


def floor_url(select: str = SELECT, expand: str = EXPAND, filter_: str = FILTER, orderby: str = ORDERBY,
              top: str = TOP) -> str:
    """The absolute URL of GET /me/events with the five options, in odatakit's order."""
    return (f"{SERVICE}/{PATH}?$select={encode(select)}&$expand={encode(expand)}&$filter={encode(filter_)}"
            f"&$orderby={encode(orderby)}&$top={encode(top)}")

"""Time building one typical Graph query URL with peer libraries; print one JSON object.

Runs under .bench-venv (see bench/peers/requirements.txt), never the project's venv, so the peers'
dependency trees cannot disturb odatakit's. Nothing here sends a request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
import statistics
import time
import urllib.parse
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRAPH = ROOT.parent / "shared" / "external" / "msgraph-metadata" / "v1.0-cleanMetadata.xml"
SUBSET = ROOT / "schemas" / "graph_v1.xml"
SERVICE = "https://graph.microsoft.com/v1.0"

SELECT = ["subject", "start", "end", "organizer"]
FILTER = "startswith(subject,'All') and importance eq 'high' and isAllDay eq false"
EXPAND = ["attachments($select=name)"]
ORDERBY = ["start/dateTime desc"]
TOP = 10

REPEATS = 7
TARGET_SECONDS = 0.2
PEERS = [
    "msgraph-sdk", "msgraph-core", "microsoft-kiota-abstractions", "microsoft-kiota-http", "azure-identity",
    "httpx", "pyodata", "requests", "lxml",
]


def per_call_us(fn: Callable[[], object]) -> tuple[float, int]:
    """Median microseconds per call over REPEATS runs of N calls, N sized so a run takes ~TARGET_SECONDS."""
    # Calibrate on a run long enough for the clock to be trustworthy; it doubles as the warm-up.
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= TARGET_SECONDS / 4:
            break
        n *= 2
    number = max(1, round(n * TARGET_SECONDS / elapsed))
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) / number * 1e6, number


def floor_url() -> str:
    """The lower bound: a dict of the five options percent-encoded onto the path."""
    options = {"$select": ",".join(SELECT), "$filter": FILTER, "$expand": ",".join(EXPAND),
               "$orderby": ",".join(ORDERBY), "$top": TOP}
    return f"{SERVICE}/me/events?" + urllib.parse.urlencode(options, quote_via=urllib.parse.quote)


def msgraph_sdk() -> Callable[[], str]:
    """A builder of the query URL written the way the msgraph-sdk docs write it."""
    from azure.identity import ClientSecretCredential
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph import GraphServiceClient
    from msgraph.generated.users.item.events.events_request_builder import EventsRequestBuilder

    # A credential asks for a token only when a request is sent, which never happens here.
    zero = "00000000-0000-0000-0000-000000000000"
    client = GraphServiceClient(credentials=ClientSecretCredential(zero, zero, "unused"),
                                scopes=["https://graph.microsoft.com/.default"])
    adapter = client.request_adapter

    def build() -> str:
        query = EventsRequestBuilder.EventsRequestBuilderGetQueryParameters(
            select=SELECT, filter=FILTER, expand=EXPAND, orderby=ORDERBY, top=TOP,
        )
        config = RequestConfiguration(query_parameters=query)
        info = client.me.events.to_get_request_information(request_configuration=config)
        # The adapter fills {+baseurl} only when it sends; this is the step it takes first.
        adapter.set_base_url_for_request_information(info)
        return info.url

    return build


async def msgraph_sdk_on_wire() -> str:
    """The URL msgraph-sdk hands to the network for the same query, caught by a transport that never sends."""
    import httpx
    from kiota_abstractions.authentication import AnonymousAuthenticationProvider
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.users.item.events.events_request_builder import EventsRequestBuilder
    from msgraph.graph_request_adapter import options
    from msgraph_core import GraphClientFactory

    # Its middleware still edits the URL after RequestInformation (me-token, %24 in names), so run it.
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"value": []})

    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url=SERVICE), options=options,
    )
    client = GraphServiceClient(request_adapter=GraphRequestAdapter(AnonymousAuthenticationProvider(), http))
    query = EventsRequestBuilder.EventsRequestBuilderGetQueryParameters(
        select=SELECT, filter=FILTER, expand=EXPAND, orderby=ORDERBY, top=TOP,
    )
    await client.me.events.get(request_configuration=RequestConfiguration(query_parameters=query))
    return seen[0]


def pyodata_note() -> str:
    """Why pyodata gives no timing: what happens when it loads Graph's metadata, and what it lacks."""
    import pyodata
    import requests
    from pyodata.v2.model import Config, PolicyFatal, PolicyIgnore

    # pyodata warns once per unknown V4 annotation: thousands of lines that would bury the report.
    logging.getLogger("pyodata").setLevel(logging.CRITICAL)
    failures = []
    for doc in (GRAPH, SUBSET):
        if not doc.exists():
            failures.append(f"{doc.name}: not found")
            continue
        xml = doc.read_bytes()
        for policy in (PolicyFatal(), PolicyIgnore()):
            try:
                pyodata.Client(SERVICE, requests.Session(), metadata=xml, config=Config(default_error_policy=policy))
            except Exception as exc:
                message = str(exc).rstrip(".")
                failures.append(f"{doc.name} with {type(policy).__name__}: {type(exc).__name__}: {message}")
            else:
                failures.append(f"{doc.name} with {type(policy).__name__}: loaded")
    versions = [name for name in dir(pyodata.Client) if name.startswith("ODATA_VERSION_")]
    return (
        f"pyodata {version('pyodata')} implements OData V2 only (Client accepts {', '.join(versions)}); "
        "Graph is V4. Loading the metadata from a string, no server: " + "; ".join(failures) + ". "
        "Why: V4 EnumTypes omit UnderlyingType (V2 parser requires it); Scale=\"variable\" reaches int() "
        "outside the error policies; V4 NavigationProperty (Type=, ContainsTarget) has no "
        "Relationship/FromRole/ToRole, so every entity type with navigation properties (user, event, group) "
        "becomes a NullType and the entity sets over them fail. Even if it loaded, pyodata has no Singleton, so "
        "`me` is not addressable, and it navigates only through V2 AssociationSets, which Graph's contained "
        "`events` lacks. Its QueryRequest does take select/filter/expand/order_by/top as strings, but only "
        "from an entity set of a parsed service."
    )


def main() -> None:
    """Print one JSON object with the timings, the URLs produced and the versions."""
    floor_us, floor_n = per_call_us(floor_url)
    build = msgraph_sdk()
    sdk_url = build()
    sdk_us, sdk_n = per_call_us(build)
    print(json.dumps({
        "query": "GET /me/events $select $filter $expand $orderby $top",
        "method": f"median of {REPEATS} runs of N builds, N sized for ~{TARGET_SECONDS} s a run; us per build",
        "floor_us": round(floor_us, 3),
        "floor_n": floor_n,
        "floor_url": floor_url(),
        "msgraph_sdk_us": round(sdk_us, 3),
        "msgraph_sdk_n": sdk_n,
        "msgraph_sdk_url": sdk_url,
        "msgraph_sdk_url_on_wire": asyncio.run(msgraph_sdk_on_wire()),
        "pyodata_us": None,
        "pyodata_note": pyodata_note(),
        "versions": {name: version(name) for name in PEERS},
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }))


if __name__ == "__main__":
    main()

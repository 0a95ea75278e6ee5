"""Time building one typical Graph query URL with msgraph-sdk, and the floor; print one JSON object.

Runs under .bench-venv (see bench/peers/requirements.txt), never the project's venv, so the peers'
dependency trees cannot disturb odatakit's. Nothing here sends a request. The floor
(bench/query_floor.py, the one bench/ours.py times next to odatakit) takes turns with msgraph-sdk's
request builder, round by round. `--pyodata` also says why pyodata gives no figure (it loads the
whole Graph twice: slow, so not part of `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRAPH = ROOT.parent / "shared" / "external" / "msgraph-metadata" / "v1.0-cleanMetadata.xml"
SUBSET = ROOT / "schemas" / "graph_v1.xml"
sys.path.insert(0, str(ROOT / "bench"))
from query_floor import EXPAND as EXPAND_TEXT  # noqa: E402
from query_floor import FILTER, SERVICE, floor_url  # noqa: E402
from query_floor import ORDERBY as ORDERBY_TEXT  # noqa: E402
from query_floor import SELECT as SELECT_TEXT  # noqa: E402
from query_floor import TOP as TOP_TEXT  # noqa: E402

# msgraph-sdk takes the options as lists and an int.
SELECT = SELECT_TEXT.split(",")
EXPAND = [EXPAND_TEXT]
ORDERBY = [ORDERBY_TEXT]
TOP = int(TOP_TEXT)

REPEATS = 7
TARGET_SECONDS = 0.15
PEERS = [
    "msgraph-sdk", "msgraph-core", "microsoft-kiota-abstractions", "microsoft-kiota-http", "azure-identity",
    "httpx", "pyodata", "requests", "lxml",
]


def calls_per_round(fn: Callable[[], object]) -> int:
    """How many calls of `fn` take about TARGET_SECONDS (the calibration doubles as the warm-up)."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= TARGET_SECONDS / 4:
            return max(1, round(n * TARGET_SECONDS / elapsed))
        n *= 2


def per_call_rounds(contenders: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
    """Microseconds per call of each contender, one figure per round, contenders taking turns."""
    numbers = {name: calls_per_round(fn) for name, fn in contenders.items()}
    names = list(contenders)
    out: dict[str, list[float]] = {name: [] for name in names}
    for turn in range(REPEATS):
        for name in names[turn % len(names):] + names[:turn % len(names)]:
            fn, number = contenders[name], numbers[name]
            start = time.perf_counter()
            for _ in range(number):
                fn()
            out[name].append((time.perf_counter() - start) / number * 1e6)
    return out


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pyodata", action="store_true", help="also load Graph's metadata with pyodata")
    args = parser.parse_args()
    build = msgraph_sdk()
    sdk_url = build()
    rounds = per_call_rounds({"floor": floor_url, "msgraph_sdk": build})
    print(json.dumps({
        "query": "GET /me/events $select $filter $expand $orderby $top",
        "method": f"{REPEATS} rounds, the two taking turns, each N builds sized for ~{TARGET_SECONDS} s; us per build",
        "us": rounds,
        "floor_url": floor_url(),
        "msgraph_sdk_url": sdk_url,
        "msgraph_sdk_url_on_wire": asyncio.run(msgraph_sdk_on_wire()),
        "pyodata_note": pyodata_note() if args.pyodata else None,
        "versions": {name: version(name) for name in PEERS},
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }))


if __name__ == "__main__":
    main()

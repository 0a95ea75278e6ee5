"""msgraph-sdk's cold start: this process, from interpreter start to its first typed page of events.

Runs under .bench-venv: `python bench/peers/cold_start.py URL`, URL being bench/server.py's. bench/run.py
times the whole process from outside, taking turns with odatakit's and the floor's processes. It imports
what an application sending with msgraph-sdk imports, builds a GraphServiceClient (msgraph-core's default
middleware over httpx, anonymous authentication, the base URL pointing at the server), sends one
`await client.me.events.get()` and checks the 50 typed Events; then it exits. It prints the number of
modules loaded.
"""

import asyncio
import sys


async def first_page(base_url: str) -> None:
    """One GET of /me/events through a real GraphServiceClient; the page checked."""
    import httpx
    from kiota_abstractions.authentication import AnonymousAuthenticationProvider
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.models.event import Event
    from msgraph.graph_request_adapter import options
    from msgraph_core import GraphClientFactory

    async with httpx.AsyncClient(base_url=base_url) as http:
        client = GraphServiceClient(request_adapter=GraphRequestAdapter(
            AnonymousAuthenticationProvider(), GraphClientFactory.create_with_default_middleware(client=http,
                                                                                                options=options)))
        page = await client.me.events.get()
    assert page is not None and page.value is not None and len(page.value) == 50
    last = page.value[-1]
    assert isinstance(last, Event) and last.attendees is not None and len(last.attendees) == 3


if __name__ == "__main__":
    asyncio.run(first_page(sys.argv[1].rstrip("/") + "/v1.0"))
    print(len(sys.modules))

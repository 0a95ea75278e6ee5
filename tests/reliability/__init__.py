"""The runtime under faults, at scale: scenarios against tests/faultserver.py that count what happened.

Each scenario starts a `FaultServer` on 127.0.0.1, drives a generated client (the `fx_keys`
package of tests/fixtures/csdl/keys.xml: `ShopClient`, `client.customers`) through it, and
returns `Figures`: requests, faults injected by kind, retries (by the request and by the page),
items delivered, lost and duplicated, wall time, and the checks it made.

- `scenarios.paging`: a collection read with a plain `async for` under faults;
- `scenarios.delta`: two delta rounds under faults, the second from the first one's token;
- `scenarios.burst`: many concurrent requests through `Client(limit=...)` with 429s;
- `scenarios.cancellation`: random cancellation in a `python -X dev -W error::ResourceWarning`
  subprocess (`tests/reliability/cancel.py`);
- `scenarios.hostile`: hostile answers, each a typed `ODataError` or the right result.

`python -m tests.reliability` runs them at the small sizes of the test suite
(tests/test_reliability.py), `--full` at full size, printing the table and writing
docs/reliability.md (`make reliability`).
"""

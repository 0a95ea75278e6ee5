"""Time msgraph-sdk's cold start: a fresh interpreter up to its first typed page of events; print one JSON object.

Runs under .bench-venv. `python bench/peers/cold_start.py`. Each sample is the wall-clock time of one fresh
`sys.executable -c CODE` process, measured from outside: interpreter start, `import` of msgraph-sdk's Event
model and kiota's JSON parse node factory, structuring a 50-event page (bench/events.py's page_bytes(50),
read from a file) into typed Events, exit. Base lines: a process that only does `import httpx` (the HTTP
stack msgraph-sdk sends with) and one that does nothing. Medians of RUNS processes each; bytecode caches are
warm, as after any install.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from events import page_bytes  # noqa: E402

RUNS = 7
PAGE_SIZE = 50

FIRST_PAGE = f"""
import sys
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph.generated.models.event import Event
with open(sys.argv[1], "rb") as page:
    data = page.read()
events = (JsonParseNodeFactory().get_root_parse_node("application/json", data)
          .get_child_node("value").get_collection_of_object_values(Event))
assert len(events) == {PAGE_SIZE} and isinstance(events[-1], Event)
assert events[-1].subject == "Meeting {PAGE_SIZE - 1}" and len(events[-1].attendees) == 3
print(len(sys.modules))
"""
HTTPX = "import sys, httpx\nprint(len(sys.modules))"
NOTHING = "import sys\nprint(len(sys.modules))"


def sample(code: str, workdir: Path, page: Path) -> tuple[float, int]:
    """Wall-clock seconds of one fresh `python -c code page` process, and the module count it printed."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(page)], cwd=workdir, check=True,
                          stdout=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, int(done.stdout.split()[-1])


def median_sample(code: str, workdir: Path, page: Path) -> tuple[float, int]:
    """Median seconds over RUNS fresh processes, and the module count of the first."""
    samples = [sample(code, workdir, page) for _ in range(RUNS)]
    return statistics.median(seconds for seconds, _ in samples), samples[0][1]


def main() -> None:
    """Print one JSON object with the medians, the module counts and the version."""
    with tempfile.TemporaryDirectory() as tmp:
        # An empty working directory: `-c` puts it first on sys.path, where stray modules would shadow real ones.
        workdir = Path(tmp)
        page = workdir / "page.json"
        page.write_bytes(page_bytes(PAGE_SIZE))
        sample(FIRST_PAGE, workdir, page)  # a first process to fill the OS file cache, not counted
        cold, modules = median_sample(FIRST_PAGE, workdir, page)
        base, base_modules = median_sample(HTTPX, workdir, page)
        python, python_modules = median_sample(NOTHING, workdir, page)
    print(json.dumps({
        "cold_start_s": round(cold, 4),
        "base_s": round(base, 4),
        "python_s": round(python, 4),
        "modules": modules,
        "base_modules": base_modules,
        "python_modules": python_modules,
        "runs": RUNS,
        "method": f"median of {RUNS} fresh `python -c` processes, wall clock from outside; cold_start: import "
                  f"Event + JsonParseNodeFactory, structure a {PAGE_SIZE}-event page into typed Events; base: "
                  "import httpx; python: nothing",
        "version": version("msgraph-sdk"),
    }))


if __name__ == "__main__":
    main()

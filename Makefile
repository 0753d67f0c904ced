PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED_NUMA := ../shared/bench/numa
BENCH_OUT := build/bench
PYTEST_ARGS ?= -n auto --dist loadgroup

.PHONY: run demo test bench clean keystone tempest

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Tessera needs Python >= 3.11 (make PYTHON=python3.11 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Re-installs only when pyproject.toml changes; the package itself is editable.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

run: $(STAMP)
	$(BIN)/tessera up

demo: $(STAMP)
	$(BIN)/tessera numa demo --hosts etc/hosts.yaml --flavors etc/flavors.yaml

test: $(STAMP)
	scripts/install-libvirt.sh --daemon
	scripts/build-test-guest.sh || echo "no test guest: the real-libvirt tests skip (fail under CI) saying why"
	scripts/install-chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A throwaway Keystone (pinned, SQLite, Fernet) on 127.0.0.1:5001 with Tessera's
# catalog for TESSERA_URL; `tools/keystone.py stop` stops it.
TESSERA_URL ?= http://127.0.0.1:8774
keystone: $(STAMP)
	$(BIN)/python tools/keystone.py up --tessera-url $(TESSERA_URL)

# Tempest (pinned) against Keystone and `tessera up --auth keystone`: the slice of
# tools/tempest/slice.txt, or TEMPEST_ARGS="--regex '^tempest\.api\.compute\.'".
TEMPEST_ARGS ?=
tempest: $(STAMP)
	$(BIN)/python tools/tempest.py $(TEMPEST_ARGS)

bench: $(STAMP)
	@if [ ! -d $(SHARED_NUMA) ]; then echo "no $(SHARED_NUMA): nothing to bench"; exit 0; fi; \
	mkdir -p $(BENCH_OUT) && \
	$(BIN)/python bench/numa.py $(SHARED_NUMA)/*.json --verdicts $(BENCH_OUT)/numa.jsonl && \
	for w in $(SHARED_NUMA)/*.json; do \
		$(BIN)/python $(SHARED_NUMA)/check_verdicts.py $$w $(BENCH_OUT)/numa.jsonl || exit 1; \
		nova=$(SHARED_NUMA)/nova/$$(basename $$w .json).jsonl; \
		if [ -f $$nova ]; then \
			$(BIN)/python $(SHARED_NUMA)/compare_nova.py $$w $(BENCH_OUT)/numa.jsonl $$nova || exit 1; \
		fi; \
	done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

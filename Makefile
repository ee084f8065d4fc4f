# Rapport: the two commands a newcomer runs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench lint lock clean

install: $(STAMP)

# Reinstall whenever the lock, the project metadata or the C fold kernels change.
$(STAMP): requirements.lock pyproject.toml $(wildcard src/rapport/profiles/_kernels*.[ch])
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: install
	$(BIN)/rapport demo

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m benchmarks.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Regenerate the lock after changing dependencies in pyproject.toml (needs `uv`).
lock:
	uv pip compile pyproject.toml requirements-build.in --extra dev --python-version 3.11 \
		--generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

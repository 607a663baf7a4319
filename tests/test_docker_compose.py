"""docker-compose.yml cannot run here (no Docker engine); check it parses and references what exists."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from pipelines.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_compose_defines_app_and_ollama_with_a_model_pull_and_volumes() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"app", "ollama", "ollama-pull"} <= set(services)
    assert services["ollama"]["image"].startswith("ollama/ollama")
    assert services["ollama-pull"]["entrypoint"][-1] == "deepseek-r1:7b"
    app = services["app"]
    assert (ROOT / app["build"]["context"] / app["build"]["dockerfile"]).is_file()
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])}
    assert named <= set(compose["volumes"])
    assert app["depends_on"]["ollama-pull"]["condition"] == "service_completed_successfully"


def test_compose_api_service_serves_with_sign_in_on_its_own_data_dir() -> None:
    from pipelines.core.serving import check_bind

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    api = services["api"]
    assert api["command"][:2] == [".venv/bin/assistant", "serve"]
    host = api["command"][api["command"].index("--host") + 1]
    port = api["command"][api["command"].index("--port") + 1]
    assert api["ports"] == [f"{port}:{port}"]
    for name in ("app", "api"):  # both listen on every interface of their container: sign-in is required
        check_bind(host, services[name]["environment"]["ASSISTANT_AUTH__MODE"])
    # one server per data dir (pipelines/core/serving.py): the API does not share the app's volume
    assert {v.split(":")[0] for v in api["volumes"]}.isdisjoint(
        v.split(":")[0] for v in services["app"]["volumes"]
    )


def test_compose_environment_is_understood_by_the_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for key, value in compose["services"]["app"]["environment"].items():
        monkeypatch.setenv(key, str(value))
    settings = Settings()
    assert settings.ollama.hosts == json.loads(
        compose["services"]["app"]["environment"]["ASSISTANT_OLLAMA__HOSTS"]
    )
    assert settings.ollama.model == "deepseek-r1:7b"
    assert str(settings.data_dir) == "/data"


def test_dockerfile_copies_every_package_and_runs_the_readme_setup() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ["app", "cli", "api", "pipelines", "domains", "ingest", "privacy"]:
        assert f"COPY {package} ./{package}" in dockerfile
    assert "make setup" in dockerfile
    assert "app/main.py" in dockerfile

"""The compose files cannot run here (no Docker engine), so the Compose Specification schema is the check: every
compose file of the repository is parsed, interpolated as Compose does and validated against the schema
(``tests/fixtures/compose/compose-spec.json``, see its SOURCE.md), then checked for what ``docker compose config``
and the product would refuse: unknown services, undeclared volumes, missing files, settings the product does not
understand, Prometheus targets that serve no metrics."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pipelines.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "compose" / "compose-spec.json").read_text())
COMPOSE_FILES = sorted({*ROOT.glob("docker-compose*.yml"), *ROOT.glob("compose*.yml")})
#: What an operator sets before `docker compose up` (the values are made up): the database password (both files),
#: vLLM's key and model folder (compose.vllm.yml).
OPERATOR_ENV = {
    "POSTGRES_PASSWORD": "p" * 24,
    "ASSISTANT_VAULT_KEY": "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e8=",
    "VLLM_API_KEY": "k" * 32,
    "VLLM_MODEL_DIR": "/srv/models/DeepSeek-R1-Distill-Qwen-7B",
}
REQUIRED = {
    "docker-compose.yml": {"POSTGRES_PASSWORD", "ASSISTANT_VAULT_KEY"},
    "compose.vllm.yml": set(OPERATOR_ENV),
}

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


class InterpolationError(ValueError):
    """A required variable (``${VAR:?message}``) is unset."""


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's variable interpolation (compose-spec ``interpolation.md``): ``$$``, ``$VAR``, ``${VAR}``,
    ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?err}``, ``${VAR?err}``, ``${VAR:+alt}``, ``${VAR+alt}``,
    applied to every string of a parsed compose file (keys are not interpolated)."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        op, arg = match["op"], match["arg"] or ""
        unset_or_empty = not env.get(name) if op and op.startswith(":") else name not in env
        if op in {":-", "-"}:
            return arg if unset_or_empty else env[name]
        if op in {":?", "?"}:
            if unset_or_empty:
                raise InterpolationError(f"{name}: {arg}")
            return env[name]
        if op in {":+", "+"}:
            return "" if unset_or_empty else arg
        return env.get(name, "")

    return _VARIABLE.sub(substitute, value)


def load(path: Path, env: Mapping[str, str] = OPERATOR_ENV) -> dict[str, Any]:
    """A compose file as Compose sees it: YAML (with anchors and merge keys), then interpolation."""
    parsed = yaml.safe_load(path.read_text())
    return dict(interpolate(parsed, env))


def _named_volumes(service: Mapping[str, Any]) -> set[str]:
    sources = (str(volume).split(":")[0] for volume in service.get("volumes", []))
    return {source for source in sources if not source.startswith((".", "/", "~"))}


def _bind_sources(service: Mapping[str, Any]) -> set[str]:
    return {str(volume).split(":")[0] for volume in service.get("volumes", []) if str(volume).startswith(".")}


def _dependencies(service: Mapping[str, Any]) -> set[str]:
    depends = service.get("depends_on", [])
    return set(depends if isinstance(depends, list) else depends.keys())


def test_every_compose_file_is_found() -> None:
    assert {path.name for path in COMPOSE_FILES} == {"docker-compose.yml", "compose.vllm.yml"}


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_compose_file_is_valid_under_the_compose_specification(path: Path) -> None:
    compose = load(path)
    jsonschema.Draft7Validator(SCHEMA).validate(compose)
    services = compose["services"]
    for name, service in services.items():
        assert _dependencies(service) <= set(services), f"{path.name}: {name} depends on an unknown service"
        assert _named_volumes(service) <= set(compose.get("volumes", {})), (
            f"{path.name}: {name}: undeclared volume"
        )
        for source in _bind_sources(service):
            assert (ROOT / source).is_file(), f"{path.name}: {name} mounts missing {source}"
        if "build" in service:
            build = service["build"]
            assert (ROOT / build["context"] / build["dockerfile"]).is_file()


def test_the_schema_check_can_fail() -> None:
    """The validator rejects what Compose rejects (a misspelt key, a wrong type), so the test above means something."""
    compose = load(ROOT / "docker-compose.yml")
    misspelt = {
        **compose,
        "services": {**compose["services"], "api": {**compose["services"]["api"], "port": []}},
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(misspelt)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate({**compose, "volumes": ["not-a-mapping"]})


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("$$SET ${SET} $SET ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${SET:+a} ${UNSET+a}", env) == (
        "$SET x x d  d a "
    )
    with pytest.raises(InterpolationError, match="UNSET: say why"):
        interpolate("${UNSET:?say why}", env)


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_compose_refuses_to_start_without_what_the_operator_must_set(path: Path) -> None:
    for missing in REQUIRED[path.name]:
        with pytest.raises(InterpolationError, match=missing):
            load(path, {k: v for k, v in OPERATOR_ENV.items() if k != missing})
    load(path, {k: v for k, v in OPERATOR_ENV.items() if k in REQUIRED[path.name]})


def test_compose_defines_app_and_ollama_with_a_model_pull_and_volumes() -> None:
    services = load(ROOT / "docker-compose.yml")["services"]
    assert {"app", "api", "ollama", "ollama-pull", "prometheus"} <= set(services)
    assert services["ollama"]["image"].startswith("ollama/ollama")
    assert services["ollama-pull"]["entrypoint"][-1] == "deepseek-r1:7b"
    assert services["app"]["depends_on"]["ollama-pull"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_compose_api_service_serves_with_sign_in_on_its_own_data_dir(path: Path) -> None:
    from pipelines.core.serving import check_bind

    services = load(path)["services"]
    api = services["api"]
    assert api["command"][:2] == [".venv/bin/assistant", "serve"]
    host = api["command"][api["command"].index("--host") + 1]
    port = api["command"][api["command"].index("--port") + 1]
    assert api["ports"] == [f"{port}:{port}"]
    for name in ("app", "api"):  # both listen on every interface of their container: sign-in is required
        check_bind(host, services[name]["environment"]["ASSISTANT_AUTH__MODE"])

    # one server per data dir (pipelines/core/serving.py): the API does not share the app's data dir; they share
    # only the secrets folder (vault key, operator and account secrets), so either serves the shared stores
    def mounts(service: Mapping[str, Any]) -> dict[str, str]:
        return {str(v).split(":")[1]: str(v).split(":")[0] for v in service["volumes"]}

    app_mounts, api_mounts = mounts(services["app"]), mounts(api)
    assert app_mounts["/data"] != api_mounts["/data"]
    assert app_mounts["/data/vault"] == api_mounts["/data/vault"]
    assert {target for target, source in api_mounts.items() if app_mounts.get(target) == source} == {
        "/data/vault"
    }


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_app_and_api_share_the_chroma_server_and_postgresql(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib.metadata import version

    services = load(path)["services"]
    assert services["chroma"]["image"] == f"chromadb/chroma:{version('chromadb')}"  # the client tested here
    postgres = services["postgres"]
    assert "-h" in postgres["healthcheck"]["test"]  # TCP: the init server answers on the socket only
    assert "ports" not in services["chroma"] and "ports" not in postgres  # the compose network only
    for name in ("app", "api"):
        settings = _settings_of(services[name], monkeypatch)
        assert settings.store.mode == "http"
        assert (settings.store.chroma_host, settings.store.chroma_port) == ("chroma", 8000)
        assert settings.database.url is not None
        url = settings.database.url.get_secret_value()
        expected = postgres["environment"]
        assert url == (
            f"postgresql+psycopg://{expected['POSTGRES_USER']}:{expected['POSTGRES_PASSWORD']}"
            f"@postgres:5432/{expected['POSTGRES_DB']}"
        )
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["restart"] == "unless-stopped"  # the API exits while no user exists yet
        assert settings.privacy.vault_key == OPERATOR_ENV["ASSISTANT_VAULT_KEY"]  # one key for every replica


def _settings_of(service: Mapping[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in [key for key in os.environ if key.startswith("ASSISTANT_")]:
        monkeypatch.delenv(key)
    for key, value in service["environment"].items():
        monkeypatch.setenv(key, str(value))
    return Settings()


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_compose_environment_is_understood_by_the_settings(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = load(path)["services"]
    for name in ("app", "api"):
        environment = services[name]["environment"]
        unknown = {
            key
            for key in environment
            if key.split("__")[0].removeprefix("ASSISTANT_").lower() not in Settings.model_fields
        }
        assert not unknown, f"{path.name}: {name}: settings that do not exist: {unknown}"
        settings = _settings_of(services[name], monkeypatch)
        assert str(settings.data_dir) == "/data"
        if settings.llm.backend == "openai":  # compose.vllm.yml: the model name is the one vLLM serves
            vllm = services["vllm"]["command"]
            assert settings.openai.model == vllm[vllm.index("--served-model-name") + 1]
            assert [str(host) for host in settings.openai.hosts] == [
                f"http://vllm:{vllm[vllm.index('--port') + 1]}/v1"
            ]
            assert settings.openai.api_key is not None
            assert (
                settings.openai.api_key.get_secret_value() == services["vllm"]["environment"]["VLLM_API_KEY"]
            )
        else:
            assert settings.ollama.hosts == json.loads(environment["ASSISTANT_OLLAMA__HOSTS"])
            assert settings.ollama.model == services["ollama-pull"]["entrypoint"][-1]


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_prometheus_scrapes_the_metrics_the_services_serve(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = load(path)["services"]
    mount = next(
        v for v in services["prometheus"]["volumes"] if v.endswith("/etc/prometheus/prometheus.yml:ro")
    )
    scrape = yaml.safe_load((ROOT / mount.split(":")[0]).read_text())
    targets = {
        target: job["metrics_path"]
        for job in scrape["scrape_configs"]
        for config in job["static_configs"]
        for target in config["targets"]
    }
    api = services["api"]["command"]
    app_metrics = _settings_of(services["app"], monkeypatch).metrics
    assert app_metrics.port is not None and app_metrics.host == "0.0.0.0"  # reachable on the compose network
    assert targets == {
        f"api:{api[api.index('--port') + 1]}": "/metrics",
        f"app:{app_metrics.port}": "/metrics",
    }
    assert not any(str(app_metrics.port) in str(port) for port in services["app"]["ports"])  # not published
    assert all(str(port).startswith("127.0.0.1:") for port in services["prometheus"]["ports"])


def test_dockerfile_copies_every_package_and_runs_the_readme_setup() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ["app", "cli", "api", "pipelines", "domains", "ingest", "privacy"]:
        assert f"COPY {package} ./{package}" in dockerfile
    assert "make setup" in dockerfile
    assert "app/main.py" in dockerfile


def test_vendored_schema_is_the_shared_one() -> None:
    shared = ROOT.parent / "shared" / "schemas" / "compose-spec.json"
    if not shared.is_file():
        pytest.skip("../shared is not beside this clone")
    assert json.loads(shared.read_text()) == SCHEMA

"""Discovering and validating domain folders."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from domains.config import DomainConfig
from domains.relations_config import RelationsConfig
from domains.risk_config import RiskConfig

__all__ = ["DomainError", "default_domains_dir", "load_domains", "load_yaml_model", "sample_corpus_files"]

M = TypeVar("M", bound=BaseModel)

#: ``domain.yaml`` keys whose string value names a YAML file in the domain folder: key -> (model, what it holds).
_FILE_KEYS: dict[str, tuple[type[BaseModel], str]] = {
    "risk": (RiskConfig, "risk rules"),
    "relations": (RelationsConfig, "relation rules"),
}

_SKIP_FILES = {"SOURCE.md", "NOTICE.md", "LICENSE", "LICENSE.md", "README.md"}


class DomainError(Exception):
    """A domain folder is missing or its ``domain.yaml`` is invalid."""


def default_domains_dir() -> Path:
    """The packaged ``domains/`` folder."""
    return Path(str(files("domains")))


def load_domains(directory: Path | None = None) -> dict[str, DomainConfig]:
    """Load every ``<directory>/<name>/domain.yaml``, validated, keyed by name, in name order.

    Raises:
        DomainError: No domain found, a YAML file is malformed or invalid, or a name differs from its folder.
    """
    root = directory or default_domains_dir()
    domains: dict[str, DomainConfig] = {}
    for path in sorted(root.glob("*/domain.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            if isinstance(raw, dict):
                for key, (model, what) in _FILE_KEYS.items():
                    if isinstance(raw.get(key), str):
                        raw[key] = load_yaml_model(path.parent / raw[key], model, what)
            config = DomainConfig(**raw, folder=path.parent)
        except (yaml.YAMLError, TypeError) as exc:
            raise DomainError(f"{path}: not a YAML mapping ({exc})") from exc
        except ValidationError as exc:
            raise DomainError(f"{path}: invalid domain config: {exc}") from exc
        if config.name != path.parent.name:
            raise DomainError(f"{path}: name {config.name!r} differs from its folder {path.parent.name!r}")
        domains[config.name] = config
    if not domains:
        raise DomainError(f"no domain folders with a domain.yaml under {root}")
    return domains


def load_yaml_model(path: Path, model: type[M], what: str) -> M:
    """Read ``path`` (a YAML mapping in a domain folder) into ``model``.

    Args:
        path: The YAML file.
        model: The pydantic model it must validate against.
        what: What the file holds, for messages ("risk rules", "code modes").

    Raises:
        DomainError: The file cannot be read, is not a YAML mapping, or is invalid (the message names the
            file and the field).
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model(**raw)
    except OSError as exc:
        raise DomainError(f"{path}: cannot read the {what} ({exc.strerror})") from exc
    except (yaml.YAMLError, TypeError) as exc:
        raise DomainError(f"{path}: not a YAML mapping ({exc})") from exc
    except ValidationError as exc:
        raise DomainError(f"{path}: invalid {what}: {exc}") from exc


def sample_corpus_files(domain: DomainConfig) -> list[Path]:
    """The shipped sample documents of ``domain`` (attribution files excluded), sorted."""
    corpus = domain.corpus_dir
    if corpus is None:
        return []
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.name not in _SKIP_FILES)

"""``auth.secret``: replicas share the accounts secret through the setting; the hex content of a data dir's
``vault/accounts.secret`` (what ``assistant migrate`` tells operators to carry over) keeps that data dir's API
keys valid, and another secret does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from pipelines.accounts.store import AuthError
from pipelines.core.settings import load_settings
from pipelines.services import Models, Services


def _services(data_dir: Path, models: Models, secret: str | None) -> Services:
    settings = load_settings(data_dir=data_dir)
    settings.auth.mode = "local"
    settings.auth.secret = SecretStr(secret) if secret is not None else None
    return Services(settings, models)


def test_the_accounts_secret_file_content_keeps_keys_valid(tmp_path: Path, models: Models) -> None:
    first = _services(tmp_path / "one", models, None)
    first.accounts.add_user("alice", "agent", "alice has a long password")
    key = first.accounts.create_key("alice", "crm").key
    file_secret = (tmp_path / "one" / "vault" / "accounts.secret").read_text().strip()

    same_store = tmp_path / "one"  # the same accounts (SQLite file), now with the secret from the setting
    carried = _services(same_store, models, file_secret)
    user, _key = carried.accounts.authenticate(key)
    assert user.name == "alice"
    assert carried.session_label_secret == first.session_label_secret

    other = _services(same_store, models, "another long random secret of this deployment")
    with pytest.raises(AuthError):
        other.accounts.authenticate(key)

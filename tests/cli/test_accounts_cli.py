"""``assistant users`` and ``assistant keys``: the contract of issue 18, in process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_runner import run


def test_users_and_keys_lifecycle(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = run("users", "add", "Root", "--role", "admin", "--password-stdin", "--json", data_dir=data,
                stdin="a long enough password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) | {"created_at": ""} == {
        "name": "root", "role": "admin", "disabled": False, "created_at": "", "domains": []
    }  # fmt: skip
    run(
        "users",
        "add",
        "ana",
        "--role",
        "agent",
        "--password-stdin",
        data_dir=data,
        stdin="another long password\n",
    )
    listed = json.loads(run("users", "list", "--json", data_dir=data).stdout)["users"]
    assert [(u["name"], u["role"], u["domains"]) for u in listed] == [
        ("ana", "agent", ["finance"]),
        ("root", "admin", []),
    ]

    created = run(
        "keys", "create", "--user", "ana", "--name", "crm", "--expires-days", "30", "--json", data_dir=data
    )
    key = json.loads(created.stdout)
    assert key["key"].startswith(f"ak_{key['prefix']}_") and key["expires_at"]
    keys = run("keys", "list", "--json", data_dir=data)
    assert key["key"] not in keys.stdout and json.loads(keys.stdout)["keys"][0]["name"] == "crm"
    plain = run("keys", "create", "--user", "ana", "--name", "cli", data_dir=data)
    assert plain.stdout.strip().startswith("ak_") and "shown once" in plain.stderr
    assert run("keys", "revoke", "crm", data_dir=data).returncode == 0
    assert json.loads(run("keys", "list", "--json", data_dir=data).stdout)["keys"][1]["revoked_at"]
    assert run("users", "disable", "ana", data_dir=data).returncode == 0
    assert json.loads(run("users", "list", "--json", data_dir=data).stdout)["users"][0]["disabled"] is True
    assert run("users", "enable", "ana", data_dir=data).stdout.strip() == "enabled user ana"
    assert json.loads(run("users", "list", "--json", data_dir=data).stdout)["users"][0]["disabled"] is False
    assert (
        run(
            "users", "passwd", "root", "--password-stdin", data_dir=data, stdin="a new long password!\n"
        ).returncode
        == 0
    )


def test_bad_input_is_one_error_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cases = [
        (("users", "add", "x", "--role", "boss", "--password-stdin"), "a long enough password\n", "unknown role 'boss'"),
        (("users", "add", "x", "--role", "agent", "--password-stdin"), "short\n", "password is too short"),
        (("users", "add", "bad name!", "--role", "agent", "--password-stdin"), "a long enough password\n",
         "invalid user name"),
        (("keys", "create", "--user", "ghost", "--name", "k"), None, "no user 'ghost'"),
        (("keys", "revoke", "ghost"), None, "no key named 'ghost'"),
        (("users", "disable", "ghost"), None, "no user 'ghost'"),
    ]  # fmt: skip
    for args, stdin, message in cases:
        done = run(*args, data_dir=data, stdin=stdin)
        assert done.returncode == 1, args
        assert done.stderr.strip().startswith("error: ") and message in done.stderr, (args, done.stderr)
    run(
        "users",
        "add",
        "x",
        "--role",
        "agent",
        "--password-stdin",
        data_dir=data,
        stdin="a long enough password\n",
    )
    again = run(
        "users", "add", "X", "--role", "agent", "--password-stdin", data_dir=data, stdin="a long enough pw!\n"
    )
    assert "already exists" in again.stderr

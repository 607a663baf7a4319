"""``assistant users`` and ``assistant keys``: local accounts and API keys (``auth.mode: local``)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.context import emit, services

__all__ = ["keys_app", "users_app"]

users_app = typer.Typer(help="Local accounts: add, list, disable, set a password.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)


def _read_password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (a-z 0-9 . _ -).")],
    role: Annotated[str, typer.Option("--role", help="admin|agent|clinician|developer.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the user as JSON.")] = False,
) -> None:
    """Create a user (asks for a password, at least 12 characters)."""
    password = _read_password(password_stdin)
    user = services(ctx).accounts.add_user(name, role, password)
    if as_json:
        emit(user.to_json_dict())
    else:
        typer.echo(f"added user {user.name} ({user.role})")


@users_app.command("list")
def list_users(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False
) -> None:
    """List users: name, role, state, created."""
    users = services(ctx).accounts.users()
    if as_json:
        emit({"users": [u.to_json_dict() for u in users]})
        return
    for user in users:
        state = "disabled" if user.disabled else "active"
        typer.echo(f"{user.name}\t{user.role}\t{state}\t{user.created_at}")


@users_app.command("disable")
def disable_user(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable a user: no sign-in, every key refused."""
    user = services(ctx).accounts.disable(name)
    typer.echo(f"disabled user {user.name}")


@users_app.command("enable")
def enable_user(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Enable a disabled user again: sign-in and their (unrevoked, unexpired) keys work again."""
    user = services(ctx).accounts.enable(name)
    typer.echo(f"enabled user {user.name}")


@users_app.command("erase")
def erase(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the receipt as JSON.")] = False,
) -> None:
    """Erase a user: every session they own (vault and turns), their private documents, their keys and their
    account; prints a receipt."""
    from pipelines.accounts import erase_user

    built = services(ctx)
    receipt = erase_user(
        built.accounts, built.conversations, name, lambda user: len(built.catalog.erase_owner(user))
    )
    if as_json:
        emit(receipt.to_dict())
    else:
        typer.echo(receipt.summary())


@users_app.command("passwd")
def set_password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
) -> None:
    """Set a user's password."""
    services(ctx).accounts.set_password(name, _read_password(password_stdin, "New password"))
    typer.echo(f"password of {name} set")


@keys_app.command("create")
def create_key(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="The key's user.")],
    name: Annotated[str, typer.Option("--name", help="A unique name for the key (to list and revoke it).")],
    expires_days: Annotated[int | None, typer.Option("--expires-days", help="Valid this many days.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"key", "prefix", ...}.')] = False,
) -> None:
    """Create an API key; it is printed once and stored only as a keyed hash."""
    created = services(ctx).accounts.create_key(user, name, expires_days)
    if as_json:
        emit(created.to_json_dict())
        return
    typer.echo(created.key)
    typer.echo(
        f"key {created.record.name} for {created.record.user} (prefix {created.record.prefix}"
        + (f", expires {created.record.expires_at}" if created.record.expires_at else "")
        + "): shown once, store it now",
        err=True,
    )


@keys_app.command("list")
def list_keys(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False
) -> None:
    """List keys: name, user, prefix, created, expires, revoked (never the keys)."""
    keys = services(ctx).accounts.keys()
    if as_json:
        emit({"keys": [k.to_json_dict() for k in keys]})
        return
    for key in keys:
        state = f"revoked {key.revoked_at}" if key.revoked_at else f"expires {key.expires_at or 'never'}"
        typer.echo(f"{key.name}\t{key.user}\tak_{key.prefix}_…\t{key.created_at}\t{state}")


@keys_app.command("revoke")
def revoke_key(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key (refused from now on)."""
    key = services(ctx).accounts.revoke(name)
    typer.echo(f"revoked key {key.name} of {key.user} at {key.revoked_at}")

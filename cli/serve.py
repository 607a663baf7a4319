"""``assistant serve``: the REST API (OpenAI-compatible ``/v1`` and the product's ``/api``) with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import services
from pipelines import AssistantError
from pipelines.core.serving import check_bind, claim_server

__all__ = ["serve"]


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Interface to listen on (default: settings api.host).")
    ] = "",
    port: Annotated[int, typer.Option("--port", help="TCP port (default: settings api.port).")] = 0,
) -> None:
    """Serve the REST API until interrupted (OpenAPI page at /docs)."""
    from api import create_app
    from api.server import run

    built = services(ctx)
    settings = built.settings
    host = host or settings.api.host
    port = port or settings.api.port
    check_bind(host, settings.auth.mode)
    accounts = built.accounts if settings.auth.mode == "local" else None
    if accounts is not None and not accounts.users():
        raise AssistantError(
            "auth.mode is 'local' but there are no users: create one with "
            "`assistant users add NAME --role admin` and a key with `assistant keys create`"
        )
    claim_server(settings.data_dir, f"assistant serve on {host}:{port}")
    _ = built.deidentifier  # load the models before accepting requests
    app = create_app(built, accounts, built.session_label_secret)
    typer.echo(
        f"serving the API on http://{host}:{port} (auth: {settings.auth.mode}; docs at /docs)", err=True
    )
    run(app, host, port)

"""Input checks shared by the endpoints, so that the same mistake gets the same status everywhere.

- A domain the server does not know is 400 (bad input; the message lists the known ones); a known domain the
  caller's role may not use is 403 (:func:`usable_domain`).
- A backend name other than auto, ollama, openai or llamacpp is 400 (:func:`check_backend`); 503 stays for a known
  backend that is unreachable.
- Neither message repeats the unknown name (a client may put anything in a field, a customer's name too).
- A text over its length limit is 400, the message giving its length and the limit (:func:`check_length`):
  the limits of the flows themselves (20,000 characters for a question or a customer message), checked before
  a session is claimed or a model is queued for. 422 is kept for a body that does not fit the schema.
"""

from __future__ import annotations

from typing import get_args

from api.context import ApiContext
from api.principal import Principal
from pipelines.core.errors import AssistantError
from pipelines.core.settings import BackendName

__all__ = ["BACKENDS", "check_backend", "check_length", "usable_domain"]

#: The backend names a request may give.
BACKENDS: tuple[str, ...] = get_args(BackendName)


def usable_domain(ctx: ApiContext, principal: Principal, domain: str | None) -> str | None:
    """``domain`` if the server knows it and the caller may use it; None, "" and "auto" pass unchanged.

    Raises:
        AssistantError: Unknown domain (400).
        Forbidden: The caller's role may not use it (403).
    """
    known = list(ctx.services.domains)
    if domain not in (None, "", "auto", *known):
        raise AssistantError(f"unknown domain; known: {', '.join(known)} (or auto)")
    principal.check_domain(domain)
    return domain


def check_backend(backend: str | None) -> str | None:
    """``backend`` if it is None or one of :data:`BACKENDS`.

    Raises:
        AssistantError: Any other name (400; the message lists the names).
    """
    if backend is not None and backend not in BACKENDS:
        raise AssistantError(f"unknown backend; use {', '.join(BACKENDS)}")
    return backend


def check_length(text: str, limit: int, what: str) -> str:
    """``text`` if it has at most ``limit`` characters (counted after stripping, as the flows count).

    Raises:
        AssistantError: Longer (400; the message gives the length and the limit, never the text).
    """
    length = len(text.strip())
    if length > limit:
        raise AssistantError(f"the {what} has {length:,} characters; at most {limit:,} are accepted")
    return text

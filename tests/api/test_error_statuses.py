"""The HTTP status of the shared-state errors (issue 20): a vault saved by another replica at the same moment is a
409 (send the message again), an unreachable shared database or document store a 503; all keep the product's
safe message."""

from __future__ import annotations

import json

from api.errors import error_response, status_of
from ingest import StoreError
from pipelines.conversation.vault_sql import VaultConflict
from pipelines.core.errors import DatabaseError
from privacy.errors import VaultError


def test_shared_state_errors_have_their_own_status() -> None:
    assert status_of(VaultConflict("the session changed on another replica; send it again")) == 409
    assert status_of(DatabaseError("cannot reach the database at assistant:***@db:5432/assistant")) == 503
    assert (
        status_of(StoreError("cannot reach the Chroma server at chroma:8000; is `chroma run` running?"))
        == 503
    )
    assert status_of(VaultError("invalid session id")) == 400  # other vault errors stay bad input


def test_a_conflict_has_both_error_shapes() -> None:
    for path, expected in (("/v1/chat/completions", "conflict_error"), ("/api/ask", "conflict_error")):
        response = error_response(path, 409, "send it again")
        body = json.loads(bytes(response.body))
        assert response.status_code == 409
        assert expected in json.dumps(body)

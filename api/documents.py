"""``/api/documents``: upload (multipart), list and delete the documents of a domain's shared knowledge base.

An upload whose declared size is over ``ingest.max_file_mb`` is refused with 413 before its body is read (a
middleware, :class:`api.middleware.BodyLimit`); one without a declared size is spooled to a temporary file by
Starlette and refused with 413 as soon as reading it passes the limit; an upload
is bytes, never a path, so links are never followed; the file then goes through the same checks as
``assistant ingest`` (type by content, archive and PDF bombs, size of the text). Who may change a knowledge
base: the admin, or the single local user (``auth.mode: none``); every role may list the documents of its own
domains. (Private documents, retrieved only for their uploader, are not built yet.)
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from api.context import Caller, Context
from api.errors import Forbidden, TooLarge
from api.principal import Principal

__all__ = ["router"]

router = APIRouter(prefix="/api/documents", tags=["documents"])
_READ = 1 << 20


def _manage(principal: Principal) -> None:
    if principal.user is not None and principal.role != "admin":
        raise Forbidden("a domain's knowledge base is managed by admins")


def _read(principal: Principal, domain: str) -> None:
    if principal.user is not None and principal.role != "admin" and not principal.may_use(domain):
        raise Forbidden(f"the role {principal.role!r} may not use the domain {domain!r}")


@router.post("")
def upload(
    ctx: Context,
    principal: Caller,
    file: Annotated[
        UploadFile, File(description="The document (PDF, DOCX, HTML, Markdown, text, CSV, code).")
    ],
    domain: Annotated[str, Form(description="The domain whose knowledge base gets it.")],
) -> dict[str, Any]:
    """Ingest one uploaded file; the ingest report (``ingest --json``'s object)."""
    _manage(principal)
    ctx.services.domains.domain(domain)  # unknown domain: 400 before reading the body
    name = (file.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1] or "upload"  # no folders
    limit = int(ctx.services.settings.ingest.max_file_mb * 2**20)
    chunks, size = [], 0
    while block := file.file.read(_READ):
        size += len(block)
        if size > limit:
            raise TooLarge(
                f"{name}: the upload exceeds the {limit:,}-byte limit "
                f"({ctx.services.settings.ingest.max_file_mb:g} MiB)"
            )
        chunks.append(block)
    report = ctx.services.ingestion.ingest_bytes(domain, name, b"".join(chunks))
    return {"ok": True, **report.to_dict()}


@router.get("")
def list_documents(ctx: Context, principal: Caller, domain: str) -> dict[str, Any]:
    """The documents of ``domain``: name, sha256, chunks, ingest time, kind and report (counts only)."""
    _read(principal, domain)
    return {"documents": [asdict(info) for info in ctx.services.catalog.documents(domain)]}


@router.delete("/{domain}/{name_or_sha256}")
def delete_document(ctx: Context, principal: Caller, domain: str, name_or_sha256: str) -> dict[str, Any]:
    """Delete a document (file name as listed, or a sha256 prefix of 8+ hex digits); the erasure receipt."""
    _manage(principal)
    return ctx.services.catalog.delete(domain, name_or_sha256).to_dict()

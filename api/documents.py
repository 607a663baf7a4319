"""``/api/documents`` and ``/api/jobs``: upload (multipart, at once or as a job), list and delete documents.

A document is ``shared`` (a domain's knowledge base, retrieved for everyone who may use the domain) or
``private`` (retrieved, listed and deletable only for its uploader; :mod:`pipelines.documents.ingestion`).

- Upload, ``POST /api/documents`` (form fields ``file``, ``domain``, ``visibility``, ``async``): ``visibility``
  ``shared`` is the default for the admin and the single local user (``auth.mode: none``), who manage the
  knowledge bases; any other role uploads ``private`` documents to the domains it may use (the default for
  them; ``shared`` is 403). Private documents need a signed-in user (400 in single-user mode, where everything
  is the one user's anyway).
- ``async=true`` returns 202 ``{"job_id", "status": "queued"}`` at once and ingests in the background
  (:mod:`api.jobs`); ``GET /api/jobs/{job_id}`` gives ``{job_id, status, stage, progress, report, error}``,
  to the user who uploaded only (404 for anyone else). Without it the request waits for the report (200). The
  choice is the client's, never made by size: a client written for one shape keeps getting it, and both have
  the same size limit.
- ``GET /api/documents?domain=D``: the shared documents and the caller's own private ones, each with its
  ``visibility`` and ``owner``.
- ``DELETE /api/documents/{domain}/{name or sha256 prefix}``: the admin (and the single local user) may delete
  any document; another user their own private documents (403 for a shared one), and another user's private
  document is 404, as if it did not exist.

An upload whose declared size is over ``ingest.max_file_mb`` is refused with 413 before its body is read (a
middleware, :class:`api.middleware.BodyLimit`); one without a declared size is spooled to a temporary file by
Starlette and refused with 413 as soon as reading it passes the limit; an upload is bytes, never a path, so
links are never followed; the file then goes through the same checks as ``assistant ingest`` (type by content,
archive and PDF bombs, size of the text).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from api.context import Caller, Context
from api.errors import Forbidden, TooLarge
from api.principal import Principal
from pipelines.core.errors import AssistantError

__all__ = ["router"]

router = APIRouter(tags=["documents"])
_READ = 1 << 20
_SHARED_BY_ADMINS = "shared documents (a domain's knowledge base) are managed by admins"


def _manages(principal: Principal) -> bool:
    """Whether the caller manages the knowledge bases: the admin, or the single local user."""
    return principal.user is None or principal.role == "admin"


def _read(principal: Principal, domain: str) -> None:
    if not _manages(principal) and not principal.may_use(domain):
        raise Forbidden(f"the role {principal.role!r} may not use the domain {domain!r}")


def _owner(principal: Principal, domain: str, visibility: str | None) -> str | None:
    """The owner an upload gets (None: shared), after checking the caller may upload it.

    Raises:
        Forbidden: A non-admin asked for ``shared``, or may not use ``domain``.
        AssistantError: ``private`` in single-user mode.
    """
    if (visibility or ("shared" if _manages(principal) else "private")) == "shared":
        if not _manages(principal):
            raise Forbidden(f"{_SHARED_BY_ADMINS}; upload with visibility=private for your own documents")
        return None
    if principal.user is None:
        raise AssistantError("private documents need signed-in users (auth.mode local); upload it as shared")
    _read(principal, domain)
    return principal.user


@router.post("/api/documents", response_model=None)
def upload(
    ctx: Context,
    principal: Caller,
    file: Annotated[
        UploadFile, File(description="The document (PDF, DOCX, HTML, Markdown, text, CSV, code).")
    ],
    domain: Annotated[str, Form(description="The domain whose knowledge base gets it.")],
    visibility: Annotated[
        Literal["shared", "private"] | None,
        Form(description="shared (admins; their default) or private (only for you; other roles' default)."),
    ] = None,
    background: Annotated[
        bool, Form(alias="async", description="true: return a job id at once (202), follow it at /api/jobs.")
    ] = False,
) -> dict[str, Any] | JSONResponse:
    """Ingest one uploaded file; the ingest report (``ingest --json``'s object, with ``visibility`` and
    ``owner``), or with ``async=true`` 202 and the job to follow."""
    ctx.services.domains.domain(domain)  # unknown domain: 400 before reading the body
    owner = _owner(principal, domain, visibility)  # 403 before reading it too
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
    data = b"".join(chunks)
    ingestion = ctx.services.ingestion
    if not background:
        return {"ok": True, **ingestion.ingest_bytes(domain, name, data, owner=owner).to_dict()}
    job = ctx.jobs.submit(
        principal.user,
        lambda progress: {
            "ok": True,
            **ingestion.ingest_bytes(domain, name, data, progress, owner=owner).to_dict(),
        },
    )
    return JSONResponse(
        {"job_id": job.id, "status": job.status},
        status_code=202,
        headers={"Location": f"/api/jobs/{job.id}"},
    )


@router.get("/api/jobs/{job_id}")
def job_status(ctx: Context, principal: Caller, job_id: str) -> dict[str, Any]:
    """An upload job of the caller: ``{job_id, status (queued|running|done|failed), stage, progress (0..1),
    report (when done), error (when failed)}``; 404 for a job of someone else, or one the server forgot (it keeps
    jobs in memory: a restart loses them, never half a document)."""
    return ctx.jobs.get(job_id, principal.user)


@router.get("/api/documents")
def list_documents(ctx: Context, principal: Caller, domain: str) -> dict[str, Any]:
    """The documents of ``domain`` the caller may see (shared, and their own private ones): name, sha256,
    chunks, ingest time, kind, report (counts only), owner and visibility."""
    _read(principal, domain)
    infos = ctx.services.catalog.documents(domain, visible_to=principal.user)
    return {"documents": [{**asdict(info), "visibility": info.visibility} for info in infos]}


@router.delete("/api/documents/{domain}/{name_or_sha256}")
def delete_document(ctx: Context, principal: Caller, domain: str, name_or_sha256: str) -> dict[str, Any]:
    """Delete a document (file name as listed, or a sha256 prefix of 8+ hex digits); the erasure receipt."""
    _read(principal, domain)
    catalog = ctx.services.catalog
    if _manages(principal):
        return catalog.delete(domain, name_or_sha256).to_dict()
    info = catalog.find(domain, name_or_sha256, visible_to=principal.user)
    if not info.owner:
        raise Forbidden(_SHARED_BY_ADMINS)
    return catalog.delete(domain, info.sha256, visible_to=principal.user).to_dict()

"""Web addresses in running text, and which findings make one private as a whole.

A URL whose user part, path or query holds an identifier (a login, a credential, an id, a second host:
``https://portal.acme.local/users/bzielinski/settings``, ``https://grafana.acme.internal/d/x8Kq?var-host=pay-12``,
``https://hc-ping.com/3b7e1c2a-99f0-4d51-a1b2-6c0e8f4d2a17``) is private as a whole: its other parts are that
system's layout, and the same login or token is often written twice in it. De-identifying the pieces leaves
``https://<HOST>/users/<USER>/settings`` beside pieces a reader can search for. The de-identifier
(:mod:`privacy.deidentify`) therefore widens such findings to the whole URL. A URL whose only finding is its
host (``https://k8s-api.prod.acme.internal:6443``) keeps its scheme, port and path readable: a question about
it needs them, and they name no one.

Only web and socket schemes count (``http``, ``https``, ``ws``, ``wss``, ``ftp``): a database connection string
(``postgres://app:<SECRET>@db-01.corp:5432/orders``) keeps its scheme, database name and port readable, since
answering a question about it needs them, and its user, password and host are findings of their own.
"""

from __future__ import annotations

import re

from privacy.lexicon import word_set

__all__ = ["PRIVATE_MARKERS", "host_span", "is_public_host", "opaque_path", "url_end", "web_urls"]

#: Entity types whose finding inside a web URL makes the whole URL private: an internal host, a login, an
#: e-mail address (a URL's ``user@host``), a credential, an account or customer id, an IP address, and the
#: identifiers of one person (record, health plan, bank account, card, national numbers: a page addressed by
#: one is that person's, ``…/patients?mrn=…``).
PRIVATE_MARKERS = frozenset(
    {
        "INTERNAL_HOSTNAME",
        "USERNAME",
        "EMAIL_ADDRESS",
        "SECRET",
        "ID_NUMBER",
        "REFERENCE_NUMBER",
        "IP_ADDRESS",
        "MEDICAL_RECORD_NUMBER",
        "HEALTH_PLAN_ID",
        "ACCOUNT_NUMBER",
        "UK_ACCOUNT_NUMBER",
        "US_BANK_NUMBER",
        "CREDIT_CARD",
        "CN_RESIDENT_ID",
        "US_SSN",
        "UK_NHS",
    }
)

#: A web URL: scheme, then any run without blanks, quotes or angle brackets (RFC 3986 excludes them).
_WEB_URL = re.compile(r"(?<![\w+.-])(?:https?|wss?|ftp)://[^\s<>\"'`]+", re.IGNORECASE)
#: What ends a sentence or closes a bracket after a URL rather than belonging to it.
_TRAILING = ".,;:!?)]}"


#: The authority of a URL: optional ``user[:password]@``, then the host and port (RFC 3986 section 3.2).
_AUTHORITY = re.compile(r"[a-z][a-z0-9+.-]*://(?:[^/?#@\s]*@)?(?P<host>[^/?#\s]*)", re.IGNORECASE)
#: An opaque token as a path segment or query value: a UUID, or 16+ letters and digits with both in it.
_OPAQUE = re.compile(
    r"[/=](?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,})(?=[/?&#]|$)",
    re.IGNORECASE,
)


def host_span(url: str) -> tuple[int, int]:
    """``(start, end)`` of the host and port inside ``url`` (after the scheme and any ``user@``)."""
    match = _AUTHORITY.match(url)
    return (match.start("host"), match.end("host")) if match else (0, 0)


def opaque_path(url: str) -> bool:
    """Whether ``url``'s path or query holds an opaque token (a UUID, or 16+ letters and digits mixed): a
    capability URL such as a health-check ping or a shared link."""
    return _OPAQUE.search(url, host_span(url)[1]) is not None


def web_urls(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of each web URL in ``text`` (schemes ``http``, ``https``, ``ws``,
    ``wss``, ``ftp``), without trailing sentence punctuation or an unbalanced closing bracket."""
    return [(match.start(), url_end(text, match.start(), match.end())) for match in _WEB_URL.finditer(text)]


def url_end(text: str, start: int, end: int) -> int:
    """The end of the URL ``text[start:end]`` without the sentence punctuation or unbalanced closing bracket
    that follows it ("…/guide," -> "…/guide"; "…/wiki/Bell_(band)" keeps its own bracket)."""
    while end > start and text[end - 1] in _TRAILING:
        if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break  # "https://en.wikipedia.org/wiki/Bell_(band)": the bracket is the URL's own
        end -= 1
    return end


#: Public hosts that stay: package indexes, code hosts, documentation (a URL to them names no private system).
PUBLIC_HOSTS = word_set(
    """github.com gitlab.com bitbucket.org pypi.org files.pythonhosted.org registry.npmjs.org npmjs.com
    docker.io hub.docker.com registry-1.docker.io ghcr.io quay.io localhost example.com example.org
    example.net googleapis.com google.com microsoft.com stackoverflow.com readthedocs.io python.org
    kubernetes.io k8s.io golang.org crates.io rubygems.org maven.org apache.org ubuntu.com debian.org
    amazon.com"""
)


#: The last labels of a private network's names (RFC 6762 ``.local``, RFC 8375 ``home.arpa``, ICANN's reserved
#: ``.internal``, and the customary ``corp``, ``lan``, ``intranet``, ``private``, ``localdomain``).
_PRIVATE_SUFFIX = re.compile(r"\.(?:internal|corp|local|localdomain|lan|intranet|private|home\.arpa)$")


def is_public_host(host: str) -> bool:
    """Whether ``host`` is one of :data:`PUBLIC_HOSTS` or a subdomain of one ("docs.python.org",
    "api.github.com"), or a website's ``www.`` name outside a private network's suffixes ("www.northbank.co.uk",
    a bank's site a customer names; not "www.intranet.corp"); case and a trailing dot are ignored."""
    lower = host.lower().rstrip(".")
    if lower.startswith("www.") and lower.count(".") >= 2 and not _PRIVATE_SUFFIX.search(lower):
        return True
    return any(lower == public or lower.endswith("." + public) for public in PUBLIC_HOSTS)

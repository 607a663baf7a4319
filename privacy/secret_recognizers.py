"""Secrets in code and configuration (entity ``SECRET``) and internal host names (``INTERNAL_HOSTNAME``).

``SECRET`` comes mostly from Yelp's **detect-secrets** (its regex plugins, run line by line through their
``analyze_string``, which never calls the network: the plugins' optional verification is not used) plus the
few patterns it lacks: fine-grained GitHub tokens (``github_pat_``), passwords in ADO/ODBC/JDBC connection
strings and URL query strings, Discord/Teams/Power Automate webhook URLs, Google, Anthropic and Hugging Face
API keys, and ``Bearer`` tokens.

What counts as the secret (the span replaced):

- a password inside a URL or a connection string: **the password only**
  (``postgres://app:<SECRET>@db.internal:5432/orders``; ``Server=db;User Id=app;Password=<SECRET>;``). The
  scheme, user name, host, port and database stay, because they are what a question about the connection is
  usually about ("role app does not exist"), and none of them lets anyone in. The host is judged on its own
  (``INTERNAL_HOSTNAME``, ``IP_ADDRESS``), the user name as any other text;
- a webhook URL: the whole URL (the path is the credential); a private key: the whole PEM block from
  ``-----BEGIN`` to ``-----END … PRIVATE KEY-----``; any other token or key: the token.

Not secrets (false positives this module avoids, measured at zero on the shipped code corpus):

- detect-secrets' **high-entropy-string plugins are not used**: in code, hashes, UUIDs, base64 test data and
  minified identifiers are high-entropy too, and nothing tells them from keys;
- values detect-secrets' own heuristics reject (templated ``{x}``, ``${X}``, ``<x>``, ``$VAR``, sequential
  strings, UUIDs, no letters at all; not after "password=" nor in a URL's ``user:password@``, where the
  context makes "123456" a password all the same) and, for the keyword plugin (``password = "…"``),
  indirect references (``password = get_password()``) and bare identifiers (``password=password``);
- documented **example values**: a value containing "example" (AWS documents ``AKIAIOSFODNN7EXAMPLE``),
  "placeholder", "your…key/token/secret/password", "redacted", or made of one repeated character
  (``xxxxxxxx``, ``****``). They are in public documentation and nobody's credential; keeping them keeps
  documentation about keys readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from detect_secrets.filters import heuristic
from detect_secrets.plugins import keyword
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

__all__ = [
    "DETECT_SECRETS_PLUGINS",
    "InternalHostnameRecognizer",
    "SecretRecognizer",
    "is_placeholder_secret",
]

#: The detect-secrets 1.5 plugins used: every regex plugin except ``IPPublicDetector`` (IP addresses are
#: Presidio's ``IP_ADDRESS``), plus ``KeywordDetector``; not the two high-entropy-string plugins.
DETECT_SECRETS_PLUGINS: tuple[type[BasePlugin], ...] = (
    ArtifactoryDetector,
    AWSKeyDetector,
    AzureStorageKeyDetector,
    BasicAuthDetector,
    CloudantDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    IbmCloudIamDetector,
    IbmCosHmacDetector,
    JwtTokenDetector,
    MailchimpDetector,
    NpmDetector,
    OpenAIDetector,
    PrivateKeyDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SoftlayerDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
    keyword.KeywordDetector,
)

#: Patterns detect-secrets 1.5 lacks; group ``secret`` is the span replaced.
_OWN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GitHubFineGrainedToken", re.compile(r"(?P<secret>\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b)")),
    ("GoogleApiKey", re.compile(r"(?P<secret>\bAIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])")),
    ("AnthropicApiKey", re.compile(r"(?P<secret>\bsk-ant-[a-z0-9]+-[A-Za-z0-9_-]{32,})")),
    ("HuggingFaceToken", re.compile(r"(?P<secret>\bhf_[A-Za-z]{34})(?![A-Za-z0-9])")),
    (
        "BearerToken",
        re.compile(r"\b[Bb]earer\s+(?P<secret>[A-Za-z0-9._~+/-]{20,}=*)(?![A-Za-z0-9._~+/=-])"),
    ),
    (
        # ADO.NET / ODBC / JDBC-properties: "...;Password=...;" ("Pwd=" too), on a line with another
        # connection key (server, host, user id, database, ...: _CONNECTION_KEY).
        "ConnectionStringPassword",
        re.compile(
            r"(?i)(?:^|(?<=[;\s\"']))(?:password|pwd)\s*=\s*(?:\"(?P<q1>[^\"\n]+)\"|'(?P<q2>[^'\n]+)'|"
            r"(?P<secret>[^;\s\"'&]+))",
            re.MULTILINE,
        ),
    ),
    (
        # URL query strings: ?password=... / &pwd=... (JDBC, ODBC and HTTP URLs)
        "UrlQueryPassword",
        re.compile(
            r"(?i)[?&](?:password|passwd|pwd|pass|secret|api_?key|access_?token|token)=(?P<secret>[^&\s#'\"]+)"
        ),
    ),
    (
        # user:password@host in any URL; detect-secrets' BasicAuthDetector rejects passwords holding "!", "$",
        # "*", ... (RFC 3986 sub-delimiters), which people write unencoded all the same.
        "UrlPassword",
        re.compile(r"://[^\s:/?#@]+:(?P<secret>[^\s/?#]+)@[\w.\[\]-]+"),
    ),
    (
        "DiscordWebhook",
        re.compile(
            r"(?P<secret>https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]+)"
        ),
    ),
    (
        "TeamsWebhook",
        re.compile(
            r"(?P<secret>https://[A-Za-z0-9.-]*(?:webhook\.office\.com/webhookb2|outlook\.office(?:365)?\.com/webhook)/[^\s'\"<>]+)"
        ),
    ),
    (
        # Teams "Workflows" / Power Automate HTTP triggers: the signature in the URL is the credential.
        "PowerAutomateWebhook",
        re.compile(
            r"(?P<secret>https://[A-Za-z0-9.-]+\.logic\.azure\.com(?::\d+)?/workflows/[^\s'\"<>]*[?&]sig=[^\s'\"<>&]+)"
        ),
    ),
)
_PEM_BEGIN = re.compile(r"-----BEGIN (?P<kind>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----")
_PEM_END = re.compile(r"-----END (?P<kind>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----")
#: Key-like lines after a BEGIN line without an END line (literal "\n" escapes count as line breaks).
_PEM_BODY = re.compile(r"(?:(?:\s|\\n)+(?:[A-Za-z0-9+/=]{16,}|[A-Za-z-]+: [^\n\\]*))+")
_MAX_PEM_CHARS = 20_000
_PLACEHOLDER = re.compile(
    r"example|placeholder|redacted|your[-_ ]?\w*(?:key|token|secret|password|pass)|^(.)\1+$|x{5,}|\*{3,}|\.\.\.|…",
    re.IGNORECASE,
)
#: The keyword plugin's key names (its DENYLIST); lines without one are not run through its ~20 patterns. The bare
#: names, not the plugin's ``\w*(names)\w*`` form, whose ``\w*`` rescans a run of letters from each of its letters
#: (quadratic: 4,000 letters took 1.3 s).
_KEYWORD = re.compile("|".join(keyword.DENYLIST), re.IGNORECASE)
_UUID = re.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_.]*")


def is_placeholder_secret(value: str) -> bool:
    """Whether ``value`` is a documentation placeholder or example rather than a credential.

    True for a value containing "example", "placeholder", "redacted", "your…key/token/secret/password",
    5+ x's, 3+ asterisks or an ellipsis, or made of one repeated character; and for what detect-secrets'
    heuristics reject: templated (``{x}``, ``<x>``, ``${X}``), ``$``-prefixed, sequential
    (``abcdefgh``, ``12345678``), a UUID, or without any letter.
    """
    return bool(
        _PLACEHOLDER.search(value)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_sequential_string(value)
        or _UUID.fullmatch(value) is not None
        or heuristic.is_not_alphanumeric_string(value)
    )


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    source: str


class SecretRecognizer(EntityRecognizer):
    """``SECRET``: credentials found by detect-secrets' plugins and this module's extra patterns.

    Score 0.9 for provider-specific formats (a ``ghp_`` token, an AWS key id, a webhook URL, a PEM block),
    0.7 for keyword assignments (``password = "…"``) and connection-string passwords. Each result's
    recognizer name is ``detect-secrets:<Plugin>`` or ``secrets:<Pattern>``. Thread-safe (the plugins are
    stateless regular expressions).
    """

    _KEYWORD_SCORE = 0.7
    _TOKEN_SCORE = 0.9

    def __init__(self) -> None:
        self._plugins = [plugin() for plugin in DETECT_SECRETS_PLUGINS]
        super().__init__(supported_entities=["SECRET"], name="SecretRecognizer", supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return one ``SECRET`` result per credential in ``text`` (overlaps merged, longest kept)."""
        if "SECRET" not in entities:
            return []
        spans = [*self._plugin_spans(text), *_own_spans(text)]
        return [
            RecognizerResult(
                entity_type="SECRET",
                start=span.start,
                end=span.end,
                score=self._KEYWORD_SCORE if span.source in _KEYWORD_SOURCES else self._TOKEN_SCORE,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: span.source,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for span in _merge(spans)
        ]

    def _plugin_spans(self, text: str) -> Iterator[_Span]:
        for offset, line in _lines(text):
            for plugin in self._plugins:
                source = f"detect-secrets:{type(plugin).__name__}"
                if isinstance(plugin, PrivateKeyDetector):
                    if any(True for _ in plugin.analyze_string(line)):
                        yield from _private_key_block(text, offset, source)
                    continue
                for start, end in _plugin_matches(plugin, line):
                    yield _Span(offset + start, offset + end, source)


#: Plugins whose regex group is a token prefix, not the secret: detect-secrets 1.5 reports just "ghp" for
#: ``(ghp|gho|…)_[A-Za-z0-9_]{36}`` and "glpat" for GitLab's; the whole match is the token.
_PREFIX_GROUP_PLUGINS = (GitHubTokenDetector, GitLabTokenDetector)
_KEYWORD_SOURCES = frozenset(
    {"detect-secrets:KeywordDetector", "detect-secrets:BasicAuthDetector"}
    | {f"secrets:{name}" for name in ("ConnectionStringPassword", "UrlQueryPassword", "UrlPassword")}
)


def _plugin_matches(plugin: BasePlugin, line: str) -> Iterator[tuple[int, int]]:
    """Where in ``line`` the values ``plugin.analyze_string`` reports are: its own regular expressions run
    again for positions, keeping only values it reports (plugins such as the JWT one filter further) that are
    not placeholders (:func:`is_placeholder_secret`).

    The keyword plugin runs with its quoted-value patterns (code) and its config patterns (``KEY=value``,
    ``key: value``); config values are dropped on lines with an indirect reference (``= get_x()``,
    ``= x["…"]``), and when they are bare identifiers (``password=password``) or id-like
    (detect-secrets' ``is_likely_id_string``).
    """
    if isinstance(plugin, keyword.KeywordDetector):
        if not _KEYWORD.search(line):
            return
        reported = set(plugin.analyze_string(line))
        candidates = list(_group_matches(keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP, line))
        if not heuristic.is_indirect_reference(line):
            reported |= set(plugin.analyze_string(line, keyword.CONFIG_DENYLIST_REGEX_TO_GROUP))
            for start, end in _group_matches(keyword.CONFIG_DENYLIST_REGEX_TO_GROUP, line):
                value = line[start:end].rstrip(";,")
                if value and not _IDENTIFIER.fullmatch(value) and not value.endswith(("(", "[")):
                    candidates.append((start, start + len(value)))
                    reported.add(value)
        candidates = [
            c for c in candidates if not heuristic.is_likely_id_string(line[c[0] : c[1]], line, plugin)
        ]
    else:
        assert isinstance(plugin, RegexBasedDetector)
        reported = set(plugin.analyze_string(line))
        if not reported:
            return
        if isinstance(plugin, _PREFIX_GROUP_PLUGINS):
            candidates = [m.span() for regex in plugin.denylist for m in regex.finditer(line)]
        else:
            candidates = list(_group_matches({regex: None for regex in plugin.denylist}, line))
        # keep a candidate holding a value the plugin reports (the JWT plugin, e.g., drops malformed tokens)
        reported = {line[s:e] for s, e in candidates if any(value in line[s:e] for value in reported)}
    for start, end in dict.fromkeys(candidates):
        value = line[start:end]
        if value in reported and not is_placeholder_secret(value):
            yield start, end


def _group_matches(regexes: Mapping[re.Pattern[str], int | None], line: str) -> Iterator[tuple[int, int]]:
    """Spans of each regex's group (its given group number; None = every non-empty group, or the whole match
    without groups, as detect-secrets' ``RegexBasedDetector.analyze_string`` reads them)."""
    for regex, group in regexes.items():
        for match in regex.finditer(line):
            if group is not None:
                if match.group(group):
                    yield match.span(group)
            elif regex.groups:
                yield from (match.span(g) for g in range(1, regex.groups + 1) if match.group(g))
            else:
                yield match.span()


def _own_spans(text: str) -> Iterator[_Span]:
    for name, pattern in _OWN_PATTERNS:
        for match in pattern.finditer(text):
            group = next((g for g, value in match.groupdict().items() if value is not None), None)
            if group is None:
                continue
            value = match.group(group)
            if name in _PASSWORD_PATTERNS:
                # the context says it is a password: only documentation placeholders are let through, a
                # digits-only or "sequential" password ("Password=123456;") is still somebody's password
                if _PLACEHOLDER.search(value) or heuristic.is_templated_secret(value):
                    continue
            elif is_placeholder_secret(value):
                continue
            if name == "ConnectionStringPassword" and not _CONNECTION_KEY.search(
                _line_at(text, match.start())
            ):
                continue
            yield _Span(match.start(group), match.end(group), f"secrets:{name}")


_PASSWORD_PATTERNS = frozenset({"ConnectionStringPassword", "UrlQueryPassword", "UrlPassword"})


#: Another key of a connection string on the same line as "Password=" (a lone "password=" is not enough).
_CONNECTION_KEY = re.compile(
    r"(?i)\b(?:server|data source|host|user id|uid|user|username|database|initial catalog|dsn)\s*="
)


def _line_at(text: str, index: int) -> str:
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return text[start : len(text) if end == -1 else end]


def _private_key_block(text: str, line_start: int, source: str) -> Iterator[_Span]:
    """The private key starting on the line at ``line_start``: its PEM block to the END line, or, without an
    END line, the BEGIN line and the key-like lines (base64, ``Proc-Type:`` headers) after it; the whole line
    for the other key formats detect-secrets knows (PuTTY)."""
    line_end = text.find("\n", line_start)
    line_end = len(text) if line_end == -1 else line_end
    begin = _PEM_BEGIN.search(text, line_start, line_end)
    if begin is None:
        yield _Span(line_start, line_end, source)
        return
    end = _PEM_END.search(text, begin.end(), begin.end() + _MAX_PEM_CHARS)
    if end is not None and end.group("kind") == begin.group("kind"):
        yield _Span(begin.start(), end.end(), source)
    else:
        body = _PEM_BODY.match(text, begin.end())
        yield _Span(begin.start(), body.end() if body is not None else begin.end(), source)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line.rstrip("\r\n")
        offset += len(line)


def _merge(spans: list[_Span]) -> list[_Span]:
    """Overlapping spans become one (the union), named after the longest."""
    merged: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            longest = last if last.end - last.start >= span.end - span.start else span
            merged[-1] = _Span(last.start, max(last.end, span.end), longest.source)
        else:
            merged.append(span)
    return merged


#: Private-use top-level names: RFC 6762 (.local), RFC 8375 (.home.arpa), ICANN's reserved .internal (2024),
#: and the de-facto .corp, .lan, .intranet, .localdomain, .private.
_INTERNAL_TLD = r"(?:internal|corp|local|localdomain|lan|intranet|private|home\.arpa)"
_HOSTNAME = re.compile(
    r"(?<![\w.-])(?P<host>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    + _INTERNAL_TLD
    + r")(?![\w-]|\.\w|\()",
    re.IGNORECASE,
)
_HOST_CONTEXT = re.compile(
    r"(?:://|@)[^\s]*$|\b(?:hosts?|hostname|server|ssh|ping|curl|wget|connect(?:ed|ing)?|dns|domain|fqdn|"
    r"endpoint|url|proxy|nslookup|dig|resolve[sd]?|machine|node|cluster|mount)\b",
    re.IGNORECASE,
)
#: "jane.doe@" right before a host name (not "://user:password@", whose "password" follows a colon).
_MAILBOX = re.compile(r"(?<![\w.+:/%-])[A-Za-z0-9][\w.+-]*@$")
_CODE_OBJECTS = frozenset(
    {"self", "this", "cls", "super", "threading", "thread", "obj", "config", "settings"}
)


class InternalHostnameRecognizer(EntityRecognizer):
    """``INTERNAL_HOSTNAME``: host names under private-use top-level names (``db01.corp``,
    ``build.internal``, ``printer.local``, ``nas.home.arpa``, ``ip-10-0-0-12.ec2.internal``); and
    ``EMAIL_ADDRESS`` for addresses at such hosts (``jane.doe@corp.internal``), which Presidio's email
    recognizer rejects because their domain is not under a public suffix.

    ``name.local``-shaped text is also attribute access in code (``threading.local()``, ``config.internal``),
    so a host name counts only with host evidence: 3 or more labels, a digit or hyphen in a label, a port after
    it (``:5432``), an ``@`` or ``://`` before it, or host words before it ("host", "server", "ssh", "ping",
    "connect", ... within 30 characters); never followed by ``(`` nor starting with ``self.``, ``this.``,
    ``config.``, etc. Score 0.6 (an e-mail address: 0.9). Private IP addresses are Presidio's ``IP_ADDRESS``.
    """

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["INTERNAL_HOSTNAME", "EMAIL_ADDRESS"],
            name="InternalHostnameRecognizer",
            supported_language="en",
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return one result per internal host name with host evidence (or e-mail address at one)."""
        results = []
        for match in _HOSTNAME.finditer(text):
            labels = match.group("host").lower().split(".")
            if labels[0] in _CODE_OBJECTS:
                continue
            mailbox = _MAILBOX.search(text, max(0, match.start() - 64), match.start())
            if mailbox is not None and _in_url(text, mailbox.start()):
                mailbox = None  # "://user:pass@host": a URL's credentials, not an e-mail address
            if mailbox is not None and "EMAIL_ADDRESS" in entities:
                results.append(self._result("EMAIL_ADDRESS", mailbox.start(), match.end(), 0.9))
                continue
            evidence = (
                len(labels) >= 3
                or any(re.search(r"[\d-]", label) for label in labels[:-1])
                or re.match(r":\d{2,5}\b", text[match.end() :]) is not None
                or _HOST_CONTEXT.search(text[max(0, match.start() - 30) : match.start()]) is not None
            )
            if evidence and "INTERNAL_HOSTNAME" in entities:
                results.append(self._result("INTERNAL_HOSTNAME", match.start(), match.end(), 0.6))
        return results

    def _result(self, entity: str, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(
            entity_type=entity,
            start=start,
            end=end,
            score=score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: "InternalHostnameRecognizer",
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


def _in_url(text: str, index: int) -> bool:
    """Whether ``text[index]`` is inside a URL (a "://" earlier in the same whitespace-free run)."""
    run_start = max(text.rfind(c, 0, index) for c in " \t\n\"'<>(") + 1
    return "://" in text[run_start:index]

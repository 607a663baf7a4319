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
  ``-----BEGIN`` to ``-----END … PRIVATE KEY-----``; any other token or key: the token (a JWT to its last
  character);
- a password without a key name: the value after a password cue in the same sentence ("the temp password
  you sent me Xq7#pL29wz", "初始密码 Welcome@123", "redis-cli -a '…'", "secret word … 'buttercup'"), and any
  token of a chosen password's shape (:func:`password_shaped`: upper and lower case, a digit and a sign such as
  ``!#$%&*@^~``, or 2+ digit-for-letter swaps as in "Cel3ryBr0ker"), cue or not. Code identifiers
  (``getUser2FA``, ``sha256Hash``), e-mail addresses, URLs, paths and spreadsheet references do not have it.

Login names (``USERNAME``, :func:`find_hosts_and_users`) come from structure (URLs, ssh, config keys, home
paths, LDAP, .pgpass, mentions, kubeconfig users, git remotes, PHP ``define('DB_USER', …)``) and from cues
before a login-shaped word ("my login is k.fitzgerald", "account locked: grant.m", "sudo: x :", "uid=4471
(x)", 用户 x, a "- first.last" signature); a login found once counts wherever it recurs in the text.

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
from functools import lru_cache

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

from privacy.lexicon import word_set
from privacy.urls import is_public_host

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
        # user:password@host in any URL, the user possibly empty (Redis has no user: "redis://:pw@host");
        # detect-secrets' BasicAuthDetector rejects passwords holding "!", "$", "*", "#", ... (RFC 3986
        # delimiters), which people write unencoded all the same.
        "UrlPassword",
        re.compile(r"://[^\s:/?#@]*:(?P<secret>[^\s/?]+)@[\w.\[\]-]+"),
    ),
    (
        # .env / YAML / JSON / INI / code: a key naming a password, secret, token or API key, then its value
        # ("smtp_pass: 'Hv#44kLm1'", '"db_password": "Kx9!mQ2zP"', "client_secret = 9f8e…"); filtered by
        # _config_secret_ok (no references, types, numbers of a "max_tokens", ...).
        "ConfigSecret",
        re.compile(
            r"(?im)(?P<key>(?<![\w.-])[\w.-]{0,40}?(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
            r"private[_-]?key|auth[_-]?key|key[_-]data|credentials?|(?<=[_.-])key)(?![a-z])[\w.-]{0,40})[\"']?[ \t]*(?::|=|=>)[ \t]*"
            r"(?:\"(?P<q1>[^\"\n]{4,200})\"|'(?P<q2>[^'\n]{4,200})'|(?P<secret>[^\s,;'\"}#]{4,200}))"
        ),
    ),
    (
        # HTTP Authorization header schemes other than Bearer (RFC 7617 Basic, "Token", "ApiKey")
        "AuthorizationHeader",
        re.compile(
            r"(?i)\bauthorization\s*[:=]\s*[\"']?(?:basic|token|apikey|api-key|digest)\s+"
            r"(?P<secret>[A-Za-z0-9+/=._~-]{8,})"
        ),
    ),
    (
        # "password is Tr0ub4dor!", "pw: blue42sky", "passwd=…" in prose: a value with a digit or a symbol.
        "ProsePassword",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|pw|passcode|passphrase)(?:\s+(?:is|was|=|:)|\s*[:=])\s*"
            r"(?:it'?s\s+)?[\"'`]?(?P<secret>(?=[^\s\"'`]*[\d!#$%&*@^~?])[^\s\"'`,;]{4,64}?)[\"'`]?(?=[\s,;)]|\.?$|\.\s)"
        ),
    ),
    (
        # Passwords on a command line: --password=…, ldapsearch -w …, mysql -p…, sshpass -p …
        "CommandLinePassword",
        re.compile(
            r"(?:--pass(?:word|wd)?[= ]|\bsshpass\s+-p\s*|\bldap\w*\b[^\n]*?\s-w\s+|\bmysql\w*\b[^\n]*?\s-p)"
            r"(?:'(?P<q1>[^'\n]+)'|\"(?P<q2>[^\"\n]+)\"|(?P<secret>[^\s'\"]+))"
        ),
    ),
    (
        # curl's -u/--user user:password (the password after the first colon; "-u user" alone prompts for it),
        # on a line with "curl" before it (checked in _own_spans: a "curl…-u" pattern rescans each line per curl)
        "CurlUserPassword",
        re.compile(r"(?<=\s)(?:-u|--user)[ =]?['\"]?[^\s:'\"]+:(?P<secret>[^\s'\"]+)"),
    ),
    (
        # PHP constants (wp-config.php): define('DB_PASSWORD', '…'), define('AUTH_KEY', '…'), define('X_TOKEN', …)
        "DefinedSecret",
        re.compile(
            r"\bdefine\s*\(\s*['\"](?P<key>\w*(?:PASS|PWD|SECRET|TOKEN|KEY|SALT)\w*)['\"]\s*,\s*"
            r"(?:'(?P<q1>[^'\n]+)'|\"(?P<q2>[^\"\n]+)\")",
            re.IGNORECASE,
        ),
    ),
    (
        # A token or key named in prose right before it ("token was 11a9f3e2…", "api key: sk9…", "access key
        # LTAI5t…"): 16+ letters and digits (both), the way generated tokens look.
        "ProseToken",
        re.compile(
            r"(?i)\b(?:token|api[ _-]?key|access[ _-]?key(?:[ _-]?id)?|secret[ _-]?key|client[ _-]?secret|"
            r"account[ _-]?key)(?:\s+(?:is|was|=|:)|\s*[:=])?\s*['\"`]?"
            r"(?P<secret>(?=[A-Za-z0-9_+/=.-]*\d)(?=[A-Za-z0-9_+/=.-]*[A-Za-z])[A-Za-z0-9_+/=.-]{15,299}[A-Za-z0-9_+/=-])"
            r"(?![A-Za-z0-9_+/=-])"
        ),
    ),
    (
        # PostgreSQL's .pgpass lines: hostname:port:database:username:password (libpq documentation, "The
        # Password File").
        "PgpassPassword",
        re.compile(r"(?m)(?:^|(?<=\s))[\w.*-]+:(?:\d{2,5}|\*):[\w.*-]+:[\w.*@-]+:(?P<secret>\S+)$"),
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
            key_found = False
            for at, window in _windows(line):
                for plugin in self._plugins:
                    source = f"detect-secrets:{type(plugin).__name__}"
                    if isinstance(plugin, PrivateKeyDetector):
                        if not key_found and any(True for _ in plugin.analyze_string(window)):
                            key_found = True
                            yield from _private_key_block(text, offset, source)
                        continue
                    if isinstance(plugin, NpmDetector) and ":_authToken=" not in window:
                        continue  # its regex cannot match; on many "//" it is the slowest of all
                    for start, end in _plugin_matches(plugin, window):
                        start, end = at + start, at + end
                        if isinstance(plugin, JwtTokenDetector):
                            # the plugin's signature part is lazy ("…\.?[…]*?"): the token runs to its last
                            # character (on the whole line, past the window)
                            end = _JWT_TAIL.match(line, end).end()  # type: ignore[union-attr]
                        elif isinstance(plugin, NpmDetector):
                            # its "npm_.+" runs to the end of the line: the token ends at a blank
                            end = _NON_BLANK.match(line, start).end()  # type: ignore[union-attr]
                        yield _Span(offset + start, offset + end, source)


_JWT_TAIL = re.compile(r"[A-Za-z0-9_.+/=-]*")
_NON_BLANK = re.compile(r"\S*")
#: detect-secrets' plugins see a long line in windows of this many characters, overlapping by
#: ``_WINDOW_OVERLAP``. Two of their regexes rescan a run from each of its starts, quadratic in the line's
#: length: the NPM plugin's ``//.+/:_authToken=`` on anything with many "//" (42,000 characters of "/users/"
#: took 0.44 s on 2 cores, 2026-12-07; 200,000, the API's limit for a message, would take about 10 s) and the
#: JWT plugin's ``eyJ[…]+\.`` on a run of "eyJ". In windows the cost is linear (about 16 ms a window at
#: worst). A credential up to ``_WINDOW_OVERLAP`` characters long lies whole in some window; the rules of
#: :func:`_own_spans` see whole lines.
_WINDOW = 8192
_WINDOW_OVERLAP = 2048


def _windows(line: str) -> Iterator[tuple[int, str]]:
    """``(offset, window)`` pieces of ``line`` (the line itself when it fits one window)."""
    if len(line) <= _WINDOW:
        yield 0, line
        return
    step = _WINDOW - _WINDOW_OVERLAP
    for start in range(0, len(line) - _WINDOW_OVERLAP, step):
        yield start, line[start : start + _WINDOW]


#: Plugins whose regex group is a token prefix, not the secret: detect-secrets 1.5 reports just "ghp" for
#: ``(ghp|gho|…)_[A-Za-z0-9_]{36}`` and "glpat" for GitLab's; the whole match is the token.
_PREFIX_GROUP_PLUGINS = (GitHubTokenDetector, GitLabTokenDetector)
_KEYWORD_SOURCES = frozenset(
    {"detect-secrets:KeywordDetector", "detect-secrets:BasicAuthDetector"}
    | {
        f"secrets:{name}"
        for name in (
            "ConnectionStringPassword",
            "UrlQueryPassword",
            "UrlPassword",
            "CuedPassword",
            "PasswordShape",
        )
    }
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
                if value[:1] not in ("'", '"'):
                    # unquoted: the value ends at a blank ("PGPASSWORD=x -e PGUSER=y postgres:16" on a shell line)
                    value = re.split(r"\s|;(?=[A-Za-z][\w ]*=)", value, maxsplit=1)[0].rstrip(";,")
                if value and not _IDENTIFIER.fullmatch(value) and not value.endswith(("(", "[")):
                    candidates.append((start, start + len(value)))
                    reported.add(value)
        candidates = [
            c
            for c in candidates
            if not heuristic.is_likely_id_string(line[c[0] : c[1]], line, plugin)
            and not _about_a_secret(line[: c[0]])
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


#: Words that announce a password somewhere after them in the same sentence: password, passcode, passphrase,
#: pwd/pw, "secret word", "memorable word", a security answer, 密码 / 密碼 / 口令; and the password flags of redis-cli
#: (-a) and of mysql (-p, also with a blank).
_PASSWORD_CUE = re.compile(
    r"(?i)(?:\b(?:pass(?:word|wd|code|phrase)s?|pwd|pw|secret\s+word|memorable\s+(?:word|phrase)|"
    r"security\s+(?:q(?:uestion)?\s+)?answer)\b|密码|密碼|口令|\bredis-cli\b[^\n]*?\s-a|\bmysql\w*\b[^\n]*?\s-p)"
)
#: A candidate after a cue: a blank, a quote or a non-Latin character before it (Chinese has no blanks).
_AFTER_CUE = re.compile(
    r"(?<![A-Za-z0-9!#$%&*@^~?+=_./:-])(?:(?P<quote>['\"`])(?P<quoted>[^\s'\"`]{4,64})(?P=quote)|"
    r"(?P<bare>[^\s'\"`,;()<>\[\]{}，。：；]{6,64}?))(?=[\s'\"`,;)\]，。；]|[.!?](?:\s|$)|$)"
)
#: Signs people put in passwords (not "_", ".", "-", which identifiers and file names hold too, nor "=", "+",
#: "?", which key=value pairs, C++ and URLs do).
_PASSWORD_SIGNS = "!#$%&*@^~"
#: A letter-digit-letter step with the digits letters are swapped for (0 o, 1 i/l, 3 e, 4 a, 5 s, 7 t).
_LEET_STEP = re.compile(r"[A-Za-z][013457]{1,2}(?=[A-Za-z])")
#: Things that look like passwords and are not: an e-mail address, a URL, a path, a spreadsheet reference
#: ("Sheet1!A1"), a placeholder in angle or curly brackets, a number, a hex colour ("#FF00aaCC") or literal.
_NOT_PASSWORD = re.compile(
    r"@[\w-]+\.\w|://|[/\\]|![$]?[A-Z]{1,3}[$]?\d|^[<{$%]|^\d+[.,]?\d*%?$|^#[0-9A-Fa-f]+$|^0x[0-9A-Fa-f]+$"
)


def password_shaped(value: str) -> bool:
    """Whether ``value`` (one token, no blanks) has the shape of a chosen password: 8-64 characters with an
    upper-case letter, a lower-case letter, a digit and a password sign (``!#$%&*@^~``: "Sunflower!2024",
    "Xq7#pL29wz", "Welcome@123"), or (8-24 characters) upper and lower case, at most 3 capitals, with 2+
    digit-for-letter swaps ("Sp00nful0fSugar", "Cel3ryBr0ker"; base64 has more capitals); never an e-mail address, URL, path or spreadsheet reference (:data:`_NOT_PASSWORD`).

    Code identifiers have at most one such swap ("getUser2FA", "sha256Hash", "log4jCore") and no password
    signs; that is what keeps them out.
    """
    if not 8 <= len(value) <= 64 or re.search(r"\s", value) or _NOT_PASSWORD.search(value):
        return False
    if is_placeholder_secret(value):
        return False
    upper, lower = re.search(r"[A-Z]", value), re.search(r"[a-z]", value)
    if not (upper and lower):
        return False
    if re.search(r"\d", value) and any(c in _PASSWORD_SIGNS for c in value):
        return True
    return (
        len(value) <= 24
        and sum(c.isupper() for c in value) <= 3  # words with capitals, not base64 ("dGhpcyBpcyBh…")
        and len(_LEET_STEP.findall(value)) >= 2
        and re.fullmatch(r"[\w!#$%&*@^~-]+", value) is not None
    )


def _cued_value_ok(value: str, quoted: bool, gap: str) -> bool:
    """A value after a password cue: quoted right after it (a gap of few words) and not a file or code name,
    or unquoted with a digit or sign and a letter right after "is/:/=", or password-shaped after more words."""
    if _PLACEHOLDER.search(value) or heuristic.is_templated_secret(value) or _NOT_SECRET_VALUE.search(value):
        return False
    if re.search(r"(?i)\b(?:user(?:name)?|login|e-?mail|account|id|for)\b", gap):
        return (
            False  # "password for jsmith2", "password, user id is 4471": the value is somebody's name or id
        )
    if quoted:
        # no quote of its own in the gap: "`password=`, `mixed`" lists code, '"passcode", "categories"' is JSON
        closed = re.search(r"[\"`=]|(?<![A-Za-z])'|'(?![A-Za-z])", gap) is not None
        return not closed and re.search(r"[._()/=<>{}$\\]", value) is None and len(gap.split()) <= 6
    if password_shaped(value):
        return True
    short_gap = re.fullmatch(r"(?i)\s*(?:(?:is|was|:|=|-)\s*)?(?:it'?s\s+)?", gap) is not None
    return short_gap and bool(re.search(r"[A-Za-z]", value) and re.search(r"[\d!#$%&*@^~?+=]", value))


def _password_spans(text: str) -> Iterator[_Span]:
    """Passwords without a key name: after a password cue (:data:`_PASSWORD_CUE`) in the same sentence, within
    48 characters (:func:`_cued_value_ok`), and password-shaped tokens anywhere (:func:`password_shaped`)."""
    for cue in _PASSWORD_CUE.finditer(text):
        window_end = min(len(text), cue.end() + 48)
        line_end = text.find("\n", cue.end(), window_end)
        window_end = window_end if line_end == -1 else line_end
        stop = re.search(r"[.!?](?:\s|$)|[。！？]", text[cue.end() : window_end])
        for match in _AFTER_CUE.finditer(text, cue.end(), window_end):
            group = "quoted" if match.group("quoted") is not None else "bare"
            if group == "bare" and stop is not None and match.start() >= cue.end() + stop.end():
                break  # a bare value only in the cue's sentence; a quoted one also in the next
            value = match.group(group).rstrip(".!?")
            gap = text[cue.end() : match.start()]
            start = match.start(group)
            if text[start + len(value) : start + len(value) + 1] == "!" and password_shaped(value + "!"):
                value += "!"  # "temp pw was Welcome2025! and it expired": the "!" is the password's sign
            if _cued_value_ok(value, group == "quoted", gap):
                yield _Span(start, start + len(value), "secrets:CuedPassword")
                break
    for match in re.finditer(r"(?<![^\s'\"`(\[=:，。：])[^\s'\"`,;:=()\[\]<>，。：；]{8,66}", text):
        value = match.group().rstrip(".!?:")
        if not password_shaped(value) and match.group().rstrip(".?:").endswith("!"):
            value = match.group().rstrip(".?:")  # "Welcome2025!": a sign at the end is part of it
        if password_shaped(value):
            yield _Span(match.start(), match.start() + len(value), "secrets:PasswordShape")


def _curl_before(text: str, index: int) -> bool:
    """Whether the command ``curl`` stands on the line before ``text[index]`` (a backward search, linear)."""
    line_start = text.rfind("\n", 0, index) + 1
    curl = text.rfind("curl", line_start, index)
    return curl != -1 and not text[curl - 1 : curl].isalnum() and not text[curl + 4 : curl + 5].isalnum()


def _own_spans(text: str) -> Iterator[_Span]:
    yield from _password_spans(text)
    for name, pattern in _OWN_PATTERNS:
        for match in pattern.finditer(text):
            group = next(
                (g for g, value in match.groupdict().items() if value is not None and g != "key"), None
            )
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
            if name == "ConfigSecret" and not _config_secret_ok(match, value):
                continue
            if name == "ProseToken" and not _token_like(value):
                continue
            if name == "CurlUserPassword" and not _curl_before(text, match.start()):
                continue
            if name == "ConnectionStringPassword" and not _CONNECTION_KEY.search(
                _line_at(text, match.start())
            ):
                continue
            yield _Span(match.start(group), match.end(group), f"secrets:{name}")


_PASSWORD_PATTERNS = frozenset(
    {
        "ConnectionStringPassword",
        "UrlQueryPassword",
        "UrlPassword",
        "ConfigSecret",
        "ProsePassword",
        "CommandLinePassword",
        "PgpassPassword",
        "CurlUserPassword",
        "DefinedSecret",
    }
)
#: Keys that name something about a secret, not the secret ("max_tokens: 512", "password_min_length = 12",
#: "secret_name: db-creds", "token_url: https://…", "password_file: /run/secrets/db").
_NOT_SECRET_KEY = re.compile(
    r"bypass|compass|surpass|trespass|tokens|tokeni[sz]|expir|"
    r"(?:^|[_.-])(?:length|len|min|max|count|limit|timeout|ttl|hash|hashed|field|policy|reset|file|path|url|uri|"
    r"endpoint|env|name|id|type|header|prompt|label|required|enabled|rotation|prefix|format|regex|pattern|hint|"
    r"mode|strength|manager|store|provider|class|validator|input|form|param|arg|ref|version|age)(?:$|[_.-])",
    re.IGNORECASE,
)
#: Values that are code, not a secret: references, calls, type names, literals.
_NOT_SECRET_VALUE = re.compile(
    r"^(?:none|null|nil|true|false|str|string|int|bytes|optional\[.*|undefined|required|changeme|secret|password|"
    r"token|\*+|<[^>]*>)$|[(\[]|^(?:os\.|process\.env|env\.|settings\.|config\.|self\.|this\.|cfg\.|vault:|"
    r"\$\{?|%\(|\{\{|getenv|secrets?\.|ENV\[)",
    re.IGNORECASE,
)


def _about_a_secret(before: str) -> bool:
    """Whether the key right before a value (``before`` ends with ``key: "`` or ``key = ``) names something
    about a secret rather than the secret ("secret_name: db-creds", "password_file = /run/x")."""
    key = re.search(r"([\w.-]+)[\"']?\s*(?::|=|=>|:=)\s*[\"'`]?$", before)
    return key is not None and _NOT_SECRET_KEY.search(key.group(1)) is not None


#: Keys that name a cloud access key id, half of a key pair ("aws_access_key_id", "AccessKeyId").
_ACCESS_KEY_ID = re.compile(r"access[_-]?key[_-]?id$", re.IGNORECASE)
#: Secret words of a key other than a bare "key" ("API_V3_KEY" and "sort_key" hold only "key").
_SECRET_KEY_WORD = re.compile(
    r"pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?key|key[_-]data|credential",
    re.IGNORECASE,
)
#: What generated tokens look like: 16+ letters, digits and base64/URL-safe signs, with a letter and a digit.
_TOKEN_SHAPE = re.compile(r"(?=[^\s]*[A-Za-z])(?=[^\s]*\d)[A-Za-z0-9_+/=.-]{16,300}")


def _token_like(value: str) -> bool:
    """Whether ``value`` looks generated (:data:`_TOKEN_SHAPE`) rather than a lower-case identifier made of
    words ("created_at_2024", "user-cache-v2")."""
    return _TOKEN_SHAPE.fullmatch(value) is not None and not re.fullmatch(
        r"[a-z0-9]+(?:[_.-][a-z0-9]+)+", value
    )


def _config_secret_ok(match: re.Match[str], value: str) -> bool:
    """Whether a ``ConfigSecret`` match holds a credential: not a key about a secret (:data:`_NOT_SECRET_KEY`),
    not code (:data:`_NOT_SECRET_VALUE`), not an unquoted identifier or dotted name (``token = token``,
    ``secret_key=settings.SECRET_KEY``), a secret or token with a letter in it (a "token: 512" is a count).
    A key whose only secret word is a bare "key" (``API_V3_KEY``, but also ``sort_key``, ``cache_key``) and an
    access key id (``aws_access_key_id``) need a token-shaped value (:data:`_TOKEN_SHAPE`)."""
    key = match.group("key")
    quoted = match.group("secret") is None
    if _ACCESS_KEY_ID.search(key) or not _SECRET_KEY_WORD.search(key):
        return _token_like(value) and not _NOT_SECRET_VALUE.search(value)
    if key.startswith((".", "/")) or _NOT_SECRET_KEY.search(key) or _NOT_SECRET_VALUE.search(value):
        return False
    if not quoted and re.fullmatch(r"[A-Za-z_][A-Za-z_.]*", value):
        return False
    if re.search(r"token|secret|key|credential", key, re.IGNORECASE) and not re.search(r"[A-Za-z]", value):
        return False
    return not re.fullmatch(r"[\d.]+", value) or re.search(r"pass|pwd", key, re.IGNORECASE) is not None


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


#: A host name of any shape (one label or more): what a connection string, an ssh command or a host key holds.
_ANY_HOST = (
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
#: Labels that mark a host as private wherever they stand between its first and last label
#: ("api.internal.kestrel.io", "relay-2.corp.brackenfield.com", "squid.lan.rivermead.org").
_PRIVATE_LABELS = word_set(
    """internal int corp lan intranet priv private ad staging stg uat ops infra mgmt vpn prod prd office
    local localdomain dmz onprem ec2"""
)
_DOTTED_HOST = re.compile(
    r"(?<![\w.@-])(?<![^/]/)(?P<host>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?){2,})"
    r"(?![\w-]|\.\w|\()",
    re.IGNORECASE,
)
#: Schemes of connection strings (databases, queues, directories, file transfer) and of kubeconfig/API servers.
_CONNECTION_URL = re.compile(
    r"(?P<scheme>(?:jdbc:)?(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|"
    r"sqlserver|oracle|ldaps?|smb|ftps?|sftp|ssh|git\+ssh|kafka|nats|mqtts?|cassandra|clickhouse|https?|tcp|"
    r"wss?|nfs|rsync)(?::[a-z]+)*)://"
    r"(?:(?P<user>[^\s:/?#@'\"]+)(?::[^\s/?#@'\"]*)?@)?(?P<host>" + _ANY_HOST + r")(?P<port>:\d{2,5})?",
    re.IGNORECASE,
)
#: ssh-family commands: user@host arguments (and the bare host after ssh).
_SSH_COMMAND = re.compile(
    r"\b(?:ssh|scp|rsync|sftp|mosh|ssh-copy-id|autossh|git\s+clone)\b[^\n]*", re.IGNORECASE
)
_USER_AT_HOST = re.compile(
    r"(?<![\w.@/:+-])(?P<user>[A-Za-z_][\w.-]{0,31})@(?P<host>" + _ANY_HOST + r")(?=[:\s'\"`/]|$)"
)
_SSH_BARE_HOST = re.compile(
    r"\bssh\s+(?:-[A-Za-z]+(?:\s+(?!-)\S+)?\s+)*(?P<host>[A-Za-z][\w-]*(?:\.[\w-]+)*)(?=\s|$|')"
)
#: Keys and flags whose value is a host: config keys (host, hostname, server, *_host), ssh_config keywords
#: (HostName, ProxyJump), command-line flags (-h, --host, -H).
_HOST_KEY = re.compile(
    r"(?im)(?:^|(?<=[\s{,;\"'(]))(?P<key>(?:[\w.-]*_)?(?:host|hostname|host_name|server|servername|proxyjump|"
    r"proxy_host|smtp_server|db_server|data\s+source|addr|address))[\"']?(?:[ \t]*[:=][ \t]*|[ \t]+)[\"']?"
    r"(?P<host>" + _ANY_HOST + r")(?=[\"':,;\s)/]|$)"
)
_HOST_FLAG = re.compile(
    r"(?:^|\s)(?:-h|--host(?:name)?=?)\s*['\"]?(?P<host>" + _ANY_HOST + r")(?!:/)(?=[\s'\":/]|$)"
)
#: A syslog line's host field ("Jun 12 04:02:17 web-03 sshd[22841]: …", RFC 3164).
_SYSLOG_HOST = re.compile(
    r"(?m)^(?:[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)\s+"
    r"(?P<host>[A-Za-z][\w.-]*)\s+[\w./-]+(?:\[\d+\])?:"
)
#: An LDAP distinguished name's domain components ("dc=kingsbridge,dc=local"): the directory's domain.
_LDAP_DC = re.compile(r"(?i)\bdc=[\w-]+(?:\s*,\s*dc=[\w-]+)+")
_LDAP_USER = re.compile(r"(?i)\b(?:cn|uid)=(?P<user>[A-Za-z][\w.-]{1,63})(?=\s*,\s*(?:ou|dc|cn|o)=)")
#: Keys whose value is a login name: config keys (user, username, login, uid, "User Id", *_user), the
#: ssh_config keyword User, ownership fields of tickets and CODEOWNERS-like lists.
_USER_KEY = re.compile(
    r"(?im)(?:^|(?<=[\s{,;\"'(]))(?P<key>(?:[\w.-]*_)?(?:user\s+id|user_name|username|userid|user_id|(?:pg|db|ftp|smtp|ldap|sql|mq)?user|"
    r"login|uid|owner|assignee|reporter|account_?name)(?:[_-](?:tag|login|handle))?|User)[\"']?(?:[ \t]*(?::|=|=>)[ \t]*|[ \t]+)"
    r"(?:(?P<q>[\"'])(?P<quoted>[^\"'\s]{2,64})(?P=q)|(?P<bare>[A-Za-z_][\w.\\-]{1,63}))(?![\w.@-])"
)
#: Prose around a login name: "user name tkowalski91", "Username is hope_adams_77", "for user 'pnakamura'",
#: "runs as svc_backup", "Accepted publickey for deploy_ci", "logged in as x".
_USER_PROSE = re.compile(
    r"(?i)\b(?:user\s*name|login\s+(?:name|id)|(?:for|as|invalid)\s+user|user|runs?\s+as|running\s+as|"
    r"logged\s+in\s+as|log\s+in\s+as|sudo\s+-u|su\s+-|accepted\s+(?:publickey|password|keyboard-interactive)\s+for|"
    r"failed\s+password\s+for(?:\s+invalid\s+user)?|owner\s+is|owned\s+by|assignee|reporter|handle)"
    r"(?:\s+(?:is|was|=|:)\s*|\s*[:=]\s*|\s+)(?:\(e\.g\.\s+)?(?P<q>['\"`]?)(?P<user>[A-Za-z_][\w.-]{1,63}?)(?P=q)"
    r"(?=[\s,;)'\"`.]|$)"
)
#: Home directories: /home/<user>/, /Users/<user>/, C:\Users\<user>\, ~user/.
_HOME_DIR = re.compile(
    r"(?:/home/|/Users/|[A-Za-z]:\\\\?Users\\\\?|(?<![\w~])~)(?P<user>[A-Za-z_][\w.'-]{1,63})(?=[/\\\\])"
)
#: Other cues right before a login name: "my online login is k.fitzgerald", "account locked: grant.m",
#: "sudo: hope.martinez :" (the sudo log line), "session opened for uid=4471 (ngoc.anh.pham)", "signed in as x",
#: Chinese 用户/用户名/账号/登录名 (and the traditional 使用者名稱/帳號/登入帳號) before a Latin login ("用户 wangxiaoming_88"), kubeconfig's first user
#: ("users:\n- name: dawn.hughes"), an ssh key's owner ("# key of rhys.llewellyn"), PHP's define('DB_USER', '…'), the owner part of a git remote
#: ("git@github.com:faith-ndlovu/repo.git", "https://user:token@github.com/lgrant/repo.git").
_USER_CUED = re.compile(
    r"(?i)(?:\blogin\s+(?:name\s+|id\s+)?(?:is|was)\s+|\baccount\s+(?:locked|disabled|unlocked|created|deleted|"
    r"expired|suspended)\s*[:=-]?\s*|\bsudo:\s+|\b(?:ssh\s+|public\s+)?key\s+(?:of|for|from)\s+(?=[a-z]+[.\d])|\buid=\d+\s*\(|\bsigned\s+in\s+as\s+|"
    r"(?:用户名?|使用者名稱|用戶名?|账号|帐号|帳號|賬號|登录名|登录账号|登入帳號)\s*[:：]?\s*|^users:[ \t]*\n[ \t]*-[ \t]+name:[ \t]*|"
    r"\bdefine\s*\(\s*['\"]\w*USER\w*['\"]\s*,\s*|\bgit@[\w.-]+:|://[^\s/@:]+:[^\s/@]+@[\w.-]+/)"
    r"['\"`]?(?P<user>(?<![A-Za-z0-9])[A-Za-z_][\w.'-]{1,63}?)['\"`]?(?=[\s,;:)'\"`/，。）(]|\.?$|\.\s)",
    re.MULTILINE,
)
#: The cues of :data:`_USER_CUED` that also start ordinary prose ("login is", "account locked:", "sudo:", 用户…).
_PROSE_USER_CUE = re.compile(
    r"(?i)login|account|sudo|signed|ssh|public|key|用户|用戶|使用者|账号|帐号|帳號|賬號|登录|登入"
)
#: A login in a URL or absolute path right after a collection of people ("GET /hr/employee/jfrost",
#: "/api/users/zhoujie/orders"): lower case, 3-32 characters, not a route word (:data:`_ROUTE_WORDS`);
#: checked by :func:`_path_user_ok`.
_PATH_USER = re.compile(
    r"/(?:users?|employees?|members?|staff|people|persons?|profiles?|accounts?|customers?|u)/"
    r"(?P<user>[a-z][a-z0-9._-]{2,31})(?=[/?#\s\"'`)]|$)"
)
#: Route words that follow a collection in URLs and are no login.
_ROUTE_WORDS = word_set(
    """me self current new edit search list all create update delete remove login logout register signup
    profile settings export import count active inactive admin details info avatar password reset verify
    invite bulk batch status groups roles permissions preferences stats summary index query find lookup
    filter page pages sort recent top online blocked pending approved metadata schema health ping auth
    token tokens upload download bulk-import bulk-export"""
)
#: A login name signing off a message on its own ("… Sorry. - jack.frost"): first.last, lower case.
_USER_SIGNATURE = re.compile(r"(?:^|\s)[-–—~]\s?(?P<user>[a-z]{2,}(?:[._][a-z]{2,})+)\s*$")
#: A .pgpass line (libpq, "The Password File"): hostname:port:database:username:password.
_PGPASS_LINE = re.compile(
    r"(?m)(?:^|(?<=\s))(?P<host>[\w.-]+):(?:\d{2,5}|\*):[\w.*-]+:(?P<user>[\w.@-]+):\S+$"
)
#: @-mentions (chat, code review, CODEOWNERS): not e-mail, not npm scopes (@types/node), not decorators.
_MENTION = re.compile(r"(?<![\w.@/+-])@(?P<user>[A-Za-z0-9][A-Za-z0-9._-]{1,38}[A-Za-z0-9])(?![\w(/@-]|\.\w)")
#: First parts of decorators and annotations that prose names ("use @pytest.mark.slow", "add @Override").
_DECORATOR_ROOTS = word_set(
    """pytest app router property staticmethod classmethod dataclass override functools lru_cache cache
    mock patch click celery api bp blueprint abstractmethod contextmanager wraps typing overload fixture
    deprecated param return returns throws see since author version todo fixme autowired test component
    service entity bean input output injectable media import keyframes font-face types angular babel vue
    nestjs tanstack jest testing-library emotion mui"""
)
#: psql -U, mysql -u, curl -u user:pass, --user/--username flags.
_USER_FLAG = re.compile(
    r"(?:\b(?:psql|pg_dump|pg_restore|mysql|mysqldump|mongo|mongosh|sqlcmd|redis-cli|curl|ssh)\b[^\n]*?\s"
    r"(?:-U|-u|-l)\s*|--user(?:name)?[= ])['\"]?(?P<user>[A-Za-z_][\w.\\-]{1,63})"
)
#: Accounts everybody has: no person or service is identified by them.
_GENERIC_USERS = word_set(
    """root git admin administrator ubuntu ec2-user centos debian postgres www-data nobody user username
    guest runner sa me you localhost default public shared anonymous test app all here channel everyone
    vscode node"""
)
#: Words after "user", "owner", "login" that are not a name ("the user can", "login failed", "User Id").
_NOT_USERS = word_set(
    """name names id ids account accounts data profile interface input experience agent group groups role
    roles session sessions manual guide list table model story stories base login logins permissions
    settings management password passwords email details info information object objects record records
    type types class service services request requests level mode space home failed fails failing page
    screen form field fields token tokens key keys creation created exists not found none null true
    false str string int str) deleted locked unknown invalid attempts attempt successful success error
    errors should must can cannot will would with without from and or the a an is was to of for in on at
    by as it this that who which has have had does did id: via option options count flow journey
    feedback support friendly facing defined specified provided supplied context models py example pass
    your my"""
)


#: Parts of an unquoted value that make it a code identifier rather than a login ("user = request.user",
#: "owner = current_owner").
_CODE_VALUE = re.compile(
    r"user|name|owner|login|account|self|request|args|config|settings|session|this\b", re.I
)


def _code_identifier(text: str, value: str, end: int) -> bool:
    """Whether an unquoted ``value`` ending at ``end`` reads as code: called or indexed right after, built from
    code words (:data:`_CODE_VALUE`), or used as an identifier elsewhere in ``text`` ("report_ro(", "x.y")."""
    if text[end : end + 1] in ("(", "[") or _CODE_VALUE.search(value):
        return True
    return any(start != end - len(value) for start in _identifier_uses(text, value))


@lru_cache(maxsize=64)
def _identifier_uses(text: str, value: str) -> tuple[int, ...]:
    """Start offsets where ``value`` is used as an identifier in ``text`` (called, a member taken, assigned).
    Cached: a text with thousands of equal values ("login is x" repeated) is scanned once per value, not once
    per occurrence (that was quadratic: 1.4 s on 22,000 characters)."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(value)}\s*(?:\(|\.[A-Za-z_]|=[^=])")
    return tuple(match.start() for match in pattern.finditer(text))


def _path_user_ok(text: str, match: re.Match[str]) -> bool:
    """Whether a :data:`_PATH_USER` match is a login: in a URL or an absolute path (its blank-free run holds
    "://" or starts with "/": not "src/users/views"), not a route word, a version or a file name."""
    user = match.group("user")
    run_start = max(text.rfind(c, 0, match.start()) for c in " \t\n\"'`(<") + 1
    run = text[run_start : match.start()]
    if "://" not in run and not run.startswith("/") and run:
        return False
    return (
        user not in _ROUTE_WORDS
        and re.search(r"[a-z]{3}", user) is not None
        and not re.search(
            r"\.(?:py|js|ts|json|ya?ml|txt|log|md|html?|css|go|rs|java|rb|php|sh|sql|csv|xml)$", user
        )
    )


def _usable_host(host: str) -> bool:
    """A host that names a private system: not an IP address (Presidio's ``IP_ADDRESS``), not localhost or a
    public service (:func:`privacy.urls.is_public_host`, also their subdomains such as ``api.github.com``), not a
    file name."""
    lower = host.lower().rstrip(".")
    if re.fullmatch(r"[\d.]+", lower) or len(lower) < 2:
        return False
    if is_public_host(lower):
        return False
    return not re.search(r"\.(?:py|js|ts|json|ya?ml|txt|log|pem|key|sh|conf|cfg|ini|md|git|sql|csv)$", lower)


def _usable_user(user: str) -> bool:
    """A login name that identifies someone or a service account: not a generic account, not an English word
    that follows "user" in prose, not a number, not a placeholder."""
    lower = user.lower().strip(".-")
    return (
        len(lower) >= 2
        and lower not in _GENERIC_USERS
        and lower not in _NOT_USERS
        and not lower.isdigit()
        and not is_placeholder_secret(user)
        and not lower.startswith(("$", "{", "<", "%"))
    )


def _private_dotted_host(text: str, match: re.Match[str]) -> bool:
    """A dotted host whose middle labels name a private network (:data:`_PRIVATE_LABELS`)."""
    labels = match.group("host").lower().split(".")
    return len(labels) >= 3 and any(label in _PRIVATE_LABELS for label in labels[1:-1])


def find_hosts_and_users(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of private host names and of login names in ``text`` (see :class:`InternalHostnameRecognizer`).

    Returns:
        ``(hosts, users)``: lists of ``(start, end)`` character offsets.
    """
    hosts: list[tuple[int, int]] = []
    users: list[tuple[int, int]] = []

    def host(match: re.Match[str], group: str = "host") -> None:
        value = match.group(group)
        if value and _usable_host(value):
            hosts.append(match.span(group))

    def user(match: re.Match[str], group: str = "user") -> None:
        value = match.group(group)
        if value and _usable_user(value):
            users.append(match.span(group))

    for match in _CONNECTION_URL.finditer(text):
        scheme = match.group("scheme").lower()
        if match.group("user") is not None:
            user(match)
        web = scheme in ("http", "https", "ws", "wss")
        key_before = re.search(
            r"(?i)\b(?:server|host|endpoint|proxy|api_?url)\b[\"']?\s*[:=]\s*[\"']?$",
            text[max(0, match.start() - 30) : match.start()],
        )
        if not web or match.group("user") is not None or match.group("port") or key_before:
            host(match)
    for match in _DOTTED_HOST.finditer(text):
        if _private_dotted_host(text, match):
            host(match)
    for command in _SSH_COMMAND.finditer(text):
        for match in _USER_AT_HOST.finditer(command.group()):
            if _usable_user(match.group("user")):
                users.append((command.start() + match.start("user"), command.start() + match.end("user")))
            if _usable_host(match.group("host")):
                hosts.append((command.start() + match.start("host"), command.start() + match.end("host")))
        bare = _SSH_BARE_HOST.match(command.group())
        if bare is not None and _usable_host(bare.group("host")) and "@" not in bare.group("host"):
            hosts.append((command.start() + bare.start("host"), command.start() + bare.end("host")))
    for pattern in (_HOST_KEY, _HOST_FLAG, _SYSLOG_HOST):
        for match in pattern.finditer(text):
            value = match.group("host")
            if pattern is _HOST_KEY and not re.search(r"[\d.-]", value) and not value.isupper():
                continue  # "host: yes", "server address": a host key with an ordinary word after it
            host(match)
    hosts.extend(m.span() for m in _LDAP_DC.finditer(text))
    for match in _USER_KEY.finditer(text):
        group = "quoted" if match.group("quoted") is not None else "bare"
        if group == "bare" and _code_identifier(text, match.group("bare"), match.end("bare")):
            continue
        if group == "bare" and re.fullmatch(r"[A-Z][a-z]+", match.group("bare")):
            continue  # "User: Vilma Holm": a capitalised word is a name (the name recognizers' business)
        separator = text[match.end("key") : match.start(group)]
        line_start = text.rfind("\n", 0, match.start("key")) + 1
        if not re.search(r"[:=]", separator) and (
            match.group("key") != "User" or text[line_start : match.start("key")].strip()
        ):
            continue  # "Login issue", "owner Jane": only ssh_config's "User deploy" line goes without ":" or "="
        user(match, group)
    for pattern in (_USER_PROSE, _LDAP_USER, _HOME_DIR, _USER_FLAG, _USER_CUED, _USER_SIGNATURE, _PATH_USER):
        for match in pattern.finditer(text):
            if pattern is _USER_PROSE and not (
                match.group("q")
                or re.search(r"[\d_.-]", match.group("user"))
                or match.group("user").islower()
            ):
                continue  # "the User Guide": a capitalised word after "user" is no login name
            if pattern is _PATH_USER and not _path_user_ok(text, match):
                continue
            if (
                pattern is _USER_CUED
                and _PROSE_USER_CUE.match(match.group())
                and not re.search(r"[\d_.'-]", match.group("user"))
            ):
                continue  # "the login is broken", "sudo: unable to …": in prose only a login-shaped word
            user(match)
    for match in _PGPASS_LINE.finditer(text):
        host(match)
        user(match)
    for match in _MENTION.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        rest = text[match.end() : len(text) if line_end == -1 else line_end]
        if not text[line_start : match.start()].strip() and " @" not in rest:
            continue  # a decorator or annotation opening its line ("@pytest.fixture", "@Override")
        if match.group("user").split(".")[0].lower() in _DECORATOR_ROOTS:
            continue  # "mark it with @pytest.mark.slow": a decorator named in prose
        user(match)
    return hosts, _everywhere(text, users)


def _everywhere(text: str, users: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``users`` plus every other whole-word occurrence of their values of 4+ characters (a login found once,
    in "git@github.com:faith-ndlovu/…", is a login in "Permission to faith-ndlovu/… denied" too)."""
    values = {text[start:end] for start, end in users if end - start >= 4}
    more = [
        m.span()
        for value in values
        for m in re.finditer(rf"(?<![\w.@-]){re.escape(value)}(?![\w@-]|\.\w)", text)
    ]
    return users + more


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
            supported_entities=["INTERNAL_HOSTNAME", "EMAIL_ADDRESS", "USERNAME"],
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
        if "INTERNAL_HOSTNAME" in entities or "USERNAME" in entities:
            hosts, users = find_hosts_and_users(text)
            known = {(r.start, r.end) for r in results}
            for entity, spans in (("INTERNAL_HOSTNAME", hosts), ("USERNAME", users)):
                if entity in entities:
                    results += [
                        self._result(entity, start, end, 0.6)
                        for start, end in _merge_spans(spans)
                        if (start, end) not in known
                    ]
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


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping ``(start, end)`` spans as their unions, sorted."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(set(spans)):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _in_url(text: str, index: int) -> bool:
    """Whether ``text[index]`` is inside a URL (a "://" earlier in the same whitespace-free run)."""
    run_start = max(text.rfind(c, 0, index) for c in " \t\n\"'<>(") + 1
    return "://" in text[run_start:index]

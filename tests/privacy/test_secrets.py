"""Secrets and internal host names (real Presidio + spaCy + detect-secrets): credentials found with the exact
span, documentation placeholders and code look-alikes left alone, the code policy's operator in each sink, and
no findings in the shipped corpora.

Token-shaped test values are generated (fixed seed) rather than written out, so that no literal in this file
looks like a live credential to a secret scanner.
"""

from __future__ import annotations

import random
import string

import pytest

from privacy import Deidentifier, Vault, reidentify
from privacy.secret_recognizers import InternalHostnameRecognizer, SecretRecognizer, is_placeholder_secret
from tests.conftest import domain_policy

CODE = domain_policy("code")
_RANDOM = random.Random(20240611)


def _token(prefix: str, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return prefix + "".join(_RANDOM.choice(alphabet) for _ in range(length))


GHP = _token("ghp_", 36)
GITHUB_PAT = _token("github_pat_", 22) + _token("_", 59)
AWS_KEY_ID = _token("AKIA", 16, string.ascii_uppercase + string.digits)
AWS_SECRET = _token("", 40)
SLACK_BOT = "xoxb-" + _token("", 11, string.digits) + "-" + _token("", 13, string.digits) + _token("-", 24)
SLACK_HOOK = (
    "https://hooks.slack.com/services/" + _token("T", 8) + "/" + _token("B", 10) + "/" + _token("", 24)
)
DISCORD_HOOK = "https://discord.com/api/webhooks/" + _token("", 18, string.digits) + "/" + _token("", 68)
TEAMS_HOOK = (
    "https://contoso.webhook.office.com/webhookb2/" + _token("", 30) + "/IncomingWebhook/" + _token("", 32)
)
STRIPE = _token("sk_live_", 24)
GOOGLE = _token("AIza", 35)
OPENAI = _token("sk-proj-", 20) + "T3BlbkFJ" + _token("", 20)
HUGGING_FACE = _token("hf_", 34, string.ascii_letters)
BEARER = _token("", 40)
PASSWORD = _token("", 6) + "!9"
JWT = "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiNDcxMSIsICJyb2xlIjogImFkbWluIn0." + _token(
    "", 43, string.ascii_letters + string.digits + "-_"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + "\n".join(_token("", 64, string.ascii_letters + string.digits + "+/") for _ in range(4))
    + "\n-----END RSA PRIVATE KEY-----"
)


def _secrets(deidentifier: Deidentifier, text: str) -> list[str]:
    return [
        text[f.start : f.end] for f in deidentifier.find(text, ["SECRET"], 0.4) if f.entity_type == "SECRET"
    ]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f'token = "{GHP}"', GHP),
        (f"export GITHUB_TOKEN={GITHUB_PAT}", GITHUB_PAT),
        (f"aws_access_key_id = {AWS_KEY_ID}", AWS_KEY_ID),
        (f'aws_secret_access_key = "{AWS_SECRET}"', AWS_SECRET),
        (f"SLACK_BOT_TOKEN={SLACK_BOT}", SLACK_BOT),
        (f"curl -X POST {SLACK_HOOK} -d @msg.json", SLACK_HOOK),
        (f"notify via {DISCORD_HOOK} on failure", DISCORD_HOOK),
        (f"TEAMS_URL = '{TEAMS_HOOK}'", TEAMS_HOOK),
        (f"stripe.api_key = {STRIPE}", STRIPE),
        (f"const key = '{GOOGLE}';", GOOGLE),
        (f"client = OpenAI(api_key='{OPENAI}')", OPENAI),
        (f"HF_TOKEN={HUGGING_FACE}", HUGGING_FACE),
        (f"Authorization: Bearer {BEARER}", BEARER),
        (f"curl -H 'Authorization: Bearer {JWT}' https://api.example.com", JWT),
        (f"DATABASE_URL=postgres://app:{PASSWORD}@db01.corp:5432/orders", PASSWORD),
        (f"Server=tcp:sql01.corp,1433;Database=orders;User Id=app;Password={PASSWORD};", PASSWORD),
        (f"jdbc:mysql://db01.corp:3306/shop?user=app&password={PASSWORD}", PASSWORD),
        ("Server=db01.corp;User Id=app;Password=739104;", "739104"),  # digits only, still a password
        ("redis://default:739104@cache01.corp:6379/0", "739104"),
        (f'password = "{PASSWORD}"', PASSWORD),
        (f'API_KEY = "{BEARER}"', BEARER),
        (f"DB_PASSWORD={PASSWORD}", PASSWORD),
        (f"key.pem holds:\n{PEM}\nand nothing else", PEM),
    ],
)
def test_credentials_are_found_with_their_exact_span(
    deidentifier: Deidentifier, text: str, secret: str
) -> None:
    assert _secrets(deidentifier, text) == [secret]


@pytest.mark.parametrize(
    "text",
    [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",  # AWS's documented example key
        'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
        'password = "${DB_PASSWORD}"',
        'password = "<your-password>"',
        'api_key = "xxxxxxxxxxxxxxxx"',
        "password = get_password()",
        "self.password = password",
        "password = settings.DB_PASSWORD",
        "webhook: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "Use Password=...; in the connection string",
        "id = '123e4567-e89b-12d3-a456-426614174000'",  # a UUID in a test
        "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "git checkout 9fceb02d0ae598e95dc970b74767f19372d61af8",
        'data = base64.b64decode("SGVsbG8sIFdvcmxkIQ==")',
        'expected = "dGhpcyBpcyBhIHRlc3Qgc3RyaW5nIGZvciBiYXNlNjQ="',  # base64 fixture (high entropy)
        'nonce = "8f14e45fceea167a5a36dedd4bea2543"',  # an MD5 in a test (high entropy)
        '<script integrity="sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==">',
        "The password is stored hashed with bcrypt; never log it.",
        "A file starting with BEGIN RSA PUBLIC KEY is safe to share.",
    ],
)
def test_placeholders_and_code_look_alikes_are_not_secrets(deidentifier: Deidentifier, text: str) -> None:
    assert _secrets(deidentifier, text) == []


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("<token>", True),
        ("${API_KEY}", True),
        ("your_api_key", True),
        ("********", True),
        ("abcdefghijklmnop", True),  # sequential
        ("123e4567-e89b-12d3-a456-426614174000", True),
        ("12345678901", True),  # no letter
        (PASSWORD, False),
        (GHP, False),
    ],
)
def test_placeholder_rule(value: str, placeholder: bool) -> None:
    assert is_placeholder_secret(value) is placeholder


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("ssh build01.corp and restart it", "INTERNAL_HOSTNAME", "build01.corp"),
        ("the API is at https://api.internal/v1/users", "INTERNAL_HOSTNAME", "api.internal"),
        ("ping nas.home.arpa", "INTERNAL_HOSTNAME", "nas.home.arpa"),
        ("node ip-10-0-0-12.ec2.internal is down", "INTERNAL_HOSTNAME", "ip-10-0-0-12.ec2.internal"),
        ("Connect to db.prod.lan:5432 first", "INTERNAL_HOSTNAME", "db.prod.lan"),
        ("the host is printer.local", "INTERNAL_HOSTNAME", "printer.local"),
        ("mail jane.doe@corp.internal about it", "EMAIL_ADDRESS", "jane.doe@corp.internal"),
        ("it fails from 10.0.3.17 and 192.168.1.20", "IP_ADDRESS", "192.168.1.20"),
        ("route to 172.16.4.2 is down", "IP_ADDRESS", "172.16.4.2"),
    ],
)
def test_internal_hosts_addresses_and_private_ips_are_found(
    deidentifier: Deidentifier, text: str, entity: str, value: str
) -> None:
    found = deidentifier.find(text, ["INTERNAL_HOSTNAME", "EMAIL_ADDRESS", "IP_ADDRESS"], 0.4)
    assert (entity, value) in [(f.entity_type, text[f.start : f.end]) for f in found]


@pytest.mark.parametrize(
    "text",
    [
        "local = threading.local()",
        "if config.internal:\n    return",
        "cp .env.local .env",
        "edit settings.local.py",
        "see docs.python.org/3/library",
        "the corp.local team",  # no host evidence: two labels, no digit, no host word
    ],
)
def test_attribute_access_and_file_names_are_not_host_names(deidentifier: Deidentifier, text: str) -> None:
    assert deidentifier.find(text, ["INTERNAL_HOSTNAME"], 0.4) == []


MESSAGE = (
    f"Why does postgres://app:{PASSWORD}@db01.corp:5432/orders time out from 10.1.2.3? "
    f"I pass the token {GHP}. Mail ops@corp.internal if needed."
)


@pytest.mark.parametrize(
    ("sink", "expected"),
    [
        (
            "prompt",
            "Why does postgres://app:<SECRET>@<INTERNAL_HOSTNAME_1>:5432/orders time out from <IP_ADDRESS_1>? "
            "I pass the token <SECRET>. Mail <EMAIL_ADDRESS_1> if needed.",
        ),
        (
            "memory",
            "Why does postgres://app:<SECRET>@<INTERNAL_HOSTNAME_1>:5432/orders time out from <IP_ADDRESS_1>? "
            "I pass the token <SECRET>. Mail <EMAIL_ADDRESS_1> if needed.",
        ),
        (
            "index",
            "Why does postgres://app:<SECRET>@<INTERNAL_HOSTNAME>:5432/orders time out from 10.1.2.3? "
            "I pass the token <SECRET>. Mail <EMAIL_ADDRESS> if needed.",
        ),
    ],
)
def test_code_policy_applies_its_operator_in_each_sink(
    deidentifier: Deidentifier, sink: str, expected: str
) -> None:
    vault = Vault("s")
    assert deidentifier.deidentify(MESSAGE, CODE, sink, vault).text == expected  # type: ignore[arg-type]
    assert PASSWORD not in vault.values.values() and GHP not in vault.values.values()


def test_a_url_password_beats_the_email_address_shaped_text_around_it(deidentifier: Deidentifier) -> None:
    text = (
        f"psql postgres://app:{PASSWORD}@db.example.com:5432/orders"  # "...!9@db.example.com" looks like mail
    )
    prompt = deidentifier.pseudonymize(text, CODE, Vault("s")).text
    assert prompt == "psql postgres://app:<SECRET>@db.example.com:5432/orders"


def test_code_policy_drops_secrets_and_hashes_hosts_in_logs(deidentifier: Deidentifier) -> None:
    logged = deidentifier.deidentify(MESSAGE, CODE, "logs").text
    assert logged.count("<SECRET>") == 2
    assert "<INTERNAL_HOSTNAME#" in logged and "<IP_ADDRESS#" in logged
    for raw in (PASSWORD, GHP, "db01.corp", "10.1.2.3", "ops@corp.internal"):
        assert raw not in logged


def test_code_display_restores_hosts_and_never_a_secret(deidentifier: Deidentifier) -> None:
    vault = Vault("s")
    prompt = deidentifier.pseudonymize(MESSAGE, CODE, vault).text
    shown = reidentify(prompt, vault, CODE)
    assert "db01.corp" in shown and "10.1.2.3" in shown and "ops@corp.internal" in shown
    assert PASSWORD not in shown and GHP not in shown and shown.count("<SECRET>") == 2


def test_union_policy_redacts_secrets_before_a_domain_is_chosen() -> None:
    from privacy import PiiPolicy

    union = PiiPolicy.union([domain_policy(name) for name in ("finance", "code", "medical")])
    assert [union.operator("SECRET", sink) for sink in ("prompt", "memory", "index", "logs", "display")] == [
        "redact",
        "redact",
        "redact",
        "drop",
        "redact",
    ]


def test_shipped_code_corpus_has_no_secret_host_email_or_ip_findings(deidentifier: Deidentifier) -> None:
    """False positives measured on the code sample knowledge base (~83 KB of Python docs with examples, Go and
    TypeScript): it holds no credential, internal host, e-mail address or IP address."""
    from domains import load_domains, sample_corpus_files

    config = load_domains()["code"]
    entities = ["SECRET", "INTERNAL_HOSTNAME", "EMAIL_ADDRESS", "IP_ADDRESS"]
    false = [
        (path.name, f.entity_type, text[f.start : f.end])
        for path in sample_corpus_files(config)
        for text in [path.read_text(encoding="utf-8")]
        for f in deidentifier.find(text, entities, 0.4, config.keep_terms)
    ]
    assert false == []


@pytest.mark.parametrize("domain", ["finance", "medical"])
def test_other_shipped_corpora_have_no_secret_or_host_findings(domain: str) -> None:
    """The union policy looks for secrets in every message before routing: the other corpora stay clean too."""
    from domains import load_domains, sample_corpus_files

    secrets, hosts = SecretRecognizer(), InternalHostnameRecognizer()
    false = [
        (path.name, r.entity_type, text[r.start : r.end])
        for path in sample_corpus_files(load_domains()[domain])
        for text in [path.read_text(encoding="utf-8")]
        for r in secrets.analyze(text, ["SECRET"])
        + hosts.analyze(text, ["INTERNAL_HOSTNAME", "EMAIL_ADDRESS"])
    ]
    assert false == []

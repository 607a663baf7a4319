"""Identifiers found by their form or their label (issue 22, structural rules), measured strictly with the real
analyzer and the shipped domain policies: an identifier counts as removed only when no word of 4+ letters and no
run of 5+ of its letters or digits survives in the prompt text (a partial mask is a leak). Over-redaction
negatives (amounts, versions, durations, doses, code identifiers, public hosts) must survive unchanged.

Every example here was written for this file (none is copied from the evaluation sets)."""

from __future__ import annotations

import re

import pytest

from privacy import Deidentifier, Vault
from tests.conftest import domain_policy
from tests.growth import growth_ratio

_POLICIES = {name: domain_policy(name) for name in ("finance", "medical", "code")}
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")


def _prompt(deidentifier: Deidentifier, text: str, domain: str) -> str:
    """``text`` as the model receives it under ``domain``'s policy (placeholders blanked out)."""
    out = deidentifier.deidentify(text, _POLICIES[domain], "prompt", Vault(session_id="t")).text
    return _PLACEHOLDER.sub(" ", out)


def _leak(value: str, out: str) -> str | None:
    """What of ``value`` survives in ``out``: a word of 4+ letters, a run of 5+ letters/digits, or (for a value
    shorter than 5 characters) the value itself; None when it is removed whole."""
    low = out.lower()
    for word in re.findall(r"[^\W\d_]{4,}", value):
        if re.search(rf"(?<![^\W\d_]){re.escape(word.lower())}(?![^\W\d_])", low):
            return word
    bare = re.sub(r"[\W_]", "", value).lower()
    squeezed = re.sub(r"[\W_]", "", low)
    if len(bare) < 5:
        hit = re.search(rf"(?<![A-Za-z0-9]){re.escape(value.lower())}(?![A-Za-z0-9])", low)
        return value if hit else None
    return next((bare[i : i + 5] for i in range(len(bare) - 4) if bare[i : i + 5] in squeezed), None)


REMOVED = [
    # --- payment cards, whatever the grouping; Luhn-invalid numbers typed next to a card word too
    ("finance", "pls cancel card 4929 7731 0285 6614 asap", "4929 7731 0285 6614"),
    ("finance", "my debit card no. is 5412.7712.3309.8841, it got swallowed", "5412.7712.3309.8841"),
    ("finance", "charged twice on 4716-2209-3381-5526 (my visa)", "4716-2209-3381-5526"),
    ("finance", "Card: 4556 0137 9921 4408 exp 10/29", "4556 0137 9921 4408"),
    ("finance", "new card is 4024 0071 8823 9917 but the app still shows the old one", "4024 0071 8823 9917"),
    ("finance", "amex 3714 496353 98431 was stolen", "3714 496353 98431"),
    ("finance", "the card shows 4929 77** **** 6614 on the receipt", "4929 77** **** 6614"),
    # --- card security codes
    ("finance", "card 4929 7731 0285 6614, cvv 418, exp 03/28", "418"),
    ("finance", "The CVC2 is 7204 on the front of my amex", "7204"),
    ("finance", "security code: 655", "655"),
    ("finance", "the 3 digits on the back are 902", "902"),
    ("finance", "CSC 331 expiry 0927", "331"),
    ("finance", "the cvc for the old card was 586, does it matter", "586"),
    ("finance", "sec code 481 and the card is 4929 773102856614", "481"),
    ("finance", "my card 4929 773102856614 got declined", "4929 773102856614"),
    ("finance", "the code on the back of the card is 774", "774"),
    ("finance", "billing zip 30309-4412 for the visa", "30309-4412"),
    ("finance", "IBAN: GB12 BARC 2004 1512 3456 78 please", "GB12 BARC 2004 1512 3456 78"),
    ("finance", "my ssn is 123-45-6789 and my wife's is 987 65 4321", "123-45-6789"),
    ("medical", "NHS number: 485 777 3451 (from the old letter)", "485 777 3451"),
    ("finance", "the old van ABC 123D was sold, registration P123 ABC now", "P123 ABC"),
    ("medical", "brought in by car, licence plate 7ABC123", "7ABC123"),
    # --- bank details written as a pair, National Insurance numbers after their label whatever the prefix
    ("finance", "pay my landlord: 11-42-09 / 30917745 thanks", "11-42-09"),
    ("finance", "pay my landlord: 11-42-09 / 30917745 thanks", "30917745"),
    ("finance", "move it from acct 55190328 sc 07-44-18 pls", "07-44-18"),
    ("finance", "National Insurance number: QQ 81 22 64 D", "QQ 81 22 64 D"),
    ("finance", "transfer flagged for customer_id=KLM-00472213 yesterday", "KLM-00472213"),
    ("finance", "KYC: driving licence HARRI712039JM8AB, address on file", "HARRI712039JM8AB"),
    # --- UK postcodes alone and in addresses; flats as one span with the house number
    ("finance", "my postcode is LS6 2QT if that helps", "LS6 2QT"),
    ("finance", "post code: ec1a 1bb", "ec1a 1bb"),
    ("medical", "pt lives in postcode B15 2TT, sister nearby", "B15 2TT"),
    (
        "finance",
        "Please post it to Flat 4, 19 Marlowe Road, Reading RG1 7PQ.",
        "Flat 4, 19 Marlowe Road, Reading RG1 7PQ",
    ),
    ("medical", "D/C HOME TO 31 QUARRY LANE, HALIFAX HX3 9TD WITH POC", "31 QUARRY LANE, HALIFAX HX3 9TD"),
    (
        "finance",
        "ship it to 4417 Cedar Hollow Rd, Apt 12, Boise, ID 83702 please",
        "4417 Cedar Hollow Rd, Apt 12, Boise, ID 83702",
    ),
    (
        "finance",
        "j'habite au 9 bis rue des Tanneurs, 67000 Strasbourg",
        "9 bis rue des Tanneurs, 67000 Strasbourg",
    ),
    (
        "medical",
        "Transfert vers 22 allée des Cerisiers, 44300 Nantes demain",
        "22 allée des Cerisiers, 44300 Nantes",
    ),
    ("finance", "my address: 7 impasse du Moulin, 13008 Marseille", "7 impasse du Moulin, 13008 Marseille"),
    # streets typed in lower case, after an address cue or before a postcode
    ("finance", "pls post it to 6 rowan close, kendal la9 4qd ta", "6 rowan close, kendal la9 4qd"),
    ("medical", "lives at 41 wharf st sw8 1ab with partner", "41 wharf st sw8 1ab"),
    (
        "finance",
        "mailing addy: 2207 birch hollow dr, tulsa, ok 74105",
        "2207 birch hollow dr, tulsa, ok 74105",
    ),
    # a unit after a name stays out of the address: the name keeps its own finding
    ("finance", "Mrs. Carla Vintner Apt. 12 4410 Birchwood Lane, Dover", "Carla Vintner"),
    # --- labelled ids
    ("finance", "my customer number is 8812094471", "8812094471"),
    ("finance", "loan ref LX-00918273 still shows arrears", "LX-00918273"),
    ("finance", "policy number HH-44719026 for the home insurance", "HH-44719026"),
    ("finance", "membership no. M8832109 please", "M8832109"),
    ("finance", "car finance for reg KM68 TRV is overdue", "KM68 TRV"),
    ("medical", "Hospital no: Q7719032, bed 4", "Q7719032"),
    ("medical", "his NHS number is 401 023 2129", "401 023 2129"),
    ("medical", "NHS 4010232129 for the referral", "4010232129"),
    ("medical", "admission no. 2025-0041187 on the ward list", "2025-0041187"),
    ("medical", "vehicle reg SV22 HLX parked in the ambulance bay", "SV22 HLX"),
    ("finance", "Username: marta_k_1988 keeps getting locked", "marta_k_1988"),
    ("finance", "Applicant passport 07KP55120, issued in Lyon", "07KP55120"),
    ("medical", "bloods for patient ID QZ-318-7720 back today", "QZ-318-7720"),
    (
        "code",
        "curl -H 'Accept: application/json' https://billing.internal.morrowfield.io/v1/x",
        "billing.internal.morrowfield.io",
    ),
    ("code", "cat ~/.pgpass\ndb-07.lan:5432:*:jhalloran:Qw!9zzTop", "jhalloran"),
    ("code", "cat ~/.pgpass\ndb-07.lan:5432:*:jhalloran:Qw!9zzTop", "Qw!9zzTop"),
    (
        "code",
        "users:\n- name: ops\n  user:\n    client-key-data: TFMwdExTMUNSVWRKVGlCU1UwRWdVRkpKVmtGVVJTQkxSVmt0TFMwdExRbz0K",
        "TFMwdExTMUNSVWRKVGlCU1UwRWdVRkpKVmtGVVJTQkxSVmt0TFMwdExRbz0K",
    ),
    (
        "code",
        'curl -H "Authorization: Basic ZGVwbG95OmhvcnNlYmF0dGVyeQ==" https://x',
        "ZGVwbG95OmhvcnNlYmF0dGVyeQ==",
    ),
    ("code", "grafana:\n  admin_password: Xy7!pp22q\n  admin_user: ops_grafana", "Xy7!pp22q"),
    # --- code: hosts, user names, credentials
    ("code", "DB=postgresql://ledger_svc:Tr0ub4dor@pg-books-02.corp:5432/accounts", "pg-books-02.corp"),
    ("code", "DB=postgresql://ledger_svc:Tr0ub4dor@pg-books-02.corp:5432/accounts", "ledger_svc"),
    (
        "code",
        "mongodb+srv://ana_m:pw4Mongo@cluster7.ab12c.example-db.net/shop",
        "cluster7.ab12c.example-db.net",
    ),
    ("code", "url: jdbc:mysql://crm-04.internal.fernleaf.io:3306/crm", "crm-04.internal.fernleaf.io"),
    ("code", "ssh -i ~/.ssh/ops.pem deployer@build-11.int 'systemctl restart api'", "build-11.int"),
    ("code", "ssh -i ~/.ssh/ops.pem deployer@build-11.int 'systemctl restart api'", "deployer"),
    ("code", "scp dump.sql mkhan@10.20.4.17:/tmp/ && rsync -av ./ tlindqvist@files-03.lan:/srv", "mkhan"),
    (
        "code",
        "scp dump.sql mkhan@10.20.4.17:/tmp/ && rsync -av ./ tlindqvist@files-03.lan:/srv",
        "tlindqvist",
    ),
    (
        "code",
        "Host analytics\n  HostName etl-box-09.ops.quillon.net\n  User rbeaumont\n",
        "etl-box-09.ops.quillon.net",
    ),
    ("code", "Host analytics\n  HostName etl-box-09.ops.quillon.net\n  User rbeaumont\n", "rbeaumont"),
    (
        "code",
        "clusters:\n- cluster:\n    server: https://k8s-api.staging.vantor.io:6443\n",
        "k8s-api.staging.vantor.io",
    ),
    (
        "code",
        "[smtp]\nhost = relay-2.corp.brackenfield.com\nuser = mailer_bot\n",
        "relay-2.corp.brackenfield.com",
    ),
    ("code", "[smtp]\nhost = relay-2.corp.brackenfield.com\nuser = mailer_bot\n", "mailer_bot"),
    ("code", 'File "/home/oadebayo/src/app/main.py", line 3', "oadebayo"),
    ("code", "failed login for user 'hvasquez' from 10.1.1.9", "hvasquez"),
    ("code", "please review, @lmcallister and @p-okafor", "p-okafor"),
    ("code", '{"db_user": "orders_ro", "db_password": "Kx9!mQ2zP"}', "Kx9!mQ2zP"),
    ("code", '{"db_user": "orders_ro", "db_password": "Kx9!mQ2zP"}', "orders_ro"),
    ("code", "smtp_pass: 'Hv#44kLm1'\nclient_secret = 9f8e7d6c5b4a", "Hv#44kLm1"),
    ("code", "smtp_pass: 'Hv#44kLm1'\nclient_secret = 9f8e7d6c5b4a", "9f8e7d6c5b4a"),
    (
        "code",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2\n"
        "QyNTUxOQAAACBzWq1cL0xv7Y8mWk3d9J4rR2pT6uH0aEoVZnF8yKcGjgAAAJi3vWlLt71p",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2\n"
        "QyNTUxOQAAACBzWq1cL0xv7Y8mWk3d9J4rR2pT6uH0aEoVZnF8yKcGjgAAAJi3vWlLt71p",
    ),
]


@pytest.mark.parametrize(("domain", "text", "value"), REMOVED)
def test_identifier_is_removed_whole(deidentifier: Deidentifier, domain: str, text: str, value: str) -> None:
    out = _prompt(deidentifier, text, domain)
    assert _leak(value, out) is None, out


KEPT = [
    (
        "finance",
        "I paid £1,250.00 on 12 March and 3.5% interest for 14 days",
        ["£1,250.00", "3.5%", "14 days"],
    ),
    ("finance", "order 1234 5678 arrived; the code 448 of the promo did not work", ["1234 5678"]),
    ("finance", "is the Visa Platinum card worth it at $49.99 a month?", ["Visa Platinum", "$49.99"]),
    (
        "finance",
        "the annual fee went from 120 to 150 and the CVV field in the app is greyed out",
        ["CVV field"],
    ),
    ("finance", "my reference for the complaint is the call last Tuesday", ["last Tuesday"]),
    ("finance", "batch 12-05-21 20240101 reconciled, 3 items", ["12-05-21 20240101"]),
    ("finance", "a 2024 plan for 3 years and case 12 closed", ["2024 plan", "case 12"]),
    ("finance", "my registration was in 2019 and the zip file has 12345 rows", ["in 2019", "12345 rows"]),
    (
        "finance",
        "the IBAN rules changed in 2024; the NHS number format has 10 digits",
        ["IBAN rules", "10 digits"],
    ),
    (
        "finance",
        "regression test 3x; registration takes 4 weeks",
        ["regression test 3x", "4 weeks"],
    ),
    ("medical", "metformin 500 mg twice daily for six weeks, then review", ["500 mg", "six weeks"]),
    (
        "finance",
        "its a 10 minute drive from the 2 side streets near 5 park lane hotels",
        ["10 minute drive", "5 park lane"],
    ),
    ("medical", "Glasgow Coma Scale 14, Apgar 9 at 5 min, on ward 7", ["Scale 14, Apgar 9"]),
    ("medical", "PT: 45YO M, pain 7/10, patient 2 days post op", ["45YO", "patient 2 days"]),
    ("medical", "ID consult in 2 weeks, unit 5 bed 3", ["ID consult", "unit 5"]),
    ("code", "pip install requests==2.31.0 from pypi.org on Python 3.11.4", ["2.31.0", "pypi.org", "3.11.4"]),
    ("code", "git clone https://github.com/psf/requests.git and run pytest", ["github.com/psf/requests"]),
    ("code", "def get_user_by_id(user_id): return db.users.get(user_id)", ["get_user_by_id", "user_id"]),
    ("code", "@pytest.fixture\ndef client(): ...\n@app.route('/login')", ["@pytest.fixture", "@app.route"]),
    ("code", "mark it with @pytest.mark.slow; npm i @types/node", ["@pytest.mark.slow", "@types/node"]),
    (
        "code",
        "user = User.objects.get(pk=1)\nowner = request.user\nLogin issue fixed",
        ["User.objects.get", "request.user", "Login issue"],
    ),
    ("code", "host: yes\nserver: nginx\nmax_tokens: 512\npassword_min_length = 12", ["nginx", "512", "12"]),
    ("code", "docker run -e PGPASSWORD=s3cretPw9 postgres:16 psql", ["postgres:16 psql"]),
    (
        "code",
        "client-certificate-data: is public; set token_url and secret_name: db-creds",
        ["token_url", "db-creds"],
    ),
    ("code", "set max_retries = 5 and timeout = 30s in config.yaml", ["max_retries", "timeout"]),
    ("code", "connect to localhost:5432 as user postgres", ["localhost:5432"]),
    ("code", "the version is 1.2.3-beta.4 and the build took 12.5 seconds", ["1.2.3-beta.4", "12.5 seconds"]),
]


@pytest.mark.parametrize(("domain", "text", "keep"), KEPT)
def test_ordinary_terms_survive(deidentifier: Deidentifier, domain: str, text: str, keep: list[str]) -> None:
    out = deidentifier.deidentify(text, _POLICIES[domain], "prompt", Vault(session_id="t")).text
    assert all(term in out for term in keep), out


def test_a_name_after_user_is_no_login_name(deidentifier: Deidentifier) -> None:
    """ "User: Vilma Holm" names a person (presidio_synth's account-holder template); a login is one token."""
    text = "What's the name on the account? User: Vilma Holm"
    found = deidentifier.find_for(text, _POLICIES["finance"], "prompt")
    assert "USERNAME" not in {f.entity_type for f in found}, found


@pytest.mark.parametrize("unit", ["a", "x.", "a-"])
def test_config_key_pattern_is_linear_on_long_runs(unit: str) -> None:
    """A key pattern with an unanchored ``[\\w.-]*`` rescanned a run from each of its characters (5,000 letters:
    2 s); anchored and bounded, 4× the run takes about 4× the time (tests/growth.py)."""
    from privacy.secret_recognizers import InternalHostnameRecognizer, SecretRecognizer

    def both(text: str) -> None:
        SecretRecognizer().analyze(text, ["SECRET"])
        InternalHostnameRecognizer().analyze(text, ["INTERNAL_HOSTNAME", "USERNAME"])

    assert growth_ratio(both, unit, 5_000 // len(unit)) < 9

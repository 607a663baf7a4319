"""Issue 22, round 2: credentials, login names and labelled ids that the round-1 rules left whole or in part.

Each kind of case is tested on the recognizer that owns it and, where a policy decides, through the domain's
prompt policy (real Presidio + spaCy + detect-secrets). Every rule has look-alikes that must stay.
"""

from __future__ import annotations

import pytest

from privacy import Deidentifier
from privacy.chinese_ids import ChineseRecordNumberRecognizer
from privacy.finance_recognizers import build_finance_recognizers
from privacy.secret_recognizers import SecretRecognizer, find_hosts_and_users, password_shaped
from tests.conftest import domain_policy
from tests.growth import growth_ratio

CODE = domain_policy("code")
FINANCE = domain_policy("finance")
MEDICAL = domain_policy("medical")


def secrets(text: str) -> list[str]:
    """The ``SECRET`` spans :class:`SecretRecognizer` finds in ``text``."""
    return [text[r.start : r.end] for r in SecretRecognizer().analyze(text, ["SECRET"])]


def users(text: str) -> list[str]:
    """The login names :func:`find_hosts_and_users` finds in ``text`` (each once, in order)."""
    return list(dict.fromkeys(text[start:end] for start, end in find_hosts_and_users(text)[1]))


def found(deidentifier: Deidentifier, text: str, domain: str) -> list[tuple[str, str]]:
    """``(entity type, text)`` of every finding the domain's prompt policy makes in ``text``."""
    policy = {"code": CODE, "finance": FINANCE, "medical": MEDICAL}[domain]
    return [(f.entity_type, text[f.start : f.end]) for f in deidentifier.find_for(text, policy, "prompt")]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # a cue, then words, then a password-shaped value
        ("i forgot my banking password, i think it was Sunflower!2024 but it doesnt work", "Sunflower!2024"),
        ("the temp password you sent me Xq7#pL29wz has expired already", "Xq7#pL29wz"),
        ("<- password is in vault but for now it's Orders#2023", "Orders#2023"),
        ("新同事入职：域账号 zhangsan，初始密码 Welcome@123，邮箱见下", "Welcome@123"),
        # a quoted value a few words after "secret word"
        ("how do i reset my secret word? the old one was 'buttercup' and", "buttercup"),
        # the password flag of redis-cli
        ("redis-cli -h cache.internal -a 'R3d1s!Sessi0n' -p 6380 ping", "R3d1s!Sessi0n"),
        # a password-shaped token without any cue
        ('variable "db" {\n  default = "Tf$Secret2025"\n}', "Tf$Secret2025"),
        # URL passwords with an empty user (Redis), with "#" or "@" unencoded
        ("Cannot connect to redis://:Cel3ryBr0ker@10.0.3.7:6379/0: Error 111", "Cel3ryBr0ker"),
        ("redis://cache.local:Rds#9981@redis-ha.local:6379/2", "Rds#9981"),
        ("postgres://crm:Zw@123456@db.internal:5432/crm", "Zw@123456"),
        # PHP constants, curl -u user:password, prose tokens
        ("define( 'DB_PASSWORD', 'Sp00nful0fSugar' );", "Sp00nful0fSugar"),
        ("+ curl -u ci-bot:ZmFrZS1wYXNzd29yZA== https://nexus.corp/repo/", "ZmFrZS1wYXNzd29yZA=="),
        (
            "shows a token for user bk. token was 11a9f3e2c7d84b05b6e1f0a2c3d4e5f6",
            "11a9f3e2c7d84b05b6e1f0a2c3d4e5f6",
        ),
        # keys named *_KEY and access key ids in JSON/YAML
        ('  API_V3_KEY: "a8F3kL9pQ2rT7vX1zB4nM6cD0eG5hJ8w"', "a8F3kL9pQ2rT7vX1zB4nM6cD0eG5hJ8w"),
        ('    "access_key_id": "LTAI5tRq9XzW3mK8pNvYb2Hd",', "LTAI5tRq9XzW3mK8pNvYb2Hd"),
        ("aws_access_key_id = AKIA3XMPL4BILLING77", "AKIA3XMPL4BILLING77"),
        # a JWT to its last character
        ("我的token是 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6aG91amllIn0.Xq3v9kLmP2sT8wRz", None),
    ],
)
def test_passwords_and_tokens_are_found_whole(text: str, secret: str | None) -> None:
    expected = secret if secret is not None else text.split()[-1]
    assert expected in secrets(text)


def test_a_connection_string_key_ends_at_the_next_key() -> None:
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    text = f"DefaultEndpointsProtocol=https;AccountName=finrecords;AccountKey={key};EndpointSuffix=core.windows.net"
    (found_secret,) = secrets(text)
    assert found_secret.endswith(key)
    assert "windows" not in found_secret


@pytest.mark.parametrize(
    "text",
    [
        "the password hash uses sha256Hash and getUser2FA in Python3 with log4jCore",
        "reset your password at https://bank.example/reset?x=1 then log in as Jane.Doe1@Corp.com",
        "see Sheet1!A1, =SUM(B2:B9), C#10, issue#123, UTF-8 and $HOME/Dir1",
        "password must be at least 12 characters with a digit",
        "the password field is called 'pwd_hash' in the users table",
        "password reset for jsmith2 failed",
        "sort_key: created_at_2024_field_x1",
        "max_tokens: 512 and the token count is 12345678901234567",
        "Use the AWS example AKIAIOSFODNN7EXAMPLE from the documentation",
    ],
)
def test_code_and_prose_look_alikes_are_not_secrets(text: str) -> None:
    assert secrets(text) == []


@pytest.mark.parametrize(
    ("value", "shaped"),
    [
        ("Sunflower!2024", True),
        ("Sp00nful0fSugar", True),
        ("Cel3ryBr0ker", True),
        ("getUser2FA", False),
        ("sha256Hash", False),
        ("Jane.Doe1@Corp.com", False),
        ("Sheet1!A1", False),
        ("#FF00aaCC", False),
        ("password", False),
    ],
)
def test_password_shape(value: str, shaped: bool) -> None:
    assert password_shaped(value) is shaped


@pytest.mark.parametrize(
    ("text", "user"),
    [
        ("my online login is k.fitzgerald and the temp password expired", "k.fitzgerald"),
        ("2024-05-14 09:31:05,877 WARN [auth] account locked: grant.mcallister", "grant.mcallister"),
        ("INFO  sudo: hope.martinez : TTY=pts/3 ; USER=root ; COMMAND=/bin/systemctl", "hope.martinez"),
        ("INFO auth: session opened for uid=4471 (ngoc.anh.pham) from 10.0.0.1", "ngoc.anh.pham"),
        ('File "/Users/sarah.o\'neill/code/payments/service.py", line 17', "sarah.o'neill"),
        ('owner_tag = "hannah.lowe"', "hannah.lowe"),
        ("apiVersion: v1\nusers:\n- name: dawn.hughes\n  user:\n    token: x", "dawn.hughes"),
        ("origin  git@github.com:faith-ndlovu/loan-scoring.git (fetch)", "faith-ndlovu"),
        ("I cloned with https://lg:tok@github.com/lgrant/house-bills.git and", "lgrant"),
        ("can you rotate the key I pasted? Sorry. - jack.frost", "jack.frost"),
        ("ERROR [user-service] 用户 wangxiaoming_88 (王小明) 登录失败", "wangxiaoming_88"),
        ("define( 'DB_USER', 'marypoppins_wp' );", "marypoppins_wp"),
        ("DefaultEndpointsProtocol=https;AccountName=contosofinrecords;AccountKey=x", "contosofinrecords"),
    ],
)
def test_login_names_after_their_cue(text: str, user: str) -> None:
    assert user in users(text)


def test_a_login_found_once_is_found_everywhere_in_the_message() -> None:
    text = "origin git@github.com:faith-ndlovu/loans.git\nPermission to faith-ndlovu/loans.git denied"
    spans = find_hosts_and_users(text)[1]
    assert sum(text[start:end] == "faith-ndlovu" for start, end in set(spans)) == 2


@pytest.mark.parametrize(
    "text",
    [
        "the login is broken and the account locked: see the docs",
        "sudo: unable to resolve host",
        "用户名和密码错误, 账号已锁定",
        "ends with a dash - like this",
    ],
)
def test_prose_after_login_cues_is_no_login(text: str) -> None:
    assert users(text) == []


@pytest.mark.parametrize(
    ("text", "entities", "entity", "value"),
    [
        # check character wrong, birth date real: typed after its label, it still points at the person
        (
            "身份证号码 510104197703152218，预约日期",
            ["CN_RESIDENT_ID"],
            "CN_RESIDENT_ID",
            "510104197703152218",
        ),
        ("证件：身份证 350203198812254021 诉求", ["CN_RESIDENT_ID"], "CN_RESIDENT_ID", "350203198812254021"),
        ("身分證字號：F224819356", ["CN_RESIDENT_ID"], "CN_RESIDENT_ID", "F224819356"),
        (
            "我妈的账户62170000123456789012被冻结了",
            ["REFERENCE_NUMBER"],
            "REFERENCE_NUMBER",
            "62170000123456789012",
        ),
        (
            "转给了尾号不一样的账号6225760011223344",
            ["ACCOUNT_NUMBER", "ID_NUMBER"],
            "ACCOUNT_NUMBER",
            "6225760011223344",
        ),
        ("证件：护照 E12345678", ["REFERENCE_NUMBER"], "REFERENCE_NUMBER", "E12345678"),
        (
            "您的會員編號 VIP-HK-0088231 積分將於月底到期",
            ["REFERENCE_NUMBER"],
            "REFERENCE_NUMBER",
            "VIP-HK-0088231",
        ),
    ],
)
def test_chinese_numbers_after_their_label_count_as_typed(
    text: str, entities: list[str], entity: str, value: str
) -> None:
    results = ChineseRecordNumberRecognizer().analyze(text, entities, None)
    assert (entity, value) in [(r.entity_type, text[r.start : r.end]) for r in results]


@pytest.mark.parametrize(
    "text",
    [
        "身份证 123456789012345678 无效",  # no province code, no birth date
        "身份证号 110105198513453317",  # month 13
        "账号已锁定 订单号20240101123456",  # the label is not before the number
    ],
)
def test_labels_without_an_id_of_their_shape_report_nothing(text: str) -> None:
    entities = ["CN_RESIDENT_ID", "REFERENCE_NUMBER", "ID_NUMBER"]
    assert ChineseRecordNumberRecognizer().analyze(text, entities, None) == []


def _finance(text: str, entities: list[str]) -> list[tuple[str, str]]:
    return [
        (r.entity_type, text[r.start : r.end])
        for recognizer in build_finance_recognizers()
        for r in recognizer.analyze(text, entities, None)  # type: ignore[arg-type]  # pattern recognizers read no NLP
        if r.entity_type in entities  # as the analyzer engine filters
    ]


def test_sort_right_after_the_word_sort() -> None:
    assert ("UK_SORT_CODE", "60-83-71") in _finance("account is 12345678 sort 60-83-71", ["UK_SORT_CODE"])
    assert _finance("sort the rows by 12-05-21 first", ["UK_SORT_CODE"]) == []


def test_member_numbers_are_ids_where_the_policy_has_no_reference_numbers() -> None:
    text = "ValueError: bad DOB for member MBR-8821044"
    assert _finance(text, ["ID_NUMBER"]) == [("ID_NUMBER", "MBR-8821044")]
    assert _finance("git ref abc12345, case 12345, plan 2024", ["ID_NUMBER"]) == []


def test_finance_policy_redacts_a_password_in_a_chat(deidentifier: Deidentifier) -> None:
    text = "i forgot my online banking password, i think it was Sunflower!2024 but it doesnt work"
    assert ("SECRET", "Sunflower!2024") in found(deidentifier, text, "finance")


def test_a_labelled_table_column_holds_record_numbers() -> None:
    text = "客户号,姓名,手机,开户行\nC2024001873,张三,13800000000,招商银行深圳分行\n合计,2,,"
    results = ChineseRecordNumberRecognizer().analyze(text, ["REFERENCE_NUMBER"], None)
    assert [text[r.start : r.end] for r in results] == ["C2024001873"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Titular: Ana\nNIF: 48217739Q\nDomicilio: Calle Mayor", "48217739Q"),
        ("g'day mate, tfn is 123 456 782, name's Bruce", "123 456 782"),
        ("CPF 123.456.789-09 ok", "123.456.789-09"),
    ],
)
def test_other_countries_ids_after_their_label(text: str, value: str) -> None:
    assert ("ID_NUMBER", value) in _finance(text, ["ID_NUMBER"])
    assert ("REFERENCE_NUMBER", value) in _finance(text, ["REFERENCE_NUMBER"])


@pytest.mark.parametrize(
    "text", ["the sin of 30 degrees is 0.5", "RFC 2119 says MUST", "the tin holds 1234567 beans", "DNI 12"]
)
def test_words_like_id_labels_are_no_ids(text: str) -> None:
    assert _finance(text, ["ID_NUMBER"]) == []


def test_account_digits_spaced_one_by_one() -> None:
    text = "Clos ing bal ance £ 2,118 .40\nAcc No: 0 0 4 8 1 2 7 3"
    assert ("UK_ACCOUNT_NUMBER", "0 0 4 8 1 2 7 3") in _finance(text, ["UK_ACCOUNT_NUMBER"])


def test_the_owner_of_an_ssh_key() -> None:
    assert users("ssh-ed25519 AAAAC3Nz\n# key of rhys.llewellyn") == ["rhys.llewellyn"]
    assert users("the key for rotation is here") == []


def test_a_login_in_a_path_after_a_collection_of_people() -> None:
    assert users('request: "GET /hr/employee/jfrost HTTP/1.1"') == ["jfrost"]
    assert users("curl http://api.internal/users/zhoujie/orders returns 403") == ["zhoujie"]
    assert users("GET /api/v1/users/search?q=x, /users/me, /users/{id}, /users/123, /u/v2") == []


def test_folders_named_like_collections_hold_no_logins() -> None:
    assert users("| sign-in lockout | `pipelines/accounts/throttle.py` | src/users/views/base.py") == []


def test_a_national_insurance_number_is_an_id_where_the_policy_has_no_nino_type() -> None:
    text = "the file contains employee NI numbers like AB 12 34 56 C and we need to encrypt it"
    assert ("ID_NUMBER", "AB 12 34 56 C") in _finance(text, ["ID_NUMBER"])
    assert _finance("the batch AB 12 34 56 C was shipped", ["ID_NUMBER"]) == []


@pytest.mark.parametrize(
    "unit", ["-u a:b ", "curl -u ", "password ", "/users/", "//a", "eyJ", ":_authToken=//"]
)
def test_the_new_rules_stay_linear_on_hostile_runs(unit: str) -> None:
    """4× the run takes about 4× the time (a rescanning rule: about 16×; see tests/growth.py). The runs of "//" and
    "eyJ" were quadratic in detect-secrets' NPM and JWT regexes (0.44 s for 42,000 characters of "/users/")."""

    def both(text: str) -> None:
        secrets(text)
        users(text)

    assert growth_ratio(both, unit, 6000 // len(unit)) < 9


@pytest.mark.parametrize("at", [0, 6100, 8150, 20_000])
def test_tokens_on_a_line_longer_than_the_plugins_window_are_found_whole(at: int) -> None:
    """detect-secrets' plugins read a long line in overlapping 8,192-character windows: a token across a
    window's edge (6,144 and 8,192 are edges) is found whole all the same."""
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    npm = "//registry.npmjs.org/:_authToken=npm_Zq8fW2kLp0Xy7Rt5Vb3Nm1Hc9Jd4Gs6Ae2Uo"
    line = "word " * (at // 5) + f"jwt {jwt} then {npm}" + " more" * 3000
    assert secrets(line) == [jwt, npm.split("=")[1]]  # the NPM token ends at the blank after it

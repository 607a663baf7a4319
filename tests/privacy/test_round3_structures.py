"""Issue 22, round 3: identifiers whose structure the round-2 rules cut in pieces, on the real analyzer.

- a web URL that holds an identifier beyond its host goes whole (privacy.urls); one whose only finding is its
  host keeps its scheme, port and path; a public documentation URL stays;
- a UK postcode reads back to the house number that opens its address ("7 Meadow Bank, Wakefield WF2 9NE");
- a place that loses part of its span to another finding keeps the rest (a Chinese address that ran into a
  phone number);
- a login built from a name is found without a cue ("siobhan.mcgarrigle"), code identifiers are not;
- Presidio's URL without a scheme never ends inside a word ("joan.mc" of "joan.mcbride42").
"""

from __future__ import annotations

import pytest

from privacy import Deidentifier, Vault
from privacy.name_logins import NameLoginRecognizer
from privacy.urls import host_span, opaque_path, web_urls
from tests.conftest import domain_policy

CODE = domain_policy("code")
FINANCE = domain_policy("finance")
MEDICAL = domain_policy("medical")


def _prompt(deidentifier: Deidentifier, text: str, policy: object) -> str:
    return deidentifier.pseudonymize(text, policy, Vault("s")).text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "https://portal.inttest.quillmont.local/users/bzielinski/settings",
        "https://grafana.ops.quillmont.internal/d/x8Kq/payments?var-host=pay-worker-12",
        "https://9f1c2ab74e0d4f3c@sentry.corp.quillmont.io/12",
        "https://hc-ping.com/3b7e1c2a-99f0-4d51-a1b2-6c0e8f4d2a17",
        "https://hooks.quillmont.internal/stripe/u/fmwangi",
    ],
)
def test_a_url_with_an_identifier_beyond_its_host_goes_whole(deidentifier: Deidentifier, url: str) -> None:
    prompt = _prompt(deidentifier, f"cannot open {url} since this morning", CODE)
    assert prompt.startswith("cannot open <") and prompt.endswith("> since this morning"), prompt
    assert "://" not in prompt and "quillmont" not in prompt


@pytest.mark.parametrize(
    ("url", "policy"),
    [
        ("https://portal.northwick-trust.nhs.uk/patients/view?mrn=RX4471902", MEDICAL),
        ("https://onlinebanking.example.co.uk/accounts/41139876/statements", FINANCE),
    ],
)
def test_a_url_addressed_by_one_persons_identifier_goes_whole(
    deidentifier: Deidentifier, url: str, policy: object
) -> None:
    prompt = _prompt(deidentifier, f"the page {url} shows an error", policy)
    assert prompt.startswith("the page <") and prompt.endswith("> shows an error"), prompt
    assert "://" not in prompt


def test_a_url_whose_only_finding_is_its_host_keeps_scheme_port_and_path(deidentifier: Deidentifier) -> None:
    prompt = _prompt(
        deidentifier, "kubectl fails: server https://k8s-api.prod.quillmont.internal:6443 refused", CODE
    )
    assert "https://<INTERNAL_HOSTNAME_1>:6443" in prompt and "quillmont" not in prompt


@pytest.mark.parametrize(
    "text",
    [
        "see https://docs.python.org/3/library/re.html for the syntax",
        "clone https://github.com/psf/requests.git and run the tests",
        "the health endpoint http://localhost:8080/healthz returns 503",
    ],
)
def test_public_and_local_urls_stay(deidentifier: Deidentifier, text: str) -> None:
    assert _prompt(deidentifier, text, CODE) == text


def test_a_connection_string_keeps_its_scheme_and_database(deidentifier: Deidentifier) -> None:
    prompt = _prompt(
        deidentifier, "DATABASE_URL=postgres://app:Xk92pw77@db-01.corp.quillmont.internal:5432/orders", CODE
    )
    assert prompt.startswith("DATABASE_URL=postgres://") and prompt.endswith(":5432/orders"), prompt
    assert "Xk92pw77" not in prompt and "quillmont" not in prompt


def test_url_parts() -> None:
    text = "open https://a.example.org/x/(y)). Then http://h.corp:81/p?u=1."
    assert [text[s:e] for s, e in web_urls(text)] == ["https://a.example.org/x/(y)", "http://h.corp:81/p?u=1"]
    url = "https://user@h.corp:81/p"
    assert url[slice(*host_span(url))] == "h.corp:81"
    assert opaque_path("https://hc-ping.com/3b7e1c2a-99f0-4d51-a1b2-6c0e8f4d2a17")
    assert opaque_path("https://x.io/s/AbC9dEf0GhI1jKl2")
    assert not opaque_path("https://docs.python.org/3/library/functools.html")


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "collect Mr Pike from 7 Meadow Bank, Wakefield WF2 9NE at 08:15",
            "7 Meadow Bank, Wakefield WF2 9NE",
        ),
        (
            "moved to 5/2 Marchmont Crescent, Edinburgh EH9 1HD last week",
            "5/2 Marchmont Crescent, Edinburgh EH9 1HD",
        ),
        ("Address Flat 9, Brompton House, Rochdale OL11 3EX.", "Flat 9, Brompton House, Rochdale OL11 3EX"),
        (
            "works at (Unit 5, Greenway Trading Estate, Dudley DY2 0QP) now",
            "Unit 5, Greenway Trading Estate, Dudley DY2 0QP",
        ),
    ],
)
def test_a_postcode_reads_back_to_its_house_number(
    deidentifier: Deidentifier, text: str, address: str
) -> None:
    for policy in (FINANCE, MEDICAL):
        prompt = _prompt(deidentifier, text, policy)
        left = [
            word
            for word in address.replace(",", " ").split()
            if word in prompt.split() or word + "," in prompt
        ]
        assert not left, prompt


def test_a_postcode_does_not_read_back_over_prose(deidentifier: Deidentifier) -> None:
    prompt = _prompt(deidentifier, "I paid 500 pounds. Our branch is in Leeds LS8 2PT", FINANCE)
    assert prompt.startswith("I paid 500 pounds."), prompt


def test_a_chinese_address_that_runs_into_a_phone_number_is_not_lost(deidentifier: Deidentifier) -> None:
    text = "邮寄地址：广东省广州市天河区体育西路103号维多利广场B座2105室，手机13800138000"
    prompt = _prompt(deidentifier, text, FINANCE)
    assert "体育西路" not in prompt and "2105" not in prompt and "13800138000" not in prompt, prompt


def test_a_weak_place_never_pushes_out_a_card_number(deidentifier: Deidentifier) -> None:
    prompt = _prompt(
        deidentifier, "CARD 4485 2210 9934 1176 EXP 0228 CVV2 661 CARDHOLDER MARGARET LYONS", FINANCE
    )
    assert "<CREDIT_CARD_1>" in prompt and "4485" not in prompt and "1176" not in prompt, prompt


@pytest.mark.parametrize(
    ("text", "login"),
    [
        ("# posts as bot for siobhan.mcgarrigle", "siobhan.mcgarrigle"),
        ("AWS_SECRET_ACCESS_KEY rotated by ddunleavy 2025-02-11", "ddunleavy"),
        ("1,wojciech.nowak,Wojciech Nowak", "wojciech.nowak"),
        ("fixture owner: j.nowak2", "j.nowak2"),
    ],
)
def test_a_login_built_from_a_name_is_found_without_a_cue(
    deidentifier: Deidentifier, text: str, login: str
) -> None:
    assert login not in _prompt(deidentifier, text, CODE)


@pytest.mark.parametrize(
    "text",
    [
        "set max_retries to 3 and call sys.exit(1)",
        "print(e.errno, file=sys.stderr); odd_collatz(7)",
        "open main.py and config.yaml, then grace.period = 30",
        "use mark.parametrize over the cases; self.name stays",
        "my son oliver hartmann-price has asthma",  # a double-barrelled surname is a name, not a login
    ],
)
def test_code_identifiers_are_no_name_logins(deidentifier: Deidentifier, text: str) -> None:
    from privacy.lexicon import common_english_words

    analyzer = deidentifier.analyzer
    recognizer = NameLoginRecognizer(common_english_words(analyzer.nlp_engine))
    assert recognizer.analyze(text, ["USERNAME"]) == []


@pytest.mark.parametrize(
    ("text", "login"),
    [
        ("nurse said i cant log in, her login is joan.mcbride42 password was Tulip44", "bride42"),
        ("Your portal account is ready. Username: d.achterberg1972", "berg1972"),
    ],
)
def test_a_url_without_a_scheme_never_ends_inside_a_login(
    deidentifier: Deidentifier, text: str, login: str
) -> None:
    prompt = _prompt(deidentifier, text, MEDICAL)
    assert login not in prompt and "<URL_" not in prompt, prompt


@pytest.mark.parametrize(
    "text",
    [
        "The Jenkins pipeline pushes the image after the pytest stage passes.",
        "Our nightly Jenkins job timed out after 60 minutes on the Selenium stage.",
        "Terraform removed our old Dawn provider shim in 1.6.",
        "Will the Marcus savings rate drop below 4% this spring?",
    ],
)
def test_a_name_between_an_article_and_a_noun_is_a_product_or_firm(
    deidentifier: Deidentifier, text: str
) -> None:
    assert _prompt(deidentifier, text, FINANCE) == text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("please move it to the Quillfeather family account today", "Quillfeather"),
        ("Please summarise the Quillfeather report before the ward round.", "Quillfeather"),
        ("Maybe mention that Hattie Quillfeather handles disputes now.", "Quillfeather"),
        ("the Hattie Quillfeather who called yesterday is my aunt", "Quillfeather"),
        ("hi its siobhan quillfeather, card ending 4471 declined again", "quillfeather"),
    ],
)
def test_a_name_after_an_article_stays_a_name_before_household_nouns_and_clauses(
    deidentifier: Deidentifier, text: str, name: str
) -> None:
    assert name not in _prompt(deidentifier, text, FINANCE)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "Ward round: bed 9 - Mr Terrence 'Tel' Quillfeather, 67, Crohn's flare",
            ["Terrence", "Quillfeather"],
        ),
        ("WARD 7 - MRS EILEEN 'BETTY' QUILLFEATHER - HOSP NO 8812", ["EILEEN", "QUILLFEATHER"]),
        ("THEATRE 3\n1. VAN DER QUILLFEATHER, Johanna  M123456  lap chole", ["QUILLFEATHER", "Johanna"]),
    ],
)
def test_a_name_is_completed_over_its_nickname_and_its_register_surname(
    deidentifier: Deidentifier, text: str, parts: list[str]
) -> None:
    prompt = _prompt(deidentifier, text, MEDICAL)
    assert not [part for part in parts if part in prompt], prompt


def test_a_greeting_before_a_comma_is_no_surname(deidentifier: Deidentifier) -> None:
    assert _prompt(deidentifier, "THANKS, JOHN", MEDICAL).startswith("THANKS, <PERSON_1>")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("客戶陳大文於1984/3/3出生，想開戶", "1984/3/3"),
        ("他1990年5月2日生，住在北京", "1990年5月2日"),
    ],
)
def test_a_chinese_date_right_before_born_is_a_birth_date(
    deidentifier: Deidentifier, text: str, value: str
) -> None:
    prompt = _prompt(deidentifier, text, FINANCE)
    assert value not in prompt and "<DATE_OF_BIRTH_1>" in prompt, prompt


def test_a_version_date_is_no_birth_date(deidentifier: Deidentifier) -> None:
    assert _prompt(deidentifier, "版本 2023.11.02 生效", FINANCE) == "版本 2023.11.02 生效"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("通訊地址香港島北角英皇道300號僑冠大廈12樓B室，電話", "英皇道"),
        ("我媽住在臺北市大安區忠孝東路四段216號5樓", "忠孝東路"),
    ],
)
def test_a_traditional_chinese_address_is_found(deidentifier: Deidentifier, text: str, fragment: str) -> None:
    prompt = _prompt(deidentifier, text, FINANCE)
    assert fragment not in prompt and "B室" not in prompt, prompt


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("employer Kestrel Logistics Ltd (12 staff), requested £7,500", "Kestrel"),
        ("my son goes to Quillfeather Sixth Form now", "Quillfeather"),
        ("工作单位：成都蓝鲸科技有限公司，月收入18000元", "蓝鲸"),
    ],
)
def test_small_companies_and_sixth_forms_are_facilities(
    deidentifier: Deidentifier, text: str, name: str
) -> None:
    assert name not in _prompt(deidentifier, text, FINANCE)


def test_a_bank_is_no_small_company(deidentifier: Deidentifier) -> None:
    text = "招商银行股份有限公司的客服电话是多少"
    assert _prompt(deidentifier, text, FINANCE) == text


def test_a_resident_id_shaped_number_counts_in_chinese_text_without_its_label(
    deidentifier: Deidentifier,
) -> None:
    text = "出生证明上妈妈的身份证号写错了，正确的是350203199203154021，麻烦改一下"
    assert "350203199203154021" not in _prompt(deidentifier, text, MEDICAL)
    order = "订单号 202403150001234567 已发货"  # no province prefix: an order number stays
    assert _prompt(deidentifier, order, MEDICAL) == order


def test_traditional_characters_are_read_as_simplified(deidentifier: Deidentifier) -> None:
    prompt = _prompt(deidentifier, "轉介信 / 病人姓名：黃志明 / 病歷號碼：HN09876543", MEDICAL)
    assert "HN09876543" not in prompt and "黃志明" not in prompt and "病歷號碼" in prompt, prompt


def test_a_password_keeps_its_closing_sign(deidentifier: Deidentifier) -> None:
    prompt = _prompt(
        deidentifier, "locked out of jira, temp pw they gave me was Welcome2025! and it expired", CODE
    )
    assert "Welcome2025" not in prompt and "<SECRET> and it expired" in prompt, prompt


@pytest.mark.parametrize(
    ("text", "value", "policy"),
    [
        ("my withdrawal is stuck, user id 30918471", "30918471", FINANCE),
        ("PayPal dispute PP-D-4471209: the seller never sent it", "4471209", FINANCE),
        ("Booking: G2P1, EDD 2025-05-06, hosp no. MAT/25/01872.", "01872", MEDICAL),
        ("OH note: employee seen, staff no. 40918, back pain", "40918", MEDICAL),
    ],
)
def test_ids_others_give_a_person_are_found_by_their_label(
    deidentifier: Deidentifier, text: str, value: str, policy: object
) -> None:
    assert value not in _prompt(deidentifier, text, policy)


def test_a_combination_dose_is_no_date(deidentifier: Deidentifier) -> None:
    prompt = _prompt(
        deidentifier, "co-codamol 30/500 mg, and amlodipine/atorvastatin 10/20 mg daily", MEDICAL
    )
    assert "30/500 mg" in prompt and "10/20 mg" in prompt, prompt


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Unlike the Petersen novel, it's not about the sea.", "Petersen"),
        ("The Hattie Quillfeather version recorded in 1962 is the best.", "Quillfeather"),
    ],
)
def test_a_work_named_by_its_author_keeps_the_author_a_person(
    deidentifier: Deidentifier, text: str, name: str
) -> None:
    assert name not in _prompt(deidentifier, text, FINANCE)


def test_a_place_between_an_article_and_a_noun_stays_a_place(deidentifier: Deidentifier) -> None:
    prompt = _prompt(
        deidentifier, "She works at the Quillfeather Bay office near the harbour, 12 Mill Lane.", MEDICAL
    )
    assert "12 Mill Lane" not in prompt


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # span edges over code and prose: the value goes, the code and punctuation around it stay
        (
            "user = User(name='bob', email='jane.doe@corp-mail.com', active=True)",
            "user = User(name='<PERSON_1>', email='<EMAIL_ADDRESS_1>', active=True)",
        ),
        ("x = np.linalg.norm(v) / np.linalg.det(m)", "x = np.linalg.norm(v) / np.linalg.det(m)"),
        ("EMAIL=ops.alerts@quillmont.co.uk", "EMAIL=<EMAIL_ADDRESS_1>"),
    ],
)
def test_code_around_a_name_or_an_address_stays(deidentifier: Deidentifier, text: str, expected: str) -> None:
    assert _prompt(deidentifier, text, CODE) == expected


def test_a_url_leaves_the_comma_that_follows_it(deidentifier: Deidentifier) -> None:
    prompt = _prompt(deidentifier, "see https://docs.example-hospital.org/guide, then call the ward", MEDICAL)
    assert prompt == "see <URL_1>, then call the ward"


@pytest.mark.parametrize(
    "text", ["阿嬤最近血压有点高，要不要换药？", "我阿嬷在吃氨氯地平", "阿公昨天摔了一跤"]
)
def test_a_chinese_kinship_address_is_no_name(deidentifier: Deidentifier, text: str) -> None:
    assert _prompt(deidentifier, text, MEDICAL) == text


def test_a_pet_name_after_a_relative_is_still_a_name(deidentifier: Deidentifier) -> None:
    assert _prompt(deidentifier, "奶奶阿珍最近睡不好", MEDICAL) == "奶奶<PERSON_1>最近睡不好"


def test_finance_replaces_a_host_of_the_banks_own_network(deidentifier: Deidentifier) -> None:
    prompt = _prompt(deidentifier, "payments-gw.northbank.local returned 502 for the transfer", FINANCE)
    assert prompt == "<INTERNAL_HOSTNAME_1> returned 502 for the transfer"


@pytest.mark.parametrize("policy", [FINANCE, CODE])
def test_a_websites_www_name_stays_and_a_private_networks_does_not(
    deidentifier: Deidentifier, policy: object
) -> None:
    public = "online banking at https://www.northbank.co.uk/login shows error E-4471"
    assert _prompt(deidentifier, public, policy) == public
    assert "wiki.corp" not in _prompt(
        deidentifier, "the wiki at https://www.wiki.corp/payments is down", policy
    )

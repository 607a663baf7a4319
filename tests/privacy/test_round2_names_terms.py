"""Names from their context and completed from their neighbours, and terms that are not names (issue 22,
round 2): each case is a kind of miss or over-redaction seen on the development sets, written anew here."""

from __future__ import annotations

import pytest

from pipelines.services import Services

LEAKS = [
    # a name after a relation or care role, any casing
    ("finance", "hey my son (theo) wants a junior account, can he?", ["theo"]),
    ("medical", "PT BROUGHT IN BY AUNT (MARJORIE) AT 14:00, STABLE.", ["MARJORIE"]),
    ("code", "my colleague hamish said the runner is broken", ["hamish"]),
    ("medical", "Seen with his partner Anselm today; BP 142/88.", ["Anselm"]),
    # a name cut short by the model, completed over the next name words
    ("finance", "SN: Cust (Keith Prowse) states nephew dermot o'leary used the card.", ["o'leary", "dermot"]),
    ("finance", "hi its aoife ni cheallaigh, card ending 1234 declined again??", ["cheallaigh", "aoife"]),
    ("medical", "STROKE CALL. PT: KOVAC, TOMAS 71M. LKW 10:30.", ["KOVAC", "TOMAS"]),
    # a surname written again later in the note
    (
        "medical",
        "PT: ROSALIND ACHTERHOF, ADM 03/04/2024. FAMILY: SON PETER ACHTERHOF AND ACHTERHOF FAMILY.",
        ["ACHTERHOF"],
    ),
]

KEPT = [
    ("finance", "my son will call you tomorrow and my wife said it is fine.", ["will", "said"]),
    ("medical", "The Apgar score at 5 minutes was 9.", ["Apgar"]),
    ("medical", "The Epworth Sleepiness Scale was 16; the Glasgow Coma Scale 15.", ["Epworth", "Glasgow"]),
    (
        "medical",
        "Losartan is the alternative if ACE inhibitor cough; stop Nitrofurantoin.",
        ["Losartan", "Nitrofurantoin"],
    ),
    ("medical", "Switch Tramadol to paracetamol 1 g QDS.", ["Tramadol"]),
    ("medical", "ENOXAPARIN 40 MG SC OD FOR 28 DAYS POST HIP REPLACEMENT.", ["40 MG", "28 DAYS"]),
    ("code", "rollingUpdate:\n  maxSurge: 1\n  maxUnavailable: 0", ["maxSurge", "maxUnavailable"]),
    ("code", "Rename Mark.toJSON and keep Grant.isActive as a getter.", ["Mark.toJSON", "Grant.isActive"]),
    ("code", "Spring Boot 3.2 啟動完成，連線池 HikariCP 最大連線數20。", ["HikariCP"]),
]


@pytest.mark.parametrize(("domain", "text", "values"), LEAKS)
def test_names_from_context_are_removed_whole(
    services: Services, domain: str, text: str, values: list[str]
) -> None:
    safe = services.deidentification.pseudonymize(text, None, domain).text
    for value in values:
        assert value.lower() not in safe.lower(), safe


@pytest.mark.parametrize(("domain", "text", "terms"), KEPT)
def test_terms_that_look_like_names_stay(
    services: Services, domain: str, text: str, terms: list[str]
) -> None:
    safe = services.deidentification.pseudonymize(text, None, domain).text
    for term in terms:
        assert term in safe, safe


def test_a_drug_stem_does_not_hide_a_name(services: Services) -> None:
    safe = services.deidentification.pseudonymize(
        "Patient Sartan Smith seen today, on atorvastatin.", None, "medical"
    ).text
    assert "Smith" not in safe and "atorvastatin" in safe, safe


FACILITIES = [
    ("medical", "SAFEGUARDING: CHILD ATTENDED WITH MOTHER. ATTENDS BRACKENWOOD PRIMARY.", ["BRACKENWOOD"]),
    ("medical", "Patient now registered at Hollowbrook Medical Practice.", ["Hollowbrook"]),
    ("finance", "charity acct 12345678 (St Swithun's Community Food Bank), mandate changed", ["Swithun"]),
    ("finance", "business account (Kowalczyk's Dog Grooming, acc 12345678)", ["Kowalczyk", "Grooming"]),
    ("medical", "her 2pm is coming in from elmcroft care home and needs transport", ["elmcroft"]),
    ("medical", "Works as a roofer at Pendleford & Sons Roofing.", ["Pendleford"]),
]
NOT_FACILITIES = [
    ("finance", "The Financial Services Compensation Scheme protects up to £85,000.", ["Financial Services"]),
    (
        "finance",
        "Mental Health Services and our Customer Services team can help.",
        ["Mental Health Services"],
    ),
]


@pytest.mark.parametrize(("domain", "text", "values"), FACILITIES)
def test_small_organisations_that_locate_a_person_are_removed(
    services: Services, domain: str, text: str, values: list[str]
) -> None:
    safe = services.deidentification.pseudonymize(text, None, domain).text
    for value in values:
        assert value.lower() not in safe.lower(), safe


@pytest.mark.parametrize(("domain", "text", "terms"), NOT_FACILITIES)
def test_generic_service_names_stay(services: Services, domain: str, text: str, terms: list[str]) -> None:
    safe = services.deidentification.pseudonymize(text, None, domain).text
    for term in terms:
        assert term in safe, safe


INTRODUCTIONS = [
    ("finance", "hi im victor and my card keeps saying insufficient funds", ["victor"]),
    ("code", "i'm will from the data team, my laptop won't start", ["will from"]),
    ("finance", "this is mark from accounts, please call back", ["mark"]),
]
NOT_INTRODUCTIONS = [
    "i'm sure the card has its grace period, i'm calling about it. i'm still waiting, i will call later",
]


@pytest.mark.parametrize(("domain", "text", "values"), INTRODUCTIONS)
def test_casual_introductions_in_lower_case_are_names(
    services: Services, domain: str, text: str, values: list[str]
) -> None:
    safe = services.deidentification.pseudonymize(text, None, domain).text
    for value in values:
        assert value not in safe, safe


@pytest.mark.parametrize("text", NOT_INTRODUCTIONS)
def test_words_after_im_that_are_not_names_stay(services: Services, text: str) -> None:
    assert services.deidentification.pseudonymize(text, None, "finance").text == text


def test_a_keep_term_inside_a_host_or_user_name_does_not_spare_it(services: Services) -> None:
    text = "REDIS_HOST=redis-cache-07.internal and `ssh ubuntu-ops@10.2.3.4`; Redis and Ubuntu are fine."
    safe = services.deidentification.pseudonymize(text, None, "code").text
    assert "redis-cache-07" not in safe and "Redis and Ubuntu" in safe, safe


# Found by a helper trying to break round 2 (each leaked or was over-redacted by its first version).
BROKEN_LEAKS = [
    (
        "finance",
        "Please summarise the Okafor report and the Margaret Hill chart.",
        ["Okafor", "Margaret", "Hill"],
    ),
    ("medical", "Mr John Smith grade 3 pressure sore; Harold Finch score 4 on falls.", ["Smith", "Finch"]),
    ("finance", "Mr Gasparin called about his loan. Name: GASPARIN, LUCIA", ["Gasparin", "GASPARIN"]),
    ("finance", "Dear Mr deVries, your loan is approved. Ms leBlanc called.", ["deVries", "leBlanc"]),
    ("finance", "Thanks, Priya Shah.See(attached)", ["Shah"]),
    ("finance", "龐志強的電話是0912345678，請聯絡費玉清", ["志強", "玉清"]),
]
BROKEN_KEPT = [
    ("medical", "PT JOHN WHITE ADMITTED. WHITE CELL COUNT LOW.", ["WHITE CELL"]),
    ("finance", "Grant Lowe applied. Grant applications close Monday.", ["Grant applications"]),
    (
        "medical",
        "Refer to the Diabetes Clinic. He Is Going To School. moved to a nice care home",
        ["Diabetes Clinic", "Going To School", "nice care home"],
    ),
    ("finance", "sold 100 NOK Equinor shares; my boss Monzo pays me", ["Equinor", "Monzo"]),
    (
        "finance",
        "ugh it's April. this is chase again about my card. i'm grace period expired",
        ["April", "chase", "grace"],
    ),
    ("code", "run ubuntu-22.04 image and pull redis-7.2", ["ubuntu-22.04", "redis-7.2"]),
]


@pytest.mark.parametrize(("domain", "text", "values"), BROKEN_LEAKS)
def test_exclusions_do_not_spare_real_names(
    services: Services, domain: str, text: str, values: list[str]
) -> None:
    safe = services.deidentification.pseudonymize(text, None, domain).text
    for value in values:
        assert value not in safe, safe


@pytest.mark.parametrize(("domain", "text", "terms"), BROKEN_KEPT)
def test_context_rules_leave_ordinary_words(
    services: Services, domain: str, text: str, terms: list[str]
) -> None:
    safe = services.deidentification.pseudonymize(text, None, domain).text
    for term in terms:
        assert term in safe, safe

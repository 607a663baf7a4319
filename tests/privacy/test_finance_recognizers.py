"""Finance identifiers (real Presidio + spaCy): valid and invalid checksums and contexts, the finance policy's
operator in each sink, and no findings in the shipped finance corpus."""

from __future__ import annotations

import re

import pytest

from privacy import Deidentifier, Vault, reidentify
from privacy.finance_recognizers import FINANCE_ENTITIES, is_valid_bic, is_valid_date
from tests.conftest import domain_policy

FINANCE = domain_policy("finance")
FINANCE_TYPES = [*FINANCE_ENTITIES, "CREDIT_CARD", "IBAN_CODE", "US_PASSPORT", "US_SSN", "US_BANK_NUMBER"]


def _found(deidentifier: Deidentifier, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in deidentifier.find(text, FINANCE_TYPES, 0.4)]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("My sort code is 20-45-77 and my account number 31926819.", "UK_SORT_CODE", "20-45-77"),
        ("My sort code is 20-45-77 and my account number 31926819.", "UK_ACCOUNT_NUMBER", "31926819"),
        ("sort code: 204577, acct no 31926819", "UK_SORT_CODE", "204577"),
        ("Pay a/c 55779911 at s/c 40 47 84", "UK_SORT_CODE", "40 47 84"),
        ("Pay a/c 55779911 at s/c 40 47 84", "UK_ACCOUNT_NUMBER", "55779911"),
        ("Their BIC is DEUTDEFF500.", "SWIFT_CODE", "DEUTDEFF500"),
        ("SWIFT code: BARCGB22 for the transfer", "SWIFT_CODE", "BARCGB22"),
        ("BIC: BNPAFRPP", "SWIFT_CODE", "BNPAFRPP"),  # letters only, right after its label
        ("The ABA routing number is 021000021.", "ABA_ROUTING_NUMBER", "021000021"),
        ("My passport number is 533401172.", "UK_PASSPORT", "533401172"),
        ("British passport AB1234567 expires soon", "UK_PASSPORT", "AB1234567"),
        ("My US passport number is 533401172.", "US_PASSPORT", "533401172"),
        ("My national insurance number is AB123456C.", "UK_NINO", "AB123456C"),
        ("NINO: JG 10 37 42 A", "UK_NINO", "JG 10 37 42 A"),
        ("I was born on 14/07/1986 in Leeds.", "DATE_OF_BIRTH", "14/07/1986"),
        ("Date of birth: 3 March 1985", "DATE_OF_BIRTH", "3 March 1985"),
        ("DOB 1986-07-14, please update it", "DATE_OF_BIRTH", "1986-07-14"),
        ("born March 3rd, 1985", "DATE_OF_BIRTH", "March 3rd, 1985"),
        ("My card 4539 1488 0343 6467 was declined.", "CREDIT_CARD", "4539 1488 0343 6467"),
        ("IBAN GB29 NWBK 6016 1331 9268 19 please", "IBAN_CODE", "GB29 NWBK 6016 1331 9268 19"),
        ("My SSN is 536-22-1234.", "US_SSN", "536-22-1234"),
    ],
)
def test_valid_identifiers_in_context_are_found(
    deidentifier: Deidentifier, text: str, entity: str, value: str
) -> None:
    assert (entity, value) in _found(deidentifier, text)


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        # Luhn fails (last digit off by one) and no card word: a mistyped number next to "card" is a card (issue 22)
        ("Order 4539 1488 0343 6468 was declined.", "CREDIT_CARD"),
        ("My card 1234 5678 9012 3456 was declined.", "CREDIT_CARD"),  # 16 digits, Luhn fails
        # mod-97 fails and no label: after "IBAN" a mistyped IBAN is still the account's (issue 22)
        ("Ref GB29 NWBK 6016 1331 9268 18 please", "IBAN_CODE"),
        ("My national insurance number is AB123456E.", "UK_NINO"),  # suffix must be A-D
        # Q is never a first letter, GB is not allocated: without a label such shapes are no NINO (after "national
        # insurance number" they are, as typed: issue 22)
        ("Reference QQ123456C attached.", "UK_NINO"),
        ("Reference GB123456A attached.", "UK_NINO"),
        ("Their BIC is DEUTZZFF500.", "SWIFT_CODE"),  # ZZ is not an ISO 3166 country
        ("Their BIC is deutdeff500.", "SWIFT_CODE"),  # BICs are upper case
        ("The CUSTOMER asked about SWIFT transfers.", "SWIFT_CODE"),  # "OM" is Oman, but no label before it
        ("The ABA routing number is 021000022.", "ABA_ROUTING_NUMBER"),  # checksum fails
        ("Please pay 20-45-77 today.", "UK_SORT_CODE"),  # no "sort code" nearby
        ("The meeting is on 12-05-21.", "UK_SORT_CODE"),
        ("Quote reference 31926819 when you call.", "UK_ACCOUNT_NUMBER"),  # no "account" nearby
        ("My account number is 00000000.", "UK_ACCOUNT_NUMBER"),  # one repeated digit
        ("Call 0800 123 4567 or 020 7946 0000 about your account.", "UK_ACCOUNT_NUMBER"),
        ("Order number 533401172 shipped.", "UK_PASSPORT"),  # no "passport" nearby
        ("My US passport number is 533401172.", "UK_PASSPORT"),  # a US passport
        ("I was born on 31/02/1985.", "DATE_OF_BIRTH"),  # no 31 February
        ("The payment on 14/07/2024 failed.", "DATE_OF_BIRTH"),  # a date, but not a birth date
    ],
)
def test_invalid_checksums_and_missing_context_are_not_identifiers(
    deidentifier: Deidentifier, text: str, entity: str
) -> None:
    assert entity not in {found for found, _ in _found(deidentifier, text)}


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("NWBKGB2L", True),
        ("NWBKGB2LXXX", True),
        ("DEUTDEFF", True),
        ("BKKSXK22", True),  # Kosovo: SWIFT's XK, not in ISO 3166
        ("DEUTZZFF", False),
        ("NWBKGB2", False),
        ("NWBKGB2LXX", False),
        ("nwbkgb2l", False),
    ],
)
def test_bic_validation_checks_shape_and_country(value: str, valid: bool) -> None:
    assert is_valid_bic(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("14/07/1986", True),
        ("07/14/1986", True),  # US order
        ("29.02.2000", True),
        ("29.02.1900", False),  # 1900 was not a leap year
        ("1986-07-14", True),
        ("1986-13-01", False),
        ("3 March 1985", True),
        ("March 3rd, 1985", True),
        ("31 April 1985", False),
        ("14/07/86", True),
        ("14/07/1700", False),  # not a living person's birth year
    ],
)
def test_date_of_birth_must_be_a_calendar_date(value: str, valid: bool) -> None:
    assert is_valid_date(value) is valid


MESSAGE = (
    "I'm Ana Lima, born 14/07/1986. Sort code 20-45-77, account number 31926819, "
    "NI number AB123456C, card 4539 1488 0343 6467."
)


@pytest.mark.parametrize(
    ("sink", "entity", "value", "expected"),
    [
        ("prompt", "DATE_OF_BIRTH", "14/07/1986", r"<DATE_OF_BIRTH_1>"),
        ("prompt", "UK_SORT_CODE", "20-45-77", r"<UK_SORT_CODE_1>"),
        ("prompt", "UK_ACCOUNT_NUMBER", "31926819", r"<UK_ACCOUNT_NUMBER_1>"),
        ("prompt", "UK_NINO", "AB123456C", r"<UK_NINO_1>"),
        ("memory", "UK_ACCOUNT_NUMBER", "31926819", r"<UK_ACCOUNT_NUMBER_1>"),
        ("index", "DATE_OF_BIRTH", "14/07/1986", r"<DATE_OF_BIRTH>"),
        ("index", "UK_ACCOUNT_NUMBER", "31926819", r"<UK_ACCOUNT_NUMBER>"),
        ("index", "UK_NINO", "AB123456C", r"<UK_NINO>"),
        ("index", "UK_SORT_CODE", "20-45-77", r"20-45-77"),  # bank codes stay in documents
        ("logs", "UK_ACCOUNT_NUMBER", "31926819", r"<UK_ACCOUNT_NUMBER#[0-9a-f]{8}>"),
        ("logs", "DATE_OF_BIRTH", "14/07/1986", r"<DATE_OF_BIRTH#[0-9a-f]{8}>"),
    ],
)
def test_finance_policy_applies_its_operator_in_each_sink(
    deidentifier: Deidentifier, sink: str, entity: str, value: str, expected: str
) -> None:
    result = deidentifier.deidentify(MESSAGE, FINANCE, sink, Vault("s"), ())  # type: ignore[arg-type]
    assert re.search(expected, result.text), result.text
    if expected != value:
        assert value not in result.text
    assert "Ana Lima" not in result.text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("31926819", "\u2022\u2022\u2022\u2022 6819"),  # account number: last 4
        ("AB123456C", "\u2022\u2022\u2022\u2022 456C"),  # NI number: last 4
        ("4539 1488 0343 6467", "\u2022\u2022\u2022\u2022 6467"),  # card: last 4
        ("20-45-77", "20-45-77"),  # sort code: restored
        ("14/07/1986", "14/07/1986"),  # date of birth: restored
        ("Ana Lima", "Ana Lima"),
    ],
)
def test_finance_display_masks_account_numbers_and_restores_the_rest(
    deidentifier: Deidentifier, value: str, shown: str
) -> None:
    vault = Vault("s")
    prompt = deidentifier.pseudonymize(MESSAGE, FINANCE, vault).text
    assert value not in prompt
    display = reidentify(prompt, vault, FINANCE)
    assert shown in display
    if shown != value:
        assert value not in display


# Sentences of a bank's help pages: fees, amounts, helplines, dates and references are not identifiers.
NOT_IDENTIFIERS = [
    "CHAPS payments cost £25 and must be requested before 3pm.",
    "Call 0800 123 4567 or +44 20 7946 0000 about your account, 24/7.",
    "Faster Payments between UK accounts arrive within 2 hours, up to £25,000 per payment.",
    "Your account will be charged £8.50 on 14/07/2024 for the unarranged overdraft.",
    "A SWIFT payment needs the BIC of the recipient's bank and costs £15.",
    "Give your sort code and account number to your employer so they can pay you.",
    "Keep your PIN secret: avoid 1234, 0000 or your date of birth.",
    "Transfers over 10000000 GBP need a passport check at the branch.",
]


@pytest.mark.parametrize("text", NOT_IDENTIFIERS)
def test_bank_help_sentences_have_no_finance_identifiers(deidentifier: Deidentifier, text: str) -> None:
    assert [f for f in _found(deidentifier, text) if f[0] in FINANCE_ENTITIES] == []


def test_shipped_finance_corpus_has_no_findings_of_the_finance_identifier_types(
    deidentifier: Deidentifier,
) -> None:
    """Over-redaction measured on the sample handbook (~47 KB of fees, limits, helplines, the bank's own BIC):
    it identifies nobody, so any sort code, account, BIC, passport, NINO or birth-date finding is a false one.
    """
    from domains import load_domains, sample_corpus_files

    config = load_domains()["finance"]
    false = [
        (path.name, f.entity_type, text[f.start : f.end])
        for path in sample_corpus_files(config)
        for text in [path.read_text(encoding="utf-8")]
        for f in deidentifier.find(text, FINANCE_ENTITIES, 0.4, config.keep_terms)
    ]
    assert false == []

"""Street addresses ("12 Harbor Lane, Salem") are masked in every domain whose policy covers places: the medical
policy lists LOCATION (HIPAA Safe Harbor (B), "geographic subdivisions smaller than a State, including street
address"), the finance policy STREET_ADDRESS; real analyzer (spaCy + Presidio + this product's recognizers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from privacy import Deidentifier, Vault
from tests.conftest import domain_policy

ROOT = Path(__file__).resolve().parents[2]
MEDICAL = domain_policy("medical")
FINANCE = domain_policy("finance")
#: The common English street-type words and their usual abbreviations (USPS Publication 28, appendix C1).
STREET_TYPES = [
    "Lane",
    "Street",
    "St",
    "Road",
    "Rd",
    "Avenue",
    "Ave",
    "Drive",
    "Dr",
    "Close",
    "Court",
    "Way",
    "Place",
    "Boulevard",
    "Terrace",
    "Crescent",
]
CANARY_STREET = "Quillfeather"  # a planted street name: never in any masked output


def _address_cases() -> list[tuple[str, str]]:
    return [
        (
            f"Patient lives at {number} {CANARY_STREET} {kind}, Salem.",
            f"{number} {CANARY_STREET} {kind}, Salem",
        )
        for kind in STREET_TYPES
        for number in ("12", "12a")
    ]


@pytest.mark.parametrize(("text", "address"), _address_cases())
@pytest.mark.parametrize("domain", ["medical", "finance"])
def test_a_street_address_is_masked_whole(
    deidentifier: Deidentifier, domain: str, text: str, address: str
) -> None:
    policy = MEDICAL if domain == "medical" else FINANCE
    vault = Vault("street-address-test")
    masked = deidentifier.pseudonymize(text, policy, vault).text
    assert CANARY_STREET not in masked and "Salem" not in masked, masked
    assert masked.startswith("Patient lives at <") and masked.endswith(">."), masked
    findings = deidentifier.find_for(text, policy, "prompt")
    # the finance policy names it one street address; the medical policy places smaller than a state, one per
    # line of the block (street, town)
    expected = "STREET_ADDRESS" if domain == "finance" else "LOCATION"
    assert [f.entity_type for f in findings] == [expected] * (1 if domain == "finance" else 2)
    assert text[findings[0].start : findings[-1].end] == address
    assert text[findings[0].start : findings[0].end].startswith(address.split(",")[0])
    # ingested clinical notes (index sink) lose the street too
    indexed = deidentifier.deidentify(text, policy, "index").text
    assert CANARY_STREET not in indexed, indexed


@pytest.mark.parametrize(
    "text",
    [
        "The note was written after 12 Harbor Lane, Salem had flooded.",  # no cue: the street rule alone
        "Discharged home to 4 Kings Close, Bath with her daughter.",
        "Address: 9b Elm Rd, Salem",
    ],
)
def test_the_street_rule_masks_without_a_cue(deidentifier: Deidentifier, text: str) -> None:
    for policy in (MEDICAL, FINANCE):
        masked = deidentifier.pseudonymize(text, policy, Vault("street-address-test")).text
        for word in ("Harbor", "Kings Close", "Elm Rd"):
            assert word not in masked, (policy.name, masked)


@pytest.mark.parametrize(
    "text",
    [
        "Windows shows the 2 drive letters after the update.",
        "We can do this in 3 ways before Friday.",
        "Park in 1 place only; the 4 way stop is closed.",
        "I need 3 new cards within 13 months.",
        "See section 4 Disputes and chapter 12 Fees.",
        "Walk 2 blocks, then rest; 5 days of rest on the ward.",
    ],
)
def test_ordinary_sentences_keep_their_words(deidentifier: Deidentifier, text: str) -> None:
    for policy in (MEDICAL, FINANCE):
        findings = deidentifier.find_for(text, policy, "prompt")
        assert [f for f in findings if f.entity_type in ("STREET_ADDRESS", "LOCATION")] == [], (
            policy.name,
            [(f.entity_type, text[f.start : f.end]) for f in findings],
        )


@pytest.mark.parametrize(
    "text",
    [
        "She is on 40 mg of lisinopril.",
        "BP is at 120/80 now.",
        "It is 3 days since surgery.",
        "Pain is at 7 out of 10.",
        "Return to 4 North for monitoring.",
    ],
)
def test_clinical_readings_after_a_place_cue_are_no_place(deidentifier: Deidentifier, text: str) -> None:
    findings = deidentifier.find_for(text, MEDICAL, "prompt")
    assert [f for f in findings if f.entity_type == "LOCATION"] == [], [
        (f.entity_type, text[f.start : f.end]) for f in findings
    ]


def test_a_kept_bank_name_with_a_street_word_stays(deidentifier: Deidentifier) -> None:
    text = "I moved my savings to Main Street Bank last year."
    for policy in (MEDICAL, FINANCE):
        masked = deidentifier.pseudonymize(
            text, policy, Vault("street-address-test"), keep_terms=["Main Street Bank"]
        ).text
        assert "Main Street Bank" in masked, (policy.name, masked)


def test_the_clinical_record_page_masks_the_street(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect as reported: the Clinical record page showed "lives at 12 Harbor Lane, <LOCATION_1>"."""
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLAMACPP__MAX_TOKENS", "24")
    monkeypatch.setenv("ASSISTANT_INGEST__INDEX_SAMPLES_ON_START", "false")
    import streamlit as st

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "clinical.py"), default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    at.text_area(key="clinical_text").set_value(
        "72 yo woman with type 2 diabetes on metformin, lives at 12 Harbor Lane, Salem."
    )
    at.button(key="clinical_analyse").click().run()
    assert not at.exception, at.exception
    shown = " ".join(h.proto.body for h in at.get("html")) + " ".join(m.value for m in at.markdown)
    assert "lives at" in shown
    assert "Harbor" not in shown and "Lane" not in shown and "lives at 12" not in shown, shown

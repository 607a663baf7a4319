"""Entity labels as the UI shows them: names and abbreviations in their usual case (a newcomer read "1 uk account
number, 1 uk sort code" under an agent-assist message), irregular plurals."""

from __future__ import annotations

from privacy import entity_label, summarize_counts


def test_abbreviations_keep_their_case_and_plurals_are_words() -> None:
    assert (
        summarize_counts({"UK_ACCOUNT_NUMBER": 1, "UK_SORT_CODE": 1}) == "1 UK account number, 1 UK sort code"
    )
    assert entity_label("DATE_OF_BIRTH", 2) == "dates of birth"
    assert entity_label("UK_NHS") == "NHS number" and entity_label("SWIFT_CODE", 3) == "SWIFT codes"
    assert entity_label("SOME_NEW_TYPE") == "some new type"  # a type without a label stays readable

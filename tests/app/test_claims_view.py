"""``app/claims_view.py``: the warning the chat page shows under an answer with unsupported figures (issue 21
item 2), rendered by Streamlit's real AppTest, for a fresh answer's claims and for the dicts stored with a turn."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page() -> None:
    import streamlit as st

    from app.claims_view import render_unsupported
    from pipelines.chat.claims import ClaimSupport, check_claims, stored_claims

    support = ClaimSupport.from_texts(["Online: up to £25,000 per day. An emergency card costs 25 pounds."])
    fresh = check_claims("The limit is £50,001 and the card costs $10 and $6.", support)
    render_unsupported(fresh)
    stored = {"intent": None, "unsupported": [c.to_json_dict() for c in fresh[:1]]}
    render_unsupported(stored_claims(stored))
    render_unsupported(stored_claims(None))
    st.write("end")


def test_the_flags_show_as_a_warning_with_each_figure_and_reason() -> None:
    at = AppTest.from_function(_page).run(timeout=60)
    assert not at.exception
    assert len(at.warning) == 2
    fresh, stored = (w.value for w in at.warning)
    assert "3 figures in this answer are not in the sources" in fresh
    assert "amount “£50,001”: amount £50001 is in no passage" in fresh
    # "$10 and $6" must not become LaTeX: the dollar signs are escaped
    assert "“\\$10”" in fresh and "“\\$6”" in fresh
    assert "1 figure in this answer is not in the sources" in stored
    assert "£50,001" in stored and "$10" not in stored


def _placeholder_page() -> None:
    from app.claims_view import render_unsupported

    render_unsupported(
        [
            {
                "kind": "phone",
                "text": "<PHONE_NUMBER>",
                "reason": "a phone number the model wrote (<PHONE_NUMBER>)",
            }
        ]
    )


def test_a_placeholder_in_a_flag_shows_as_its_label_not_its_syntax() -> None:
    """A newcomer's find: a phone number the model wrote is scrubbed to ``<PHONE_NUMBER>`` before it is checked,
    and the warning showed that syntax while the answer above it says ``[phone number]``."""
    at = AppTest.from_function(_placeholder_page).run(timeout=60)
    assert not at.exception
    (warning,) = (w.value for w in at.warning)
    assert "PHONE_NUMBER" not in warning and "“\\[phone number\\]”" in warning, warning

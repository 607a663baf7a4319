"""Traditional Chinese is tagged in its simplified form with the characters as written (issue 22, round 2:
jieba's HMM took 100-330 ms per traditional message before)."""

from __future__ import annotations

from privacy.chinese import tagged_words
from privacy.hanzi import to_simplified


def test_folding_keeps_length_and_other_characters() -> None:
    text = "黃志明先生您好，您的會員編號 VIP-HK-0088231 積分 abc"
    folded = to_simplified(text)
    assert folded == "黄志明先生您好，您的会员编号 VIP-HK-0088231 积分 abc"
    assert len(folded) == len(text)


def test_tagged_words_keep_the_written_characters_and_offsets() -> None:
    text = "客戶 歐陽家豪 於1984年出生，通訊地址香港島北角英皇道300號"
    words = tagged_words(text)
    assert "".join(w.text for w in words) == text
    assert all(text[w.start : w.end] == w.text for w in words)
    # in simplified form jieba knows the words: "香港岛" is one place word, not single unknown characters
    assert any(w.text == "香港島" and w.flag == "ns" for w in words)

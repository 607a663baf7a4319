"""What de-identification reads: the text as a person sees it, with the characters that hide values removed, and
a map back to the original offsets.

Invisible and control characters let a value pass a detector while it still reads the same on screen and to a
model: a name wrapped in ANSI colour codes (``\\x1b[31mZelda\\x1b[0m``), a card number split by zero-width spaces,
``Jane\\u200bDoe``, full-width digits (``４５３９``). Detection therefore runs on a *detection view* of the text:

- terminal escape sequences (CSI such as ``ESC[31m``, OSC such as ``ESC]0;title BEL``, two-character escapes)
  are removed;
- the zero-width space U+200B becomes a space (it separates words), except between two digits, where it is
  removed (``4\u200b539 1488 …`` is the card number ``4539 1488 …``). It shows nothing on screen, so it also
  hides a split inside a word (``G\u200bB82 WEST …`` reads as the IBAN ``GB82 WEST …``): a text holding one has a
  second view with every zero-width space removed, and detection reads both (:func:`detection_views`); the other format characters (Unicode
  category Cf: joiners, bidi controls, soft hyphen, byte-order marks) and control characters (Cc) other than
  tab, line feed and carriage return are removed;
- every remaining character is put in Unicode compatibility form (NFKC: full-width letters and digits,
  ligatures, superscripts become their plain forms).

Findings on the view are mapped back with :meth:`DetectionView.span` to spans of the original text that cover
every hidden character inside the value, so the operator replaces all of it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from privacy.errors import PrivacyError
from privacy.hanzi import to_simplified

__all__ = ["DetectionView", "detection_view", "detection_views", "visible"]

#: Terminal escape sequences: CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), other two-byte escapes.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_KEEP_CONTROLS = frozenset("\t\n\r")
_ZERO_WIDTH_SPACE = "\u200b"
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class DetectionView:
    """A text as detection reads it.

    Attributes:
        text: The view (see the module docstring).
        sources: For each character of ``text``, the offset of the original character it comes from; None when
            the view is the original text.
    """

    text: str
    sources: tuple[int, ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span that view span ``[start, end)`` (``end > start``) comes from, including any
        character removed between its first and last character."""
        if self.sources is None:
            return start, end
        return self.sources[start], self.sources[end - 1] + 1


def detection_views(text: str) -> tuple[DetectionView, ...]:
    """The detection view of ``text``, and when ``text`` holds a zero-width space, a second view with every
    zero-width space removed instead of read as a space (see the module docstring); O(len(text)) each.

    Raises:
        PrivacyError: ``text`` holds a lone UTF-16 surrogate (not text: no encoder can store or show it).
    """
    if _SURROGATE.search(text):
        raise PrivacyError(
            "the text holds an invalid character (a lone UTF-16 surrogate); send valid Unicode"
        )
    first = _folded(detection_view(text))
    if _ZERO_WIDTH_SPACE not in text:
        return (first,)
    return first, _folded(detection_view(text, zero_width_space=""))


def _folded(view: DetectionView) -> DetectionView:
    """``view`` with traditional Chinese characters read as simplified ones (:func:`privacy.hanzi.to_simplified`:
    one character for one, so every offset holds): the Chinese recognizers, cue lists and the learned model know
    simplified forms ("病歷號碼" reads "病历号码", "臺北市大安區" reads "台北市大安区")."""
    if view.text.isascii():
        return view
    folded = to_simplified(view.text)
    if folded == view.text:
        return view
    return DetectionView(folded, view.sources)  # same length: the same map back


def detection_view(text: str, zero_width_space: str = " ") -> DetectionView:
    """Build the detection view of ``text`` (see the module docstring); O(len(text)).

    Args:
        text: Any text.
        zero_width_space: What a zero-width space not between two digits becomes: " " (a word separator) or
            "" (removed).
    """
    if text.isascii() and not _has_controls(text):
        return DetectionView(text)
    removed = bytearray(len(text))
    for match in _ESCAPES.finditer(text):
        removed[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    chars: list[str] = []
    sources: list[int] = []
    for index, char in enumerate(text):
        if removed[index]:
            continue
        if char == _ZERO_WIDTH_SPACE:
            between_digits = (
                0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit()
            )
            if between_digits or not zero_width_space:
                continue
            form = zero_width_space
        else:
            category = unicodedata.category(char)
            if category == "Cf" or (category == "Cc" and char not in _KEEP_CONTROLS):
                continue
            form = unicodedata.normalize("NFKC", char) if not char.isascii() else char
        chars.append(form)
        sources.extend([index] * len(form))
    view = "".join(chars)
    return DetectionView(view) if view == text else DetectionView(view, tuple(sources))


def visible(text: str) -> str:
    """The detection view's text of ``text`` (a value as it reads: ``Jane\u200bDoe`` -> ``Jane Doe``)."""
    return detection_view(text).text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_controls(text: str) -> bool:
    return _CONTROL.search(text) is not None

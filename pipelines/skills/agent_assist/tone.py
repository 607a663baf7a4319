"""The reply draft as the agent gets it: the required wording first, then the model's lines without any sentence
that contradicts the bank's tone rules or the escalation.

:class:`DraftComposer` is fed the model's text as it streams (any split) and returns the draft a line at a time:

1. **Required wording first.** The sentences the domain requires for the case (``agent_assist.yaml``
   ``required_wording``: the scam warning, the crisis numbers) open the draft, as one paragraph; only a bare
   salutation the model wrote on its first line ("Dear <PERSON_1>,") stays above it. Where the model also
   wrote a required sentence, that copy is removed from its text (it is already at the top).
2. **Forbidden phrasings dropped.** Every other sentence of the model's text is checked against the domain's
   forbidden phrasings (``forbidden_phrasings.yaml``, :class:`domains.tone_config.ForbiddenPhrasings`: case,
   punctuation, curly quotes and contractions do not matter); a match is dropped and recorded as a
   :class:`DroppedSentence` with the phrasing's name and reason, which the page, the API (``dropped`` in the
   result) and the log (names only) report. A line left with no sentence is dropped whole.

The required wording itself is never checked: it is the bank's own text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from domains.tone_config import ForbiddenPhrasings

__all__ = ["DraftComposer", "DroppedSentence", "dropped_rules", "split_sentences"]

#: A first line that only greets ("Dear <PERSON_1>," "Hello,"): kept above the required wording.
_SALUTATION = re.compile(
    r"^\s*(?:dear|hi|hello|good (?:morning|afternoon|evening))\b[^.!?\n]{0,60}[,!:]?\s*$", re.IGNORECASE
)
#: The end of a sentence: terminal punctuation (and closing quotes or brackets), then space before what can
#: start a sentence (a capital, a digit, a quote, a bracket or a placeholder).
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(\s+)(?=[\"'“‘(\[<*]?[A-Z0-9<])")
#: A line with nothing left but list markers, punctuation or space.
_EMPTY = re.compile(r"^[\s\-*•·–—>#.,;:!?\d)]*$")


def split_sentences(line: str) -> list[str]:
    """The sentences of one line, each with its trailing whitespace, so that ``"".join`` gives ``line`` back.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (and any closing quote or bracket) followed by space and a
    capital, digit, opening quote or placeholder; "e.g. the" does not end one.
    """
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        parts.append(line[start : match.end(1)])
        start = match.end(1)
    if start < len(line):
        parts.append(line[start:])
    return parts


@dataclass(frozen=True)
class DroppedSentence:
    """A sentence of the model's draft that was dropped.

    Attributes:
        text: The sentence as the model wrote it (in the result: de-identified, placeholders such as
            ``<PERSON_1>``, never the customer's values).
        rule: The forbidden phrasing's name (``forbidden_phrasings.yaml``).
        reason: Why it is forbidden (shown to the agent).
    """

    text: str
    rule: str
    reason: str

    def to_json_dict(self) -> dict[str, Any]:
        """``{"text", "rule", "reason"}``."""
        return asdict(self)


def _flexible(sentence: str) -> re.Pattern[str]:
    """``sentence`` matched case-insensitively with any whitespace between its words."""
    return re.compile(r"\s+".join(re.escape(word) for word in sentence.split()), re.IGNORECASE)


@dataclass
class DraftComposer:
    """Builds the agent's draft from the model's streamed text (see the module docstring).

    Feed it the model's text with :meth:`feed` (any split: it works on complete lines) and call :meth:`finish`
    once; each returns the next part of the draft. ``"".join`` of all returned parts, stripped, is the draft.

    Attributes:
        required: The required sentences for the case, in order (``AgentAssistConfig.wording_for``).
        phrasings: The domain's forbidden phrasings; None = the model's sentences are not checked.
        keys: The case's intent label and risk categories (for phrasings with ``when``).
        dropped: The sentences dropped so far, in draft order.
        written: The required texts the model wrote itself, every sentence of them (its copies are removed from
            its text: they open the draft).
    """

    required: list[str]
    phrasings: ForbiddenPhrasings | None = None
    keys: frozenset[str] = frozenset()
    dropped: list[DroppedSentence] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    _pending: str = field(default="", init=False)
    _opened: bool = field(default=False, init=False)
    _blank: bool = field(default=True, init=False)
    _finished: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._required = [
            (text, [_flexible(sentence) for sentence in split_sentences(text) if sentence.strip()])
            for text in self.required
        ]
        self._seen: dict[str, set[int]] = {text: set() for text in self.required}
        self._wording = "\n\n".join(self.required)

    def feed(self, text: str) -> str:
        """Take more of the model's text; return the draft text of the lines it completed ("" if none)."""
        if self._finished:
            raise ValueError("the draft was finished")
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        return "".join(self._line(line) for line in lines)

    def finish(self) -> str:
        """End of the model's text: return the rest of the draft (the required wording alone when the model
        wrote nothing)."""
        if self._finished:
            return ""
        self._finished = True
        out = self._line(self._pending) if self._pending else ""
        self._pending = ""
        if not self._opened:
            self._opened = True
            out += self._wording
        return out

    @property
    def wording_missing(self) -> list[str]:
        """The required texts the model left out, wholly or in part (all of them open the draft either way)."""
        return [s for s in self.required if s not in self.written]

    def compose(self, text: str) -> str:
        """The whole draft for the model's complete ``text`` (:meth:`feed` then :meth:`finish`), stripped."""
        return (self.feed(text) + self.finish()).strip()

    def _open(self) -> str:
        self._opened = True
        if not self._wording:
            return ""
        self._blank = True
        return self._wording + "\n\n"

    def _line(self, line: str) -> str:
        if not line.strip():
            if self._opened and not self._blank:
                self._blank = True
                return "\n"
            return ""
        if not self._opened and self._wording and _SALUTATION.match(line):
            self._opened = True
            self._blank = True
            return line.rstrip() + "\n\n" + self._wording + "\n\n"
        kept = self._check(self._without_required(line))
        head = "" if self._opened else self._open()
        if kept is None:
            return head
        self._blank = False
        return head + kept + "\n"

    def _without_required(self, line: str) -> str:
        """The line without the model's copies of required sentences (each sentence of a required text on its
        own: the model may copy one of two)."""
        for text, patterns in self._required:
            for index, pattern in enumerate(patterns):
                line, found = pattern.subn("", line)
                if found:
                    self._seen[text].add(index)
            if len(self._seen[text]) == len(patterns) and text not in self.written:
                self.written.append(text)
        return line

    def _check(self, line: str) -> str | None:
        """The line without its forbidden sentences (None: nothing of it is left)."""
        if _EMPTY.match(line):
            return None
        if self.phrasings is None:
            return line.rstrip()
        kept: list[str] = []
        for sentence in split_sentences(line):
            rule = self.phrasings.violation(sentence, self.keys)
            if rule is None:
                kept.append(sentence)
            else:
                shown = sentence.strip().lstrip("-*•· ")
                self.dropped.append(DroppedSentence(shown, rule.name, " ".join(rule.reason.split())))
        text = "".join(kept).rstrip()
        return None if _EMPTY.match(text) else text


def dropped_rules(dropped: Iterable[DroppedSentence]) -> str:
    """The rule names of ``dropped`` for a log line ("-" when none): names only, never the text."""
    return ",".join(d.rule for d in dropped) or "-"

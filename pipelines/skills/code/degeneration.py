"""Degenerate generations of code tasks: repetition loops stopped while they stream, answers cut at the token
limit, and the cut or repeated tail trimmed to the complete part.

**Repetition.** A language model decoding greedily (or with a low temperature, as the code modes do) can fall
into a loop, writing the same line again and again until its token limit: the "degenerate repetition" of
Holtzman et al. 2020, *The Curious Case of Neural Text Degeneration* (ICLR 2020, section 1 and figure 1, where
beam search repeats one sentence until the end of the text). :class:`RepetitionGuard` watches the answer as it
streams and fires when its tail is one unit repeated in a row:

- the same line (stripped; blank lines and lines of punctuation only are skipped) ``line_repeats`` times;
- the same line with a counter: lines equal once their numbers are masked, each number changing by a constant
  step from line to line (``assert sign(1) == 1``, ``assert sign(2) == 2``, …; what the embedded Gemma 3 270M
  writes for a small function until its token limit), ``counting_repeats`` times;
- the same block of 2 to ``max_block_lines`` lines ``block_repeats`` times, or ``counting_block_repeats``
  times with its numbers counting (``def test_sign(x):`` / ``assert sign(x) == 1``, then ``== 2``, …);
- inside one long line, the same span of ``min_span_chars`` to ``max_span_chars`` characters ``span_repeats``
  times (a loop that never writes a newline, e.g. ``assert f(1) and f(1) and ...``).

The thresholds are ours, chosen so that ordinary code (tests with similar but different asserts, parametrize
tables, nested closing brackets) never fires: eight identical lines in a row, or a block of two or more lines four
times, or ten lines that only count up their numbers, does not occur in code a person would keep. When the guard fires the task closes the model's stream,
which stops the generation on the host (:class:`pipelines.llm.generation.ChatParts`) or in the embedded model.

**Truncation.** A generation that reached its token limit reports it: Ollama's final chunk has
``done_reason: "length"`` (https://github.com/ollama/ollama/blob/main/docs/api.md), an OpenAI-compatible server's
last choice ``finish_reason: "length"`` (llama.cpp's server and vLLM as OpenAI's API); the embedded llama.cpp
completion stream is counted against the mode's ``max_tokens`` (one streamed part per sampled token).

**Trimming.** :func:`trim_python` keeps the longest prefix of complete top-level statements that parses
(:func:`ast.parse`), after dropping the line the cut fell in. The tests that remain run; what was dropped is
named to the user.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "GenerationEnd",
    "Repetition",
    "RepetitionGuard",
    "Trimmed",
    "find_repetition",
    "test_names",
    "trim_python",
]

_ALNUM = re.compile(r"\w")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


@dataclass(frozen=True)
class Repetition:
    """A repetition loop found in generated text.

    Attributes:
        kind: ``line`` (one line repeated), ``counting`` (one line repeated with its numbers counting by a
            constant step), ``block`` (several lines repeated) or ``span`` (a span repeated within one line).
        unit: The repeated unit as written (the line stripped, the block's lines joined by newlines, the span).
        lines: Lines per repeated unit (1 for a line, 0 for a span within a line).
        repeats: Times the unit occurs in a row where the guard fired (the threshold).
        cut: Offset in the fed text where the second occurrence starts: the text before it keeps one copy.
    """

    kind: Literal["line", "counting", "block", "span"]
    unit: str
    lines: int
    repeats: int
    cut: int

    def describe(self) -> str:
        """Plain words, e.g. "repeated the same line 8 times in a row (`assert f(1) == 1`)"."""
        if self.kind == "line":
            return f"repeated the same line {self.repeats} times in a row (`{_short(self.unit)}`)"
        if self.kind == "counting" and self.lines == 1:
            return (
                f"repeated the same line {self.repeats} times in a row, only counting its numbers up "
                f"(`{_short(self.unit)}`, …)"
            )
        if self.kind == "counting":
            return (
                f"repeated the same {self.lines} lines {self.repeats} times in a row, only counting their numbers "
                f"up (starting `{_short(self.unit.splitlines()[0])}`)"
            )
        if self.kind == "block":
            first = self.unit.splitlines()[0]
            return (
                f"repeated the same {self.lines} lines {self.repeats} times in a row "
                f"(starting `{_short(first)}`)"
            )
        return f"repeated the same text {self.repeats} times in a row within one line (`{_short(self.unit)}`)"


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def _short(text: str, limit: int = 60) -> str:
    text = text.strip().replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RepetitionGuard:
    """Watches streamed text for a repetition loop (see the module docstring for the method and thresholds).

    Feed the answer as it streams with :meth:`feed`; it returns the :class:`Repetition` once the text's tail
    is a repeated unit, else None. Cost per fed piece: O(max_block_lines²) for the lines, O(max_span_chars ×
    span_repeats × max_span_chars) characters compared for a line longer than ``long_line_chars``.

    Args:
        line_repeats: Same line this many times in a row fires (default 8).
        counting_repeats: Same line with its numbers counting by constant steps this many times fires
            (default 10).
        block_repeats: Same block of 2..``max_block_lines`` lines this many times in a row fires (default 4).
        counting_block_repeats: Same block with its numbers counting by constant steps this many times fires
            (default 6).
        max_block_lines: Longest repeated block looked for, lines.
        span_repeats: Same span this many times in a row inside one line fires (default 6).
        min_span_chars: Shortest repeated span looked for inside a line, characters.
        max_span_chars: Longest repeated span looked for inside a line, characters.
        long_line_chars: A line is searched for a repeated span only once it is this long.
    """

    def __init__(
        self,
        line_repeats: int = 8,
        counting_repeats: int = 10,
        block_repeats: int = 4,
        counting_block_repeats: int = 6,
        max_block_lines: int = 8,
        span_repeats: int = 6,
        min_span_chars: int = 4,
        max_span_chars: int = 80,
        long_line_chars: int = 160,
    ) -> None:
        if min(line_repeats, counting_repeats, block_repeats, counting_block_repeats, span_repeats) < 3:
            raise ValueError("a repetition loop needs at least 3 occurrences")
        self.line_repeats = line_repeats
        self.counting_repeats = counting_repeats
        self.counting_block_repeats = counting_block_repeats
        self.block_repeats = block_repeats
        self.max_block_lines = max_block_lines
        self.span_repeats = span_repeats
        self.min_span_chars = min_span_chars
        self.max_span_chars = max_span_chars
        self.long_line_chars = long_line_chars
        self.fed = 0  # characters fed so far
        self._partial = ""  # the current line, not yet ended by a newline
        self._partial_start = 0
        self._lines: list[tuple[str, int]] = []  # (stripped line, offset of its start), content lines only
        self.found: Repetition | None = None

    def feed(self, text: str) -> Repetition | None:
        """Add streamed ``text``; return the repetition once found (then always the same one), else None."""
        if self.found is not None or not text:
            return self.found
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if index > 0:  # a newline ended the current line
                self._end_line()
                if self.found is not None:
                    return self.found
            self._partial += piece
            self.fed += len(piece) + (1 if index > 0 else 0)
            if index > 0:
                self._partial_start = self.fed - len(piece)
        if len(self._partial) >= self.long_line_chars:
            self.found = self._span_loop(self._partial, self._partial_start)
        return self.found

    def _end_line(self) -> None:
        line = self._partial.strip()
        start = self._partial_start
        self._partial = ""
        if line and _ALNUM.search(line):
            self._lines.append((line, start))
            keep = max(
                self.max_block_lines * max(self.block_repeats, self.counting_block_repeats),
                self.line_repeats,
                self.counting_repeats,
            )
            self._lines = self._lines[-keep:]
            self.found = self._line_loop(counting=False) or self._line_loop(counting=True)

    def _line_loop(self, counting: bool) -> Repetition | None:
        """A unit of 1..max_block_lines lines repeated at the tail: equal lines, or (``counting``) lines equal
        once numbers are masked whose every number changes by a constant step from copy to copy."""
        for period in range(1, self.max_block_lines + 1):
            if counting:
                repeats = self.counting_repeats if period == 1 else self.counting_block_repeats
            else:
                repeats = self.line_repeats if period == 1 else self.block_repeats
            span = period * repeats
            if len(self._lines) < span:
                continue
            tail = [text for text, _ in self._lines[-span:]]
            keys = [_NUMBER.sub("0", text) for text in tail] if counting else tail
            if not all(keys[i] == keys[i - period] for i in range(period, span)):
                continue
            unit = tail[:period]
            if period > 1 and len(set(keys[:period])) == 1:
                continue  # one line repeated: found with period 1
            if counting and not _counts(tail, period):
                continue
            return Repetition(
                kind=("counting" if counting else "line" if period == 1 else "block"),
                unit="\n".join(unit),
                lines=period,
                repeats=repeats,
                cut=self._lines[-span + period][1],
            )
        return None

    def _span_loop(self, line: str, start: int) -> Repetition | None:
        for width in range(self.min_span_chars, self.max_span_chars + 1):
            total = width * self.span_repeats
            if total > len(line):
                break
            tail = line[-total:]
            unit = tail[-width:]
            if unit.strip() and tail == unit * self.span_repeats:
                return Repetition("span", unit, 0, self.span_repeats, start + len(line) - total + width)
        return None


def _counts(lines: list[str], period: int) -> bool:
    """Whether every number of the repeated ``period``-line unit changes by a constant step from one copy to
    the next (not all steps 0: that is an exact repeat)."""
    moving = False
    for offset in range(period):
        rows = [[float(n) for n in _NUMBER.findall(line)] for line in lines[offset::period]]
        for column in zip(*rows, strict=True):
            steps = {column[k + 1] - column[k] for k in range(len(column) - 1)}
            if len(steps) != 1:
                return False
            moving = moving or steps != {0.0}
    return moving


def find_repetition(text: str, guard: RepetitionGuard | None = None) -> Repetition | None:
    """The first repetition loop in ``text`` as :class:`RepetitionGuard` would find it while streaming
    (``guard``: a fresh guard with the default thresholds when None)."""
    guard = guard or RepetitionGuard()
    step = 64  # fed in pieces so a long line is checked as it grows, as while streaming
    for offset in range(0, len(text), step):
        found = guard.feed(text[offset : offset + step])
        if found is not None:
            return found
    return None


def test_names(code: str) -> list[str]:
    """Names of the pytest test functions (``test*``) defined at the top level or in ``Test*`` classes of
    ``code``, in order; [] when the code does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.extend(
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test")
            )
    return names


test_names.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

_DEF = re.compile(r"^(?:async\s+)?(?:def|class)\s+(\w+)", re.MULTILINE)
_CONTINUES = re.compile(r"^(?:[)\]}]|else\b|elif\b|except\b|finally\b|case\b|#)")


@dataclass(frozen=True)
class Trimmed:
    """Python code cut to its complete, parseable part (:func:`trim_python`).

    Attributes:
        code: The kept code (ends in one newline; "" when nothing complete remains).
        dropped: Names of the functions and classes in the dropped tail (the one cut off first).
        dropped_lines: Non-blank lines dropped.
    """

    code: str
    dropped: list[str] = field(default_factory=list)
    dropped_lines: int = 0


def trim_python(code: str, at_line_end: bool = False) -> Trimmed:
    """Cut ``code``, whose end was cut off (a stopped repetition loop, or the token limit), to complete
    statements: the cut line is dropped (none when the cut fell at a line end, ``at_line_end``), then the
    longest prefix that :func:`ast.parse` accepts among the whole rest and the prefixes ending at a top-level
    statement boundary is kept. A boundary is a line starting in column 0 that does not continue a statement
    (not ``)``, ``else``, ``except``, a comment, …) and does not follow a decorator.

    Returns:
        :class:`Trimmed` with the kept code, the names of dropped functions/classes and the dropped line count.
    """
    partial = ""
    if not at_line_end:
        head, newline, partial = code.rstrip("\n").rpartition("\n")
        code = head + newline
    lines = code.splitlines(keepends=True)
    boundaries = []
    previous = ""
    for index, line in enumerate(lines):
        if line[:1].strip() and not _CONTINUES.match(line) and not previous.startswith("@"):
            boundaries.append(index)
        if line.strip() and not line[:1].isspace():
            previous = line
    for end in [len(lines), *reversed(boundaries)]:
        kept = "".join(lines[:end]).strip("\n")
        if not kept.strip():
            break
        try:
            ast.parse(kept)
        except SyntaxError:
            continue
        return _trimmed(kept + "\n", "".join(lines[end:]) + partial)
    return _trimmed("", code + partial)


def _trimmed(kept: str, dropped: str) -> Trimmed:
    return Trimmed(
        code=kept,
        dropped=_DEF.findall(dropped),
        dropped_lines=sum(1 for line in dropped.splitlines() if line.strip()),
    )


@dataclass
class GenerationEnd:
    """How a code task's generation ended and what was done about it (``generation`` in the JSON).

    Attributes:
        stopped: ``repetition`` (stopped by :class:`RepetitionGuard`), ``length`` (the token limit cut it) or
            None (the model finished).
        seconds: Seconds from the start of the generation to its end.
        parts: Streamed parts read from the model (about one per token).
        max_tokens: The token limit the generation had, when known.
        finish_reason: The backend's reported reason (Ollama ``done_reason``, OpenAI ``finish_reason``;
            ``length`` for the embedded model when it streamed ``max_tokens`` parts), None when not reported.
        repetition: The loop found, when ``stopped == "repetition"``.
        code_cut: The code ran on to where the generation stopped (so its end was incomplete).
        dropped: Functions/classes dropped from the cut end of the code.
        dropped_lines: Non-blank code lines dropped.
        kept_tests: Test functions left to run (write-tests mode).
        unusable: Nothing complete was left (no test function; no statement of a translation), so the check
            did not run.
        check: The mode's check (tests, translation, syntax, none).
    """

    stopped: Literal["repetition", "length"] | None = None
    seconds: float = 0.0
    parts: int = 0
    max_tokens: int | None = None
    finish_reason: str | None = None
    repetition: Repetition | None = None
    code_cut: bool = False
    dropped: list[str] = field(default_factory=list)
    dropped_lines: int = 0
    kept_tests: int | None = None
    unusable: bool = False
    check: str = ""

    def note(self) -> str:
        """What happened, in plain words for the page, the CLI and the JSON ("" when the model finished).

        E.g. "The model repeated the same line 8 times in a row (`assert f(1) == 1`) and was stopped after 9 s.
        The last test function (test_zero) was cut off and was dropped; 3 complete tests were run."
        """
        if self.stopped is None:
            return ""
        if self.stopped == "repetition" and self.repetition is not None:
            first = f"The model {self.repetition.describe()} and was stopped after {_seconds(self.seconds)}."
        else:
            limit = f" ({self.max_tokens} tokens)" if self.max_tokens else ""
            first = (
                f"The answer reached the token limit{limit} after {_seconds(self.seconds)} and was cut off."
            )
        advice = (
            "Try a shorter function (or one function at a time), or another backend (a larger model, "
            "e.g. Ollama)."
        )
        if not self.code_cut:
            return first
        if self.check == "translation":
            if self.unusable:
                return (
                    f"{first} No complete statement of the translation was left, so it was not run. {advice}"
                )
            return (
                f"{first} The translation is incomplete (its cut-off end was dropped); it was run anyway, so its "
                "output may differ from the C++ program's."
            )
        if self.check != "tests":
            repeats = " The repeated lines were dropped." if self.stopped == "repetition" else ""
            return first + repeats
        if self.unusable:
            return f"{first} No complete test function was left, so no test was run. {advice}"
        plural = "test was" if self.kept_tests == 1 else "tests were"
        ran = f"the {self.kept_tests} complete {plural} run."
        if self.dropped:
            names = ", ".join(self.dropped[:3]) + ("…" if len(self.dropped) > 3 else "")
            if len(self.dropped) == 1:
                return f"{first} The last test function ({names}) was cut off and was dropped; {ran}"
            return f"{first} The last functions ({names}) were cut off and were dropped; {ran}"
        run = f"the {self.kept_tests} {plural} run (the last one may be unfinished)."
        if self.dropped_lines == 1:
            return f"{first} Its cut-off last line was dropped; {run}"
        if self.dropped_lines:
            return f"{first} Its cut-off last {self.dropped_lines} lines were dropped; {run}"
        if self.stopped == "length":
            return f"{first} It was cut at the end of a line; {run}"
        return f"{first} The repeats were dropped; the {self.kept_tests} {plural} run."

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form: stopped, note, seconds, parts, max_tokens, finish_reason, repetition, trimming."""
        repetition = self.repetition
        return {
            "stopped": self.stopped,
            "note": self.note(),
            "seconds": round(self.seconds, 1),
            "parts": self.parts,
            "max_tokens": self.max_tokens,
            "finish_reason": self.finish_reason,
            "repetition": (
                {
                    "kind": repetition.kind,
                    "unit": repetition.unit,
                    "lines": repetition.lines,
                    "repeats": repetition.repeats,
                }
                if repetition is not None
                else None
            ),
            "code_cut": self.code_cut,
            "dropped": self.dropped,
            "dropped_lines": self.dropped_lines,
            "kept_tests": self.kept_tests,
            "unusable": self.unusable,
        }

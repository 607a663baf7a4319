"""Code-aware chunking: chunks follow functions/classes/methods (Python via ast, other languages via tree-sitter)
and carry the symbol and the exact line range. Expected symbols and line ranges were counted by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import Chunk, load_bytes, split_document

CORPUS = Path(__file__).resolve().parents[2] / "domains" / "code" / "corpus"

RETRY_PY = '''\
"""Retry helpers."""
import functools
import random

MAX_ATTEMPTS = 5


# Decorated: the decorator and this comment belong to the function.
@functools.lru_cache(maxsize=None)
def backoff(attempt):
    return 2**attempt


class RetryPolicy:
    """When to retry a failing call, and how long to wait."""

    attempts = MAX_ATTEMPTS

    def next_delay(self, attempt):
        def jitter():
            return random.random()

        return backoff(attempt) + jitter()

    def should_retry(self, error):
        return isinstance(error, OSError)


if __name__ == "__main__":
    print(RetryPolicy().next_delay(1))
'''

CPP = """\
#include <vector>

namespace geo {
// A point in the plane.
struct Point {
  double x, y;
};

template <typename T>
class Grid {
 public:
  T at(int i) const { return cells_[i]; }
  std::vector<T> cells_;
};
}  // namespace geo

static int *scratch(void) { return nullptr; }

int geo::Grid<int>::size() const { return 0; }
"""

RUST = """\
use std::fmt;

/// A labelled value.
#[derive(Debug)]
pub struct Tag {
    name: String,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.name)
    }
}
"""

TSX = """\
import React from "react";

// Greets someone.
export const Hello = ({ name }: { name: string }) => <p>Hello {name}</p>;

export default function App() {
  return <Hello name="you" />;
}
"""

JAVA = """\
package demo;

/** Counts things. */
public class Counter {
    private int n;

    public Counter() { n = 0; }

    // Adds one.
    public int increment() {
        return ++n;
    }
}
"""


def _split(name: str, source: str, chunk_size: int = 800, overlap: int = 120) -> list[Chunk]:
    document = load_bytes(name, source.encode(), max_bytes=2**20, max_chars=10**6)
    return split_document(document, list(document.sections), chunk_size, overlap)


def _outline(chunks: list[Chunk]) -> list[tuple[str, int, int]]:
    return [(c.symbol, c.start_line, c.end_line) for c in chunks]


def _assert_lines_match_source(chunks: list[Chunk], source: str) -> None:
    """Each chunk's text is exactly its line range of the file (blank ends and outer whitespace aside)."""
    lines = source.split("\n")
    for chunk in chunks:
        assert chunk.text.strip() == "\n".join(lines[chunk.start_line - 1 : chunk.end_line]).strip(), chunk


@pytest.mark.parametrize(
    ("case", "name", "source", "chunk_size", "expected"),
    [
        (
            "python long class split per method, nested function stays in its method",
            "retry.py",
            RETRY_PY,
            200,
            [
                ("", 1, 5),  # docstring, imports, constant
                ("backoff", 8, 11),  # comment + decorator belong to the function
                ("RetryPolicy", 14, 17),  # class header, docstring, class attribute
                ("RetryPolicy.next_delay", 19, 23),  # jitter() is inside, not a chunk of its own
                ("RetryPolicy.should_retry", 25, 26),
                ("", 29, 30),  # the __main__ block
            ],
        ),
        (
            "python short class stays whole",
            "retry.py",
            RETRY_PY,
            800,
            [("", 1, 5), ("backoff", 8, 11), ("RetryPolicy", 14, 26), ("", 29, 30)],
        ),
        (
            "python syntax error falls back to the splitter without symbols",
            "broken.py",
            "import os\n\ndef broken(:\n    return os.sep\n",
            800,
            [("", 1, 4)],
        ),
        (
            "cpp namespace, struct with leading comment, template class, out-of-class member",
            "grid.cpp",
            CPP,
            800,
            [
                ("", 1, 1),
                ("geo", 3, 15),
                ("scratch", 17, 17),
                ("geo::Grid<int>::size", 19, 19),
            ],
        ),
        (
            "cpp long namespace split into its struct and class",
            "grid.cpp",
            CPP,
            150,
            [
                ("", 1, 1),
                ("geo", 3, 3),
                ("geo.Point", 4, 7),
                ("geo.Grid", 9, 14),
                ("geo", 15, 15),  # the closing brace's comment
                ("scratch", 17, 17),
                ("geo::Grid<int>::size", 19, 19),
            ],
        ),
        (
            "rust doc comment and attribute belong to the struct; impl named by its type",
            "tag.rs",
            RUST,
            800,
            [("", 1, 1), ("Tag", 3, 7), ("Tag", 9, 13)],
        ),
        (
            "tsx arrow function component named by its variable, JSX parsed with the TSX grammar",
            "app.tsx",
            TSX,
            800,
            [("", 1, 1), ("Hello", 3, 4), ("App", 6, 8)],
        ),
        (
            "java long class split per constructor and method",
            "Counter.java",
            JAVA,
            100,
            [
                ("", 1, 1),
                ("Counter", 3, 5),
                ("Counter.Counter", 7, 7),
                ("Counter.increment", 9, 12),
            ],
        ),
    ],
)
def test_code_chunks_follow_definitions(
    case: str, name: str, source: str, chunk_size: int, expected: list[tuple[str, int, int]]
) -> None:
    chunks = _split(name, source, chunk_size, min(120, chunk_size // 4))
    assert _outline(chunks) == expected, case
    _assert_lines_match_source(chunks, source)
    for chunk in chunks:
        lines = f"lines {chunk.start_line}-{chunk.end_line}"
        assert chunk.location == (f"{chunk.symbol}, {lines}" if chunk.symbol else lines)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "lru_cache.ts",
            [
                ("", 1, 5),
                ("LRUOptions", 7, 12),
                ("Entry", 14, 17),
                ("CacheStats", 19, 24),
                ("LRUCache", 26, 33),  # class header and fields; the closing brace alone is dropped
                ("LRUCache.constructor", 35, 41),
                ("LRUCache.get", 43, 55),  # with its JSDoc comment
                ("LRUCache.set", 57, 68),
                ("LRUCache.has", 70, 73),
                ("LRUCache.delete", 75, 77),
                ("LRUCache.clear", 79, 81),
                ("LRUCache.size", 83, 85),
                ("LRUCache.stats", 87, 89),
                ("memoize", 92, 110),
                ("", 112, 115),  # const fib = memoize(…) is a value, not a function
            ],
        ),
        (
            "retry.go",
            [
                ("", 1, 14),  # package, imports, var ErrCircuitOpen
                ("Policy", 16, 23),
                ("DefaultPolicy", 25, 28),
                ("Policy.Delay", 30, 48),  # method named by its receiver type
                ("Permanent", 50, 51),
                ("Permanent.Error", 53, 53),
                ("Permanent.Unwrap", 54, 54),
                ("Do", 56, 83),
                ("Breaker", 85, 94),
                ("NewBreaker", 96, 99),
                ("Breaker.Open", 101, 106),
                ("Breaker.Do", 108, 125),
            ],
        ),
    ],
)
def test_shipped_code_samples_are_split_by_symbol(name: str, expected: list[tuple[str, int, int]]) -> None:
    source = (CORPUS / name).read_text()
    chunks = _split(name, source)
    assert _outline(chunks) == expected
    _assert_lines_match_source(chunks, source)


def test_function_longer_than_chunk_size_is_split_and_every_piece_keeps_the_symbol() -> None:
    body = "".join(f"    total += step({n})  # step number {n}\n" for n in range(40))
    source = f"import math\n\n\ndef long_sum(step):\n    total = 0\n{body}    return total\n"
    # the function: line 4 (def) to line 4 + 1 + 40 + 1 = 46
    chunks = _split("long.py", source, chunk_size=300, overlap=60)
    assert chunks[0].symbol == "" and (chunks[0].start_line, chunks[0].end_line) == (1, 1)
    pieces = chunks[1:]
    assert len(pieces) > 1 and {c.symbol for c in pieces} == {"long_sum"}
    assert pieces[0].start_line == 4 and pieces[-1].end_line == 46
    assert all(len(c.text) <= 300 for c in pieces)
    assert all(
        a.start_line < b.start_line <= a.end_line + 1 for a, b in zip(pieces, pieces[1:], strict=False)
    )
    _assert_lines_match_source(chunks, source)


def test_leading_blank_lines_keep_the_file_line_numbers() -> None:
    chunks = _split("late.py", "\n\n\ndef late():\n    return 1\n")
    assert _outline(chunks) == [("late", 4, 5)]


def test_prose_chunks_carry_no_symbol_or_lines() -> None:
    chunks = _split("notes.md", "# Retry\n\nUse exponential backoff with jitter.\n")
    assert [(c.location, c.symbol, c.start_line, c.end_line) for c in chunks] == [
        ("section: Retry", "", 0, 0)
    ]


def test_code_chunk_ids_are_deterministic_content_hashes() -> None:
    first, again = _split("retry.py", RETRY_PY, 200), _split("retry.py", RETRY_PY, 200)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    changed = _split("retry.py", RETRY_PY.replace("OSError", "IOError"), 200)
    assert [c.id for c in changed] != [c.id for c in first]

"""20 concurrent API sessions on the embedded llama.cpp backend, each with its own canary (a made-up name and
phone number): zero cross-talk, every request answered (200) or refused with 429/503 and ``Retry-After`` (no
500), and every answered turn stored, de-identified, in its own session only.

Each session has its own API key (so the per-key rate limit is not what is measured) and makes two turns, the
second asking back for the phone number; half the sessions use ``/api/ask``, half ``/v1/chat/completions`` with
``X-Session-Id``. A refused request waits ``Retry-After`` and tries again (at most 40 times), as a client would.
The figures (answered, refused, wall time) are printed and kept as the test's properties.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.api.conftest import Server

SESSIONS = 20
TURNS = 2
MAX_ATTEMPTS = 40
FIRST = ["Ottoline", "Benedikta", "Casimira", "Dagobert", "Eulalie", "Fortunato", "Gwendolyn", "Hieronymus",
         "Isadora", "Jasperine", "Konstantin", "Leocadia", "Maximilian", "Nerissa", "Octavius", "Philippa",
         "Quintessa", "Rosalind", "Sebastiano", "Theodora"]  # fmt: skip
LAST = ["Vandermolen", "Quibbleworth", "Marchetti-Lund", "Oyelaran", "Szczepanek", "Thornquist", "Abernathy",
        "Kowalczyk", "Ravensworth", "Delacroix-Beck", "Ulyanova", "Fairweather", "Hinterberger", "Nakashima",
        "Pemberton-Ash", "Zwillinger", "Castellanos", "Ottersby", "Wrenfield", "Bellamont"]  # fmt: skip


@dataclass
class _Canary:
    name: str
    phone: str

    def values(self) -> tuple[str, ...]:
        first, last = self.name.split()
        return self.name, first, last, self.phone, self.phone.replace("-", "")


@dataclass
class _Outcome:
    index: int
    session_id: str = ""
    answered: list[str] = field(default_factory=list)  # response texts of the answered turns
    statuses: list[int] = field(default_factory=list)  # every attempt's status
    missing_retry_after: int = 0


CANARIES = [_Canary(f"{FIRST[i]} {LAST[i]}", f"917-555-01{i:02d}") for i in range(SESSIONS)]


def _session(server: Server, key: str, index: int, start: threading.Barrier) -> _Outcome:
    canary, outcome = CANARIES[index], _Outcome(index)
    questions = [
        f"My name is {canary.name} and my phone is {canary.phone}. What is an overdraft fee?",
        "Which phone number did I give you?",
    ]
    via_v1 = index % 2 == 1
    with server.client(key) as client:
        start.wait()
        for question in questions:
            if via_v1:
                path, headers = "/v1/chat/completions", {"X-Session-Id": f"conc-{index}"}
                body: dict[str, Any] = {
                    "model": "assistant",
                    "messages": [{"role": "user", "content": question}],
                }
            else:
                path, headers = "/api/ask", {}
                body = {"question": question, "session_id": f"conc-{index}"}
            for _attempt in range(MAX_ATTEMPTS):
                response = client.post(path, json=body, headers=headers)
                outcome.statuses.append(response.status_code)
                if response.status_code == 200:
                    data = response.json()
                    outcome.session_id = data["assistant"]["session_id"] if via_v1 else data["session_id"]
                    outcome.answered.append(response.text)
                    break
                if response.status_code not in (429, 503):
                    return outcome  # reported by the test
                retry_after = response.headers.get("retry-after")
                if retry_after is None:
                    outcome.missing_retry_after += 1
                    return outcome
                time.sleep(float(retry_after))
    return outcome


@pytest.mark.slow
def test_twenty_concurrent_sessions_never_cross_and_are_all_stored(
    server: Server, record_property: Callable[[str, object], None]
) -> None:
    accounts = server.services.accounts
    keys = [accounts.create_key("alice" if i % 2 == 0 else "bob", f"conc-{i}").key for i in range(SESSIONS)]
    start = threading.Barrier(SESSIONS)
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        outcomes = list(pool.map(lambda i: _session(server, keys[i], i, start), range(SESSIONS)))
    wall = time.monotonic() - began

    statuses = [status for outcome in outcomes for status in outcome.statuses]
    answered = sum(len(outcome.answered) for outcome in outcomes)
    refused = sum(1 for status in statuses if status in (429, 503))
    figures = {
        "sessions": SESSIONS,
        "turns_answered": answered,
        "requests": len(statuses),
        "refused_429_503": refused,
        "wall_s": round(wall, 1),
    }
    print(f"\nconcurrency figures: {figures}")
    for name, value in figures.items():
        record_property(name, value)

    assert set(statuses) <= {200, 429, 503}, sorted(set(statuses))
    assert sum(outcome.missing_retry_after for outcome in outcomes) == 0
    assert answered == SESSIONS * TURNS  # every turn answered at last (refusals were retried)
    assert len({outcome.session_id for outcome in outcomes}) == SESSIONS
    memory = server.services.memory
    for outcome in outcomes:
        others = [value for j, c in enumerate(CANARIES) if j != outcome.index for value in c.values()]
        for text in outcome.answered:
            assert not [value for value in others if value in text], outcome.index
        turns = memory.turns(outcome.session_id)
        assert len(turns) == TURNS, (outcome.index, len(turns))  # every answered turn persisted
        stored = " ".join(t.question + " " + t.answer for t in turns)
        assert not [value for value in others if value in stored], outcome.index
        assert not [value for value in CANARIES[outcome.index].values() if value in stored]  # de-identified
        assert "<PERSON_1>" in turns[0].question and "<PHONE_NUMBER_1>" in turns[0].question
    # each user lists exactly their own sessions of the run
    for user_key, parity in ((server.alice_key, 0), (server.bob_key, 1)):
        with server.client(user_key) as client:
            listed = {s["session_id"] for s in client.get("/api/sessions").json()["sessions"]}
        mine = {o.session_id for o in outcomes if o.index % 2 == parity}
        theirs = {o.session_id for o in outcomes if o.index % 2 != parity}
        assert mine <= listed and not (theirs & listed)

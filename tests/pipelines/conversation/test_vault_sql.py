"""Session vaults in the shared SQL database (``pipelines/conversation/vault_sql.py``) against a real PostgreSQL
cluster (``tests/fixtures/servers.py``; skipped with the reason when PostgreSQL is not installed).

The behaviour both stores share is checked on three: the encrypted files of :class:`privacy.VaultStore`, and
:class:`SqlVaultStore` on SQLite (:func:`pipelines.core.sql.sqlite_engine`) and on PostgreSQL. Each store made
by a test's ``make`` is another instance over the same storage: another replica.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, text

from pipelines.conversation.memory import MemoryStore
from pipelines.conversation.sessions import Conversations
from pipelines.conversation.vault_sql import KEY_REQUIRED, SqlVaultStore, VaultConflict, VaultStorage
from pipelines.core.sql import sqlite_engine
from privacy import Vault, VaultError, VaultStore
from tests.fixtures.servers import PostgresCluster, postgres_or_skip

KEY = Fernet.generate_key().decode()
PLANTED = "Zelda Quartermaine"
PLANTED_EMAIL = "zelda.quartermaine@example.org"

Make = Callable[..., VaultStorage]


class Clock:
    """A settable clock (seconds since the epoch) for time-to-live tests without sleeping."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    yield from postgres_or_skip()


@pytest.fixture
def pg_url(cluster: PostgresCluster) -> str:
    """A fresh database of the module's cluster."""
    return cluster.new_database()


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    """Engines a test opened, disposed afterwards."""
    opened: list[Engine] = []
    yield opened
    for engine in opened:
        engine.dispose()


@pytest.fixture
def pg(pg_url: str, engines: list[Engine]) -> Callable[..., SqlVaultStore]:
    """``pg(key=KEY, **kwargs)``: a new SqlVaultStore (a replica, its own engine) over the test's database."""

    def make(key: str | None = KEY, **kwargs: Any) -> SqlVaultStore:
        engine = create_engine(pg_url)
        engines.append(engine)
        return SqlVaultStore(engine, key, **kwargs)

    return make


@pytest.fixture(params=["files", "sqlite", "postgres"])
def make(request: pytest.FixtureRequest, tmp_path: Path, engines: list[Engine]) -> Make:
    """``make(key=KEY, ttl_hours=0.0, clock=time.time)``: a new store instance over the test's one storage."""
    kind = request.param
    url = request.getfixturevalue("pg_url") if kind == "postgres" else ""

    def build(key: str = KEY, **kwargs: Any) -> VaultStorage:
        if kind == "files":
            return VaultStore(tmp_path / "vault", key, **kwargs)
        engine = sqlite_engine(tmp_path / "shared.sqlite3") if kind == "sqlite" else create_engine(url)
        engines.append(engine)
        return SqlVaultStore(engine, key, **kwargs)

    return build


def _saved(store: VaultStorage, session_id: str, entity: str = "PERSON", value: str = PLANTED) -> str:
    vault = store.open(session_id)
    placeholder = vault.placeholder_for(entity, value)
    store.save(vault)
    return placeholder


# --- the behaviour of privacy.VaultStore, on every store ---------------------------------------------------------


def test_a_second_replica_continues_with_the_same_placeholders(make: Make) -> None:
    first, second = make(), make()
    assert _saved(first, "session-1") == "<PERSON_1>"
    vault = second.open("session-1")
    assert vault.placeholder_for("PERSON", "zelda  QUARTERMAINE") == "<PERSON_1>"
    assert vault.placeholder_for("PERSON", "Marcus Ellingworth") == "<PERSON_2>"
    second.save(vault)
    assert first.open("session-1").values == {"<PERSON_1>": PLANTED, "<PERSON_2>": "Marcus Ellingworth"}
    assert first.exists("session-1") and second.session_ids() == ["session-1"]


@pytest.mark.parametrize("bad", ["../etc/passwd", "", "a b", "x" * 65])
def test_invalid_session_ids_are_rejected(make: Make, bad: str) -> None:
    store = make()
    for call in (store.open, store.exists, store.erase, store.saved_at):
        with pytest.raises(VaultError, match="invalid session id"):
            call(bad)
    with pytest.raises(VaultError, match="invalid session id"):
        store.save(Vault(session_id=bad))


def test_erase_says_whether_there_was_a_vault(make: Make) -> None:
    store = make()
    _saved(store, "s")
    _saved(store, "keep")
    assert store.exists("s")
    assert make().erase("s") is True
    assert not store.exists("s") and store.erase("s") is False
    assert store.open("s").values == {} and store.session_ids() == ["keep"]


@pytest.mark.parametrize(
    ("ttl_hours", "idle_hours", "expired"),
    [(24.0, 23.9, False), (24.0, 24.1, True), (0.5, 0.6, True), (0.0, 24.0 * 365, False)],
)
def test_a_vault_expires_ttl_hours_after_its_last_save(
    make: Make, ttl_hours: float, idle_hours: float, expired: bool
) -> None:
    clock = Clock()
    store = make(ttl_hours=ttl_hours, clock=clock)
    _saved(store, "s")
    clock.now += idle_hours * 3600
    assert (store.open("s").values == {}) is expired
    assert store.exists("s") is not expired


def test_saving_restarts_the_time_to_live(make: Make) -> None:
    clock = Clock()
    store = make(ttl_hours=24, clock=clock)
    _saved(store, "s")
    for _ in range(3):  # used every 20 hours: 60 hours in all, never idle for 24
        clock.now += 20 * 3600
        vault = store.open("s")
        assert vault.values == {"<PERSON_1>": PLANTED}
        store.save(vault)


def test_purge_expired_erases_only_the_expired_vaults(make: Make) -> None:
    clock = Clock()
    store = make(ttl_hours=24, clock=clock)
    _saved(store, "old-1")
    _saved(store, "old-2")
    clock.now += 23 * 3600
    _saved(store, "recent")
    clock.now += 2 * 3600
    assert store.purge_expired() == ["old-1", "old-2"]
    assert store.session_ids() == ["recent"]
    assert store.purge_expired() == []
    assert make(ttl_hours=0, clock=clock).purge_expired() == []


def test_saved_at_is_the_time_of_the_last_save(make: Make) -> None:
    clock = Clock(1_750_000_000.5)
    store = make(clock=clock)
    assert store.saved_at("s") is None
    _saved(store, "s")
    saved = store.saved_at("s")
    assert saved is not None
    if not isinstance(store, VaultStore):  # the file store reports the file's mtime, not its clock
        assert saved == clock.now


def test_reserved_numbers_are_never_handed_out_again_even_after_reopening(make: Make) -> None:
    store = make()
    vault = store.open("s")
    vault.reserve(["<PERSON_2>", "<EMAIL_ADDRESS_1>", "not a placeholder"])
    vault.placeholder_for("PHONE_NUMBER", "212-555-0173")
    store.save(vault)
    again = make().open("s")
    assert again.placeholder_for("PERSON", "Marcus Ellingworth") == "<PERSON_3>"
    assert again.placeholder_for("EMAIL_ADDRESS", "m@example.org") == "<EMAIL_ADDRESS_2>"


def test_sessions_never_share_placeholders(make: Make) -> None:
    store = make()
    _saved(store, "session-a", value="Marcus Ellingworth")
    assert _saved(store, "session-a") == "<PERSON_2>"
    assert _saved(store, "session-b") == "<PERSON_1>"
    assert store.open("session-b").values == {"<PERSON_1>": PLANTED}


def test_negative_time_to_live_is_rejected(make: Make) -> None:
    with pytest.raises(VaultError, match="-1"):
        make(ttl_hours=-1)


def test_conversations_erase_and_expiry_work_on_the_store(make: Make, tmp_path: Path) -> None:
    """The flows' one user of the store: a session's vault and turns erased together; after expiry, the
    placeholders left in the turns are reserved."""
    clock = Clock()
    store = make(ttl_hours=1, clock=clock)
    memory = MemoryStore(tmp_path / "memory.sqlite3")
    conversations = Conversations(memory, store)  # type: ignore[arg-type]  # the lead types it VaultStorage
    vault, expired = conversations.open_vault("s")
    assert not expired and vault.placeholder_for("PERSON", PLANTED) == "<PERSON_1>"
    store.save(vault)
    memory.add_turn("s", "I am <PERSON_1>", "hello <PERSON_1>", "finance", 0.9, [], "llamacpp", "m")
    clock.now += 2 * 3600
    vault, expired = conversations.open_vault("s")
    assert expired and vault.placeholder_for("PERSON", "Marcus Ellingworth") == "<PERSON_2>"
    store.save(vault)
    receipt = conversations.erase("s")
    assert (receipt.turns, receipt.vault_file, receipt.vault_values) == (1, True, 1)
    assert not store.exists("s") and store.session_ids() == []


# --- the shared database: keys ----------------------------------------------------------------------------------


def test_without_a_shared_key_the_store_refuses_to_start(
    pg: Callable[..., SqlVaultStore], tmp_path: Path
) -> None:
    key_file = tmp_path / "vault.key"
    for kwargs in ({}, {"key_file": key_file}):
        with pytest.raises(VaultError) as caught:
            pg(None, **kwargs)
        assert str(caught.value) == KEY_REQUIRED and "ASSISTANT_PRIVACY__VAULT_KEY" in KEY_REQUIRED
    assert not key_file.exists()  # never generated per replica
    key_file.write_text(KEY + "\n")
    _saved(pg(None, key_file=key_file), "s")
    assert pg(KEY).open("s").values == {"<PERSON_1>": PLANTED}  # the file's key is the settings' key
    with pytest.raises(VaultError, match="not a valid Fernet key") as malformed:
        pg("not-a-key")
    assert "not-a-key" not in str(malformed.value)


def test_a_replica_with_another_key_refuses_to_start_and_cannot_read_a_vault(
    pg: Callable[..., SqlVaultStore],
) -> None:
    store = pg()
    _saved(store, "s")
    other = Fernet.generate_key().decode()
    with pytest.raises(
        VaultError, match="not the one the shared database's vaults were written with"
    ) as caught:
        pg(other)
    assert other not in str(caught.value) and KEY not in str(caught.value)
    # the check row deleted (an operator changing the key): the old vaults stay unreadable, with a clear error
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM vault_key_check"))
    clock = Clock()
    stranger = pg(other, ttl_hours=1, clock=clock)
    with pytest.raises(VaultError, match="cannot be decrypted with this key"):
        stranger.open("s")
    clock.now += 10_000 * 3600
    assert stranger.purge_expired() == [] and stranger.exists("s")  # another key's vaults are left alone


def test_replicas_starting_together_create_the_tables_once_and_agree_on_the_key(pg_url: str) -> None:
    engines = [create_engine(pg_url) for _ in range(4)]
    stores: list[SqlVaultStore | BaseException] = [RuntimeError("not started")] * len(engines)
    start = threading.Barrier(len(engines))

    def open_store(index: int) -> None:
        start.wait()
        try:
            stores[index] = SqlVaultStore(engines[index], KEY)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            stores[index] = exc

    threads = [threading.Thread(target=open_store, args=(i,)) for i in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert all(isinstance(store, SqlVaultStore) for store in stores), stores
        with engines[0].connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM vault_key_check")) == 1
    finally:
        for engine in engines:
            engine.dispose()


# --- the shared database: at rest and erasure -------------------------------------------------------------------


def test_the_database_holds_only_ciphertext_and_erase_removes_the_row(
    pg: Callable[..., SqlVaultStore], cluster: PostgresCluster, pg_url: str
) -> None:
    store = pg()
    _saved(store, "planted")
    _saved(store, "planted", "EMAIL_ADDRESS", PLANTED_EMAIL)
    _saved(store, "kept", value="Marcus Ellingworth")
    before = cluster.dump(pg_url)
    assert "planted" in before and "kept" in before  # the rows are in the backup...
    for secret in (PLANTED, "Zelda", "Quartermaine", PLANTED_EMAIL, "PERSON", KEY):
        assert secret not in before  # ...but not a value, an entity type or the key
    assert store.erase("planted") is True
    after = cluster.dump(pg_url)
    assert "planted" not in after and "kept" in after and "Zelda" not in after
    assert pg().session_ids() == ["kept"]


def _pages(engine: Engine) -> tuple[bytes, list[tuple[int, bool]]]:
    """The vault table's pages as PostgreSQL holds them, and ``(line pointer flags, has tuple data)`` of every
    item on them (``pageinspect``: dead tuples too)."""
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        pages = connection.scalar(text("SELECT pg_relation_size('session_vaults') / 8192"))
        raw, items = b"", []
        for page in range(int(pages or 0)):
            raw += bytes(connection.scalar(text("SELECT get_raw_page('session_vaults', :p)"), {"p": page}))
            items += [
                (int(flags), bool(data))
                for flags, data in connection.execute(
                    text(
                        "SELECT lp_flags, t_data IS NOT NULL FROM heap_page_items(get_raw_page('session_vaults', :p))"
                    ),
                    {"p": page},
                )
            ]
    return raw, items


def _token(engine: Engine, session_id: str) -> bytes:
    with engine.connect() as connection:
        token = connection.scalar(
            text("SELECT token FROM session_vaults WHERE session_id = :s"), {"s": session_id}
        )
    return str(token).encode("ascii")


@pytest.mark.parametrize("others", [0, 1])
def test_vacuum_after_erase_removes_the_dead_tuples(pg: Callable[..., SqlVaultStore], others: int) -> None:
    """What erase leaves in the table's pages (see the module docstring): measured, not assumed."""
    unvacuumed, store = pg(vacuum="off"), pg()
    for number in range(others):
        _saved(store, f"kept-{number}", value="Marcus Ellingworth")
    _saved(store, "erased")
    _saved(store, "erased", "EMAIL_ADDRESS", PLANTED_EMAIL)  # an update: the first version is now dead
    erased = _token(store.engine, "erased")

    assert unvacuumed.erase("erased")
    raw, items = _pages(store.engine)
    assert erased in raw and len(items) == others + 2  # without VACUUM both versions stay, tuple data and all

    _saved(store, "erased")
    erased = _token(store.engine, "erased")
    assert store.erase("erased")
    raw, items = _pages(store.engine)
    assert items == [(1, True)] * others  # only the live rows' tuples remain: every dead one was removed
    if not others:
        assert raw == b""  # the emptied table was truncated: the bytes left the table's file
    else:
        # PostgreSQL does not zero the space VACUUM frees: beside a live row the ciphertext stays in the page
        # until the space is reused (documented; vacuum="full" rewrites the table)
        assert erased in raw


def test_vacuum_full_rewrites_the_table(pg: Callable[..., SqlVaultStore]) -> None:
    store = pg(vacuum="full")
    _saved(store, "kept", value="Marcus Ellingworth")
    _saved(store, "erased")
    erased = _token(store.engine, "erased")
    assert store.erase("erased")
    raw, items = _pages(store.engine)
    assert items == [(1, True)] and erased not in raw
    assert store.open("kept").values == {"<PERSON_1>": "Marcus Ellingworth"}
    with pytest.raises(VaultError, match="vacuum must be one of"):
        pg(vacuum="sometimes")


# --- the shared database: concurrent saves ----------------------------------------------------------------------


def test_concurrent_saves_of_different_values_both_keep_them(pg: Callable[..., SqlVaultStore]) -> None:
    first, second = pg(), pg()
    _saved(first, "s")
    on_first, on_second = first.open("s"), second.open("s")  # two turns at once, on two replicas
    assert on_first.placeholder_for("EMAIL_ADDRESS", PLANTED_EMAIL) == "<EMAIL_ADDRESS_1>"
    assert on_second.placeholder_for("PHONE_NUMBER", "212-555-0173") == "<PHONE_NUMBER_1>"
    first.save(on_first)
    second.save(on_second)
    assert first.open("s").values == {
        "<PERSON_1>": PLANTED,
        "<EMAIL_ADDRESS_1>": PLANTED_EMAIL,
        "<PHONE_NUMBER_1>": "212-555-0173",
    }
    # the later saver's vault now reserves what the other one handed out
    assert on_second.placeholder_for("EMAIL_ADDRESS", "other@example.org") == "<EMAIL_ADDRESS_2>"


def test_concurrent_saves_giving_one_placeholder_two_values_fail_clearly(
    pg: Callable[..., SqlVaultStore],
) -> None:
    first, second = pg(), pg()
    _saved(first, "s")
    on_first, on_second = first.open("s"), second.open("s")
    assert on_first.placeholder_for("PERSON", "Marcus Ellingworth") == "<PERSON_2>"
    assert on_second.placeholder_for("PERSON", "Nadia Okonkwo-Brandt") == "<PERSON_2>"
    first.save(on_first)
    with pytest.raises(VaultConflict, match="saved by another request at the same time") as caught:
        second.save(on_second)
    assert "Nadia" not in str(caught.value) and "Marcus" not in str(caught.value)
    assert second.open("s").values == {"<PERSON_1>": PLANTED, "<PERSON_2>": "Marcus Ellingworth"}
    # the same value under the same placeholder is no conflict (both turns saw the same person)
    again_first, again_second = first.open("s"), second.open("s")
    again_first.placeholder_for("PERSON", "Nadia Okonkwo-Brandt")
    again_second.placeholder_for("PERSON", "nadia  okonkwo-brandt")
    first.save(again_first)
    second.save(again_second)
    assert first.open("s").values["<PERSON_3>"] == "Nadia Okonkwo-Brandt"


ENTITIES = [
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "LOCATION",
    "US_SSN",
    "IBAN_CODE",
    "CREDIT_CARD",
    "URL",
]


def _race(stores: list[SqlVaultStore], values: list[tuple[str, str]]) -> list[BaseException | None]:
    """Each thread opens the new session ``s``, adds its value, waits for all, saves; returns each one's error."""
    outcomes: list[BaseException | None] = [None] * len(values)
    opened, adding = threading.Barrier(len(values)), threading.Barrier(len(values))

    def turn(index: int) -> None:
        store = stores[index % len(stores)]
        try:
            opened.wait()
            vault = store.open("s")
            vault.placeholder_for(*values[index])
            adding.wait()
            store.save(vault)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcomes[index] = exc

    threads = [threading.Thread(target=turn, args=(i,)) for i in range(len(values))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_racing_first_saves_on_two_replicas_lose_nothing(pg: Callable[..., SqlVaultStore]) -> None:
    stores = [pg(), pg()]
    values = [(entity, f"value {entity.lower()}") for entity in ENTITIES]
    assert _race(stores, values) == [None] * len(values)
    assert stores[0].open("s").values == {f"<{entity}_1>": value for entity, value in values}


def test_racing_saves_that_clash_keep_one_value_and_fail_the_others_clearly(
    pg: Callable[..., SqlVaultStore],
) -> None:
    stores = [pg(), pg()]
    names = [f"Person Number {n}" for n in range(6)]
    outcomes = _race(stores, [("PERSON", name) for name in names])  # every turn took <PERSON_1>
    winners = [name for name, outcome in zip(names, outcomes, strict=True) if outcome is None]
    assert len(winners) == 1
    assert all(isinstance(o, VaultConflict) for o in outcomes if o is not None)
    assert stores[1].open("s").values == {"<PERSON_1>": winners[0]}

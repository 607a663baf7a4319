"""The SQL stores (memory, accounts, feedback, medical records) on a real PostgreSQL cluster
(:func:`tests.fixtures.servers.start_postgres`; skipped with the reason when PostgreSQL is not installed), and
their Alembic migrations on PostgreSQL and on an old SQLite data dir.

Two engines on one database stand for two replicas: each sees the other's writes, and the read-check-write
steps (a turn's position, a session's owner, a privacy-budget charge) stay correct when both run at once.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine, inspect, make_url, text

from pipelines.accounts import AccountStore
from pipelines.accounts import store as accounts_module
from pipelines.accounts.store import AccountError, AuthError
from pipelines.conversation import memory as memory_module
from pipelines.conversation.memory import MemoryStore
from pipelines.core.errors import DatabaseError
from pipelines.core.settings import load_settings
from pipelines.core.sql import (
    STORES,
    copy_store,
    database_engine,
    describe_url,
    sqlite_engine,
    upgrade_schema,
)
from pipelines.documents import review_sql
from pipelines.services import Models, Services
from pipelines.skills.agent_assist import feedback as feedback_module
from pipelines.skills.agent_assist.feedback import FeedbackStore
from pipelines.skills.medical import records as records_module
from pipelines.skills.medical.records import RecordStore
from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE, CANARY_VALUES
from tests.fixtures.servers import PostgresCluster, postgres_or_skip

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "datadir_f27ba0d"
SECRET = b"k" * 32
PASSWORD = "correct horse battery"
#: Every table of the four stores, once each (no two stores may share a name in one database).
TABLES = {
    "memory": {"sessions", "turns", "turn_ratings"},
    "accounts": {"users", "api_keys", "session_owners"},
    "feedback": {"feedback"},
    "records": {"record_terms", "dp_ledger"},
    "review": {"review_queue"},
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the module (skips when PostgreSQL is missing)."""
    yield from postgres_or_skip()


@pytest.fixture
def url(cluster: PostgresCluster) -> str:
    """A fresh empty database."""
    return cluster.new_database()


@pytest.fixture
def replicas(url: str) -> Iterator[Callable[[], Engine]]:
    """A factory of engines on ``url``, one per replica, disposed afterwards."""
    made: list[Engine] = []

    def replica() -> Engine:
        engine = database_engine(url)
        made.append(engine)
        return engine

    yield replica
    for engine in made:
        engine.dispose()


def _metadata(store: str) -> Any:
    modules: dict[str, Any] = {
        "memory": memory_module,
        "accounts": accounts_module,
        "feedback": feedback_module,
        "records": records_module,
    }
    if store == "review":
        return review_sql.METADATA
    return modules[store]._Base.metadata  # noqa: SLF001 - the models the migrations must match


def _table_of(diff: Any) -> str | None:
    """The table a schema difference of ``compare_metadata`` is about."""
    first = diff[0] if isinstance(diff, list) else diff
    thing = first[1]
    if hasattr(thing, "table"):
        return str(thing.table.name)
    if hasattr(thing, "name") and first[0] in {"add_table", "remove_table"}:
        return str(thing.name)
    return str(first[2]) if len(first) > 2 and isinstance(first[2], str) else None


def _run_threads(count: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


# --- migrations ---------------------------------------------------------------------------------------------


def test_an_empty_database_is_upgraded_to_head_matching_the_models(replicas: Callable[[], Engine]) -> None:
    engine = replicas()
    MemoryStore(engine)
    AccountStore(engine, SECRET)
    FeedbackStore(engine)
    RecordStore(engine)
    review_sql.SqlReviewQueue(engine)
    tables = set(inspect(engine).get_table_names())
    assert tables == set().union(*TABLES.values()) | {f"alembic_version_{store}" for store in STORES}
    with engine.connect() as connection:
        for store in STORES:
            version = connection.scalar(text(f"SELECT version_num FROM alembic_version_{store}"))
            assert version == f"{store}_0001"
            context = MigrationContext.configure(connection)
            diffs = [
                diff
                for diff in compare_metadata(context, _metadata(store))
                if _table_of(diff) in TABLES[store]  # the other stores' tables are not this one's business
            ]
            assert diffs == [], (store, diffs)
    for store in STORES:  # opening again is a no-op
        upgrade_schema(engine, store)


def test_replicas_starting_together_upgrade_once(replicas: Callable[[], Engine]) -> None:
    engines = [replicas() for _ in range(4)]
    _run_threads(4, lambda i: MemoryStore(engines[i]) and None)
    with engines[0].connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM alembic_version_memory")) == 1


def test_the_old_data_dir_upgrades_in_place_with_nothing_lost(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)

    def counts(path: Path, tables: list[str]) -> dict[str, int]:
        with sqlite3.connect(path) as connection:
            return {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}

    memory_before = counts(data / "memory.sqlite", ["sessions", "turns"])
    feedback_before = counts(data / "feedback.sqlite3", ["feedback"])
    records_before = counts(data / "records.sqlite3", ["record_terms", "dp_ledger"])
    assert memory_before == {"sessions": 1, "turns": 2}
    # an accounts file as today's main made it (create_all, no version table), with a user in it
    accounts_file = data / "accounts.sqlite3"
    legacy = sqlite_engine(accounts_file)
    _metadata("accounts").create_all(legacy)
    with legacy.begin() as connection:
        connection.execute(
            text("INSERT INTO users VALUES ('alice', 'agent', NULL, 0, '2026-01-01T00:00:00+00:00')")
        )
    legacy.dispose()

    for _ in range(2):  # the second opening finds everything current
        memory = MemoryStore(data / "memory.sqlite3", legacy_names=("memory.sqlite",))
        feedback = FeedbackStore(data / "feedback.sqlite3")
        records = RecordStore(data / "records.sqlite3")
        accounts = AccountStore(accounts_file, SECRET)
        assert {info.id: info.turns for info in memory.sessions()} == {"legacy-chat": 2}
        assert [u.name for u in accounts.users()] == ["alice"]
        for store in (memory, feedback, records):
            store.engine.dispose()
        accounts._engine.dispose()  # noqa: SLF001

    assert counts(data / "memory.sqlite3", ["sessions", "turns"]) == memory_before
    assert counts(data / "feedback.sqlite3", ["feedback"]) == feedback_before
    assert counts(data / "records.sqlite3", ["record_terms", "dp_ledger"]) == records_before
    for path, store in [
        (data / "memory.sqlite3", "memory"),
        (data / "feedback.sqlite3", "feedback"),
        (data / "records.sqlite3", "records"),
        (accounts_file, "accounts"),
    ]:
        with sqlite3.connect(path) as connection:
            version = connection.execute(f"SELECT version_num FROM alembic_version_{store}").fetchall()
            assert version == [(f"{store}_0001",)]
    with sqlite3.connect(data / "memory.sqlite3") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {row[1] for row in connection.execute("PRAGMA table_info(turns)")}
    assert {"turn_ratings", "alembic_version_memory"} <= tables and "signals_json" in columns
    memory = MemoryStore(data / "memory.sqlite3")
    assert memory.add_turn("legacy-chat", "q", "a", "finance", 1.0, [], "b", "m") == 2
    memory.rate("legacy-chat", 2, "up")


def test_the_old_data_dir_is_copied_into_postgresql_with_nothing_lost(
    tmp_path: Path, replicas: Callable[[], Engine]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    target = replicas()
    sources = {
        "memory": MemoryStore(data / "memory.sqlite3", legacy_names=("memory.sqlite",)).engine,
        "feedback": FeedbackStore(data / "feedback.sqlite3").engine,
        "records": RecordStore(data / "records.sqlite3").engine,
        "accounts": sqlite_engine(data / "accounts.sqlite3"),
    }
    AccountStore(sources["accounts"], SECRET).add_user("alice", "agent", PASSWORD)
    copied = {store: copy_store(engine, target, store) for store, engine in sources.items()}
    assert copied["memory"] == {"sessions": 1, "turns": 2, "turn_ratings": 0}
    assert copied["feedback"] == {"feedback": 1} and copied["records"]["dp_ledger"] == 1
    assert copied["accounts"] == {"users": 1, "api_keys": 0, "session_owners": 0}

    memory, old = MemoryStore(target), MemoryStore(sources["memory"])
    assert memory.turns("legacy-chat") == old.turns("legacy-chat")
    assert memory.add_turn("legacy-chat", "q", "a", "finance", 1.0, [], "b", "m") == 2
    feedback = FeedbackStore(target)
    assert feedback.records() == FeedbackStore(sources["feedback"]).records()
    added = feedback.add(
        session_id="s", domain="finance", status="accepted", message="m", suggested="s", final_text=""
    )
    assert added.id == 2  # the id sequence continues after the copied rows
    records = RecordStore(target)
    assert records.ledger() == RecordStore(sources["records"]).ledger()
    assert AccountStore(target, SECRET).sign_in("alice", PASSWORD).name == "alice"
    with pytest.raises(ValueError, match="already has rows"):
        copy_store(sources["memory"], target, "memory")
    for engine in sources.values():
        engine.dispose()


def test_a_turns_table_without_signals_json_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE sessions (id VARCHAR(64) NOT NULL PRIMARY KEY, title TEXT NOT NULL,"
            " created_at VARCHAR(40) NOT NULL, updated_at VARCHAR(40) NOT NULL);"
            "CREATE TABLE turns (id INTEGER NOT NULL PRIMARY KEY, session_id VARCHAR(64) NOT NULL,"
            " position INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, domain VARCHAR(64) NOT NULL,"
            " route_confidence FLOAT NOT NULL, sources_json TEXT NOT NULL, backend VARCHAR(32) NOT NULL,"
            " model VARCHAR(128) NOT NULL, created_at VARCHAR(40) NOT NULL);"
            "INSERT INTO sessions VALUES ('s1', 't', 'x', 'x');"
            "INSERT INTO turns VALUES (1, 's1', 0, 'q', 'a', 'finance', 1.0, '[]', '', '', 'x');"
        )
    memory = MemoryStore(path)
    [turn] = memory.turns("s1")
    assert (turn.question, turn.signals) == ("q", None)
    memory.add_turn("s1", "q2", "a2", "finance", 1.0, [], "b", "m", signals={"intent": "x"})
    assert memory.turns("s1")[1].signals == {"intent": "x"}


# --- errors -------------------------------------------------------------------------------------------------


def test_a_wrong_password_or_an_unreachable_server_is_a_clear_error_without_the_password(
    cluster: PostgresCluster, url: str
) -> None:
    parsed = make_url(url)
    hba = cluster.directory / "data" / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text(f"host all pwuser 127.0.0.1/32 scram-sha-256\n{original}")
    admin = database_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE ROLE pwuser LOGIN PASSWORD '{PASSWORD}'"))
            connection.execute(text("SELECT pg_reload_conf()"))
        good = parsed.set(username="pwuser", password=PASSWORD).render_as_string(hide_password=False)
        database_engine(good).dispose()  # the right password works
        wrong_password = "Wr0ng-Secret-Canary"
        wrong = parsed.set(username="pwuser", password=wrong_password).render_as_string(hide_password=False)
        with pytest.raises(DatabaseError) as raised:
            database_engine(wrong)
        message = str(raised.value)
        assert wrong_password not in message and PASSWORD not in message
        assert f"127.0.0.1:{cluster.port}/{parsed.database}" in message and "pwuser:***@" in message
        assert "password authentication failed" in message
        assert raised.value.__cause__ is None and raised.value.__suppress_context__

        unreachable = parsed.set(password=wrong_password, port=1).render_as_string(hide_password=False)
        with pytest.raises(DatabaseError, match=r"127\.0\.0\.1:1/") as raised:
            database_engine(unreachable)
        assert wrong_password not in str(raised.value)
        missing = parsed.set(password=wrong_password, database="no_such_db").render_as_string(
            hide_password=False
        )
        with pytest.raises(DatabaseError, match="no_such_db") as raised:
            database_engine(missing)
        assert wrong_password not in str(raised.value)
    finally:
        hba.write_text(original)
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_reload_conf()"))
        admin.dispose()


def test_malformed_and_unsupported_urls_are_refused_without_echoing_them() -> None:
    with pytest.raises(DatabaseError, match="not a SQLAlchemy URL") as raised:
        database_engine("not a url with secret-pw")
    assert "secret-pw" not in str(raised.value)
    with pytest.raises(DatabaseError, match="unsupported database") as raised:
        database_engine("mysql://u:secret-pw@h/db")
    assert "secret-pw" not in str(raised.value)
    assert (
        describe_url("postgresql+psycopg://u:secret-pw@h:5432/db") == "postgresql+psycopg://u:***@h:5432/db"
    )


# --- the stores on two replicas -----------------------------------------------------------------------------


def test_memory_on_two_replicas(replicas: Callable[[], Engine], cluster: PostgresCluster, url: str) -> None:
    first, second = MemoryStore(replicas()), MemoryStore(replicas())
    assert first.add_turn("s1", "Hello <PERSON_1>", "Hi", "finance", 0.9, [{"n": 1}], "b", "m") == 0
    assert [info.id for info in second.sessions()] == ["s1"]
    assert second.add_turn("s1", "Again", "Yes", "finance", 0.8, [], "b", "m", signals={"risk": "low"}) == 1
    [one, two] = first.turns("s1")
    assert (one.question, one.sources, two.signals) == ("Hello <PERSON_1>", [{"n": 1}], {"risk": "low"})
    assert [h.question for h in first.history("s1", 1)] == ["Again"]
    second.rate("s1", 1, "down", "too short")
    first.rate("s1", 1, "up")
    assert [(r.position, r.rating) for r in second.ratings("s1")] == [(1, "up")]
    assert first.exists("s1") and second.delete_session("s1") == 2
    assert not first.exists("s1") and first.turns("s1") == [] and first.ratings("s1") == []
    assert "Hello <PERSON_1>" not in cluster.dump(url)


def test_turn_positions_stay_unique_when_two_replicas_append_at_once(replicas: Callable[[], Engine]) -> None:
    stores = [MemoryStore(replicas()), MemoryStore(replicas())]
    per_thread = 15

    def append(index: int) -> None:
        for n in range(per_thread):
            stores[index % 2].add_turn("busy", f"q{index}-{n}", "a", "finance", 1.0, [], "b", "m")

    _run_threads(4, append)
    positions = [turn.position for turn in stores[0].turns("busy")]
    assert positions == list(range(4 * per_thread))


def test_first_turns_of_a_new_session_and_an_erasure_racing_appends_stay_consistent(
    replicas: Callable[[], Engine],
) -> None:
    stores = [MemoryStore(replicas()), MemoryStore(replicas())]
    for round_ in range(5):  # four replicas open the same new session at once: one session, positions 0..3

        def first_turn(index: int, round_: int = round_) -> None:
            stores[index % 2].add_turn(f"new-{round_}", f"q{index}", "a", "finance", 1.0, [], "b", "m")

        _run_threads(4, first_turn)
        assert [turn.position for turn in stores[0].turns(f"new-{round_}")] == [0, 1, 2, 3]

    def append_or_erase(index: int) -> None:
        for n in range(20):
            if index == 0:
                stores[0].add_turn("erased", f"q{n}", "a", "finance", 1.0, [], "b", "m")
            else:
                stores[1].delete_session("erased")

    _run_threads(2, append_or_erase)
    with stores[0].engine.connect() as connection:
        orphans = connection.scalar(
            text(
                "SELECT count(*) FROM turns t LEFT JOIN sessions s ON s.id = t.session_id WHERE s.id IS NULL"
            )
        )
    assert orphans == 0
    positions = [turn.position for turn in stores[0].turns("erased")]
    assert positions == list(range(len(positions)))


def test_accounts_on_two_replicas(replicas: Callable[[], Engine]) -> None:
    first, second = AccountStore(replicas(), SECRET), AccountStore(replicas(), SECRET)
    first.add_user("alice", "agent", PASSWORD)
    assert second.sign_in("Alice", PASSWORD).name == "alice"
    with pytest.raises(AccountError, match="already exists"):
        second.add_user("alice", "admin")
    created = first.create_key("alice", "laptop", expires_days=30)
    user, key = second.authenticate(created.key)
    assert (user.name, key.name) == ("alice", "laptop")
    second.revoke("laptop")
    with pytest.raises(AuthError, match="revoked"):
        first.authenticate(created.key)
    second.disable("alice")
    with pytest.raises(AuthError):
        first.sign_in("alice", PASSWORD)
    first.enable("alice")
    # the throttle counts in each process: five failures (the disabled sign-in above was one) lock the name on
    # that replica only
    for _ in range(first.throttle.max_failures - 1):
        with pytest.raises(AuthError, match="wrong user name"):
            first.sign_in("alice", "not the password at all")
    with pytest.raises(AuthError, match="too many failed sign-ins"):
        first.sign_in("alice", PASSWORD)
    assert second.sign_in("alice", PASSWORD).name == "alice"
    assert first.claim_session("s1", "alice") and not second.claim_session("s1", "bob")
    assert second.owner("s1") == "alice" and first.sessions_of("alice") == {"s1"}
    assert second.delete_user("alice") == 1
    assert first.users() == [] and first.keys() == [] and first.owner("s1") is None


def test_a_session_claimed_by_two_replicas_at_once_has_one_owner(replicas: Callable[[], Engine]) -> None:
    stores = [AccountStore(replicas(), SECRET) for _ in range(2)]
    for round_ in range(10):
        results: dict[str, bool] = {}

        def claim(index: int, round_: int = round_, results: dict[str, bool] = results) -> None:
            user = f"user{index}"
            results[user] = stores[index % 2].claim_session(f"race-{round_}", user)

        _run_threads(4, claim)
        owner = stores[0].owner(f"race-{round_}")
        assert [user for user, won in results.items() if won] == [owner]


def test_two_replicas_adding_one_user_at_once_get_one_user_and_one_clear_error(
    replicas: Callable[[], Engine],
) -> None:
    stores = [AccountStore(replicas(), SECRET) for _ in range(2)]
    outcomes: list[str] = []

    def add(index: int) -> None:
        try:
            stores[index % 2].add_user("carol", "agent")
            outcomes.append("added")
        except AccountError as exc:
            outcomes.append(str(exc))

    _run_threads(4, add)
    assert sorted(outcomes) == ["added"] + ["user 'carol' already exists"] * 3


def test_feedback_and_records_on_two_replicas(replicas: Callable[[], Engine]) -> None:
    first, second = FeedbackStore(replicas()), FeedbackStore(replicas())
    record = first.add(
        session_id="s1",
        domain="finance",
        status="edited",
        message="I am <PERSON_1>",
        suggested="Hello <PERSON_1>",
        final_text="Hi <PERSON_1>",
        confidence=0.5,
        risk_categories=["fraud"],
        escalate=True,
    )
    [seen] = second.records()
    assert seen == record and second.records(sessions=["other"]) == []
    assert "Hi <PERSON_1>" in second.export_csv_text()

    terms, again = RecordStore(replicas()), RecordStore(replicas())
    assert terms.replace_terms("medical", "ab" * 32, {("DISEASE", "asthma"), ("CHEMICAL", "metformin")}) == 2
    assert again.terms_of("medical", "ab" * 32) == {("DISEASE", "asthma"), ("CHEMICAL", "metformin")}
    assert again.terms_by_record("medical", ["DISEASE"]) == {"ab" * 32: {("DISEASE", "asthma")}}
    assert again.forget("medical", "ab" * 32) == 2 and terms.terms_of("medical", "ab" * 32) == set()


def test_the_budget_is_never_overspent_by_concurrent_charges(replicas: Callable[[], Engine]) -> None:
    stores = [RecordStore(replicas()), RecordStore(replicas())]
    charged: list[bool] = []

    def charge(index: int) -> None:
        for n in range(8):
            entry = stores[index % 2].charge("medical", 0.1, 1.0, f"counts thread={index} n={n}")
            charged.append(entry is not None)

    _run_threads(4, charge)
    assert charged.count(True) == 10
    assert stores[1].spent() == pytest.approx(1.0) and len(stores[0].ledger()) == 10


# --- through the composition root: one database for all four stores, no raw value in it ----------------------


def test_services_keep_all_sql_state_in_the_database_and_no_raw_value(
    tmp_path: Path, models: Models, cluster: PostgresCluster, url: str
) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    settings.llm.backend = "llamacpp"
    settings.llamacpp.max_tokens = 16
    settings.ingest.index_samples_on_start = False
    settings.database.url = SecretStr(url)
    settings.privacy.vault_key = Fernet.generate_key().decode()  # vaults in a shared database need one key
    services = Services(settings, models)
    try:
        question = f"My name is {CANARY_NAME}, card {CANARY_CARD}, phone {CANARY_PHONE}. Was I charged twice?"
        chat = services.chat.ask(question, domain="finance")
        assert "<PERSON_1>" in chat.redacted_question
        result = services.assist.assist(question, session_id=chat.session_id, domain="finance")
        services.assist.record_feedback(
            result, "edited", f"Dear {CANARY_NAME}, we refunded card {CANARY_CARD}."
        )
        services.accounts.add_user("agent1", "agent", PASSWORD)
        services.accounts.claim_session(chat.session_id, "agent1")
        services.records.charge("medical", 0.1, 1.0, "counts type=DISEASE")

        for name in ("memory.sqlite3", "feedback.sqlite3", "records.sqlite3", "accounts.sqlite3"):
            assert not (settings.data_dir / name).exists(), name
        dump = cluster.dump(url)
        assert chat.session_id in dump and "<PERSON_1>" in dump and "agent1" in dump
        leaked = [value for value in CANARY_VALUES if value in dump]
        assert leaked == []
        assert PASSWORD not in dump  # only the Argon2id hash
    finally:
        if services.sql_database is not None:
            services.sql_database.dispose()


# --- what erasure leaves on PostgreSQL -------------------------------------------------------------------------


def test_an_erased_turn_leaves_the_dump_at_once_but_stays_in_the_files_until_vacuum(
    replicas: Callable[[], Engine], cluster: PostgresCluster, url: str
) -> None:
    """Documents the limit README states: ``delete_session`` removes the rows (gone from every query and from a
    new pg_dump), but PostgreSQL keeps the dead row version in the table's file until VACUUM reclaims it, and in
    the WAL until the segment is recycled; VACUUM FULL rewrites the table without it."""
    engine = replicas()
    memory = MemoryStore(engine)
    marker = "erase-marker-7f3a9c<PERSON_1>"
    memory.add_turn("gone", marker, "a", "finance", 1.0, [], "b", "m")
    memory.delete_session("gone")
    assert marker not in cluster.dump(url)

    def in_table_file() -> bool:
        with engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))
            relative = connection.scalar(text("SELECT pg_relation_filepath('turns')"))
        return marker.encode() in (cluster.directory / "data" / str(relative)).read_bytes()

    try:
        before_vacuum = in_table_file()
    except PermissionError:
        pytest.skip("the cluster's files are not readable by this user")
    wal = b"".join(p.read_bytes() for p in (cluster.directory / "data" / "pg_wal").glob("0*") if p.is_file())
    assert before_vacuum and marker.encode() in wal
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM FULL turns"))
    assert not in_table_file()

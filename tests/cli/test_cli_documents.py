"""``assistant ingest`` updates and ``assistant documents --delete`` in-process (Typer's CliRunner and the
console-script entry point), on the real services of ``tests/conftest.py``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import cli
from pipelines.services import Services
from tests.cli_runner import ServicesRunner

OLD = "# Fees\n\nThe foreign transaction fee is 2.75%.\n\n# Disputes\n\nRaise a dispute within 13 months.\n"
NEW = "# Fees\n\nThe foreign transaction fee is 1.95%.\n"


@pytest.fixture
def runner(services: Services) -> ServicesRunner:
    """A CliRunner whose commands use the test's services (so the session's loaded models are reused)."""
    return ServicesRunner(services)


def _ingest(runner: ServicesRunner, path: Path, text: str, *flags: str) -> str:
    path.write_text(text)
    done = runner.invoke(cli.app, ["ingest", "--domain", "finance", str(path), *flags])
    assert done.exit_code == 0, done.output
    return done.stdout


def test_ingest_of_a_changed_file_says_what_it_replaced(
    runner: ServicesRunner, services: Services, tmp_path: Path
) -> None:
    first = json.loads(_ingest(runner, tmp_path / "fees.md", OLD, "--json"))
    line = _ingest(runner, tmp_path / "fees.md", NEW)
    (doc,) = services.store.list_documents("finance")
    assert line == (
        f"fees.md: updated in finance (sha256 {doc.sha256[:12]}), 1 chunk added; replaced "
        f"{first['sha256'][:12]}: {first['chunks']} stale chunks removed (redacted: none, risk 0.00)\n"
    )
    again = json.loads(_ingest(runner, tmp_path / "fees.md", OLD, "--json"))
    assert again["status"] == "updated"
    assert again["replaced"] == [{"sha256": doc.sha256, "chunks_removed": 1}]
    assert json.loads(_ingest(runner, tmp_path / "fees.md", OLD, "--json"))["status"] == "duplicate"


@pytest.mark.parametrize("by", ["name", "sha256 prefix"])
def test_documents_delete_prints_a_receipt_and_removes_the_document(
    runner: ServicesRunner, services: Services, tmp_path: Path, by: str
) -> None:
    report = json.loads(_ingest(runner, tmp_path / "fees.md", OLD, "--json"))
    _ingest(runner, tmp_path / "other.md", NEW)
    target = "fees.md" if by == "name" else report["sha256"][:8]
    done = runner.invoke(cli.app, ["documents", "--domain", "finance", "--delete", target, "--json"])
    assert done.exit_code == 0, done.output
    receipt = json.loads(done.stdout)
    assert {k: receipt[k] for k in ("name", "sha256", "domain", "chunks")} == {
        "name": "fees.md",
        "sha256": report["sha256"],
        "domain": "finance",
        "chunks": report["chunks"],
    }
    assert receipt["deleted_at"].endswith("+00:00")
    listed = runner.invoke(cli.app, ["documents", "--domain", "finance", "--json"])
    assert [d["name"] for d in json.loads(listed.stdout)] == ["other.md"]
    assert services.store.list_documents("finance", report["sha256"]) == []


def test_documents_delete_without_json_prints_one_receipt_line(
    runner: ServicesRunner, services: Services, tmp_path: Path
) -> None:
    report = json.loads(_ingest(runner, tmp_path / "fees.md", OLD, "--json"))
    done = runner.invoke(cli.app, ["documents", "--domain", "finance", "--delete", "fees.md"])
    assert done.exit_code == 0, done.output
    prefix = f"deleted fees.md (sha256 {report['sha256'][:12]}) from finance at "
    assert done.stdout.startswith(prefix)
    assert done.stdout.endswith(f": {report['chunks']} chunks with their vectors and metadata\n")
    assert services.store.count("finance") == 0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing.md", "error: no document 'missing.md' is indexed in 'finance'"),
        ("0000", "error: no document '0000' is indexed in 'finance' (a sha256 prefix needs at least 8"),
    ],
)
def test_documents_delete_of_an_unknown_document_is_one_error_line_and_exit_1(
    runner: ServicesRunner,
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: str,
    message: str,
) -> None:
    _ingest(runner, tmp_path / "fees.md", OLD)
    count = services.store.count("finance")
    data_dir = str(services.settings.data_dir)
    monkeypatch.setattr(
        sys,
        "argv",
        ["assistant", "--data-dir", data_dir, "documents", "--domain", "finance", "--delete", target],
    )
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err
    assert services.store.count("finance") == count


def test_delete_and_held_together_are_a_usage_error(runner: ServicesRunner) -> None:
    done = runner.invoke(cli.app, ["documents", "--domain", "finance", "--held", "--delete", "x.md"])
    assert done.exit_code == 2
    assert "assistant review reject" in done.stderr


def test_ingest_progress_is_plain_lines_on_stderr_when_it_is_not_a_terminal(
    runner: ServicesRunner, tmp_path: Path
) -> None:
    (tmp_path / "fees.md").write_text(OLD)
    done = runner.invoke(cli.app, ["ingest", "--domain", "finance", str(tmp_path / "fees.md")])
    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines() == [
        "fees.md: load",
        "fees.md: deidentify",
        "fees.md: chunk",
        "fees.md: embed",
        "fees.md: store",
    ]
    assert done.stdout.startswith("fees.md: 2 chunks added to finance")


def test_ingest_private_for_a_user_makes_a_private_document_and_refuses_an_unknown_user(
    runner: ServicesRunner, services: Services, tmp_path: Path
) -> None:
    services.accounts.add_user("alice", "agent", "alice has a long password")
    report = json.loads(_ingest(runner, tmp_path / "memo.md", OLD, "--json", "--private-for", "Alice"))
    assert (report["visibility"], report["owner"]) == ("private", "alice")  # the account's own spelling
    listed = runner.invoke(cli.app, ["documents", "--domain", "finance"])
    assert listed.stdout.rstrip("\n").endswith("\tprivate to alice")
    assert [info.name for info in services.catalog.documents("finance", visible_to="bob")] == []
    refused = runner.invoke(
        cli.app, ["ingest", "--domain", "finance", "--private-for", "mallory", str(tmp_path / "memo.md")]
    )
    assert refused.exit_code == 1 and "error: no user 'mallory'" in refused.stderr
    assert len(services.catalog.documents("finance")) == 1

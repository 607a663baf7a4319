"""The main flow in a real browser: Streamlit server + headless Debian Chromium driven by Playwright.

`make test` installs Debian's chromium when run as root (CI); elsewhere the test is skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.services import Services

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian chromium is not installed (make test installs it when run as root: apt-get install chromium)",
    ),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(services: Services, tmp_path: Path, **env: str) -> Iterator[str]:
    """Run ``streamlit run app/main.py`` on a free loopback port over ``services``' data dir; yield its URL."""
    port = _free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(services.settings.data_dir),
        "ASSISTANT_LLM__BACKEND": "llamacpp",
        "ASSISTANT_LLAMACPP__MAX_TOKENS": "32",
        "ASSISTANT_INGEST__INDEX_SAMPLES_ON_START": "false",
        **env,
    }
    log = (tmp_path / "streamlit.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("streamlit")),
            "run",
            str(ROOT / "app" / "main.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(
                        f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()}"
                    ) from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


FEES = b"# Fees\n\nThe foreign transaction fee is 2.75% of the amount.\n"


@pytest.fixture
def app_url(services: Services, tmp_path: Path) -> Iterator[str]:
    services.ingestion.ingest_bytes("finance", "fees.md", FEES)
    yield from _serve(services, tmp_path)


@pytest.fixture
def team_url(services: Services, tmp_path: Path) -> Iterator[str]:
    """The app with accounts (``auth.mode: local``): agents alice and bob; alice has a private document."""
    services.ingestion.ingest_bytes("finance", "fees.md", FEES)
    services.ingestion.ingest_bytes(
        "finance",
        "zebraquill.md",
        b"# Product\n\nZEBRAQUILL-7731 accounts pay no monthly fee.\n",
        owner="alice",
    )
    for name in ("alice", "bob"):
        services.accounts.add_user(name, "agent", f"{name}-password-0123")
    yield from _serve(services, tmp_path, ASSISTANT_AUTH__MODE="local")


def test_ask_in_the_browser_shows_a_streamed_answer_with_domain_and_sources(
    app_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        box = page.get_by_placeholder("Ask about your documents…")
        box.wait_for(timeout=300_000)
        box.fill("What is the foreign transaction fee?")
        box.press("Enter")
        expect(page.get_by_text("Sources (1)")).to_be_visible(timeout=300_000)
        expect(page.get_by_text("Bank customer service · confidence", exact=False).first).to_be_visible()
        page.get_by_text("Sources (1)").click()
        expect(page.get_by_text("2.75% of the amount", exact=False).first).to_be_visible()
        page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
        assert "Traceback" not in page.content()
        browser.close()


def test_two_users_in_two_browsers_see_only_their_own(team_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    from tests.conftest import CANARY_CARD, CANARY_NAME, CANARY_PHONE

    def sign_in(page: Page, name: str) -> None:
        page.goto(team_url)
        page.get_by_label("User name").fill(name)
        page.get_by_label("Password", exact=True).fill(f"{name}-password-0123")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_placeholder("Ask about your documents…").wait_for(timeout=300_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        alice = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        bob = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        bob.goto(team_url)
        expect(bob.get_by_role("button", name="Sign in")).to_be_visible(timeout=300_000)
        assert "Ask about your documents" not in bob.content()  # nothing before sign-in
        assert bob.locator('[data-testid="stSidebarNav"]').count() == 0  # and no page listed

        sign_in(alice, "alice")
        box = alice.get_by_placeholder("Ask about your documents…")
        box.fill(
            f"I am {CANARY_NAME}, card {CANARY_CARD}, phone {CANARY_PHONE}. Do ZEBRAQUILL-7731 accounts pay a fee?"
        )
        box.press("Enter")
        expect(alice.get_by_text("Sources (", exact=False).first).to_be_visible(timeout=300_000)
        alice.get_by_text("Sources (", exact=False).first.click()
        expect(alice.get_by_text("zebraquill.md", exact=False).first).to_be_visible()

        sign_in(bob, "bob")
        box = bob.get_by_placeholder("Ask about your documents…")
        box.fill("Do ZEBRAQUILL-7731 accounts pay a fee?")
        box.press("Enter")
        expect(bob.get_by_text("Sources (", exact=False).first).to_be_visible(timeout=300_000)
        bob.get_by_text("Sources (", exact=False).first.click()
        # a new chat's first answer reruns the page once to list it (issue 21): wait for the picker to name it
        named = bob.locator('input[aria-label="Session"][value^="Do ZEBRAQUILL"]')
        expect(named).to_have_count(1, timeout=120_000)
        bob.screenshot(path=str(tmp_path / "bob-picker.png"), full_page=True)
        expect(bob.get_by_label("Session")).to_have_count(1, timeout=120_000)  # the old picker is gone
        bob.get_by_label("Session").click()  # open the conversation picker: only bob's own
        bob.screenshot(path=str(tmp_path / "bob.png"), full_page=True)
        seen = bob.content()
        for canary in (CANARY_NAME, CANARY_CARD, CANARY_PHONE, "zebraquill.md", "no monthly fee"):
            assert canary not in seen, canary
        assert "Traceback" not in seen
        bob.keyboard.press("Escape")  # close the conversation picker
        bob.get_by_role("button", name="Sign out").click()
        expect(bob.get_by_role("button", name="Sign in")).to_be_visible(timeout=300_000)
        assert bob.locator('[data-testid="stSidebarNav"]').count() == 0  # no page of bob's left listed
        bob.goto(team_url.rstrip("/") + "/clinical")  # a page's address: a new browser session, signed out
        expect(bob.get_by_role("button", name="Sign in")).to_be_visible(timeout=300_000)
        assert "Clinical record" not in bob.content()
        browser.close()

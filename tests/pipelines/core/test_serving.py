"""One server per data dir: a second one is refused with a message naming the first; the lock goes with its
process, even when it is killed."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.core.errors import AssistantError
from pipelines.core.serving import claim_server

HOLD = """
import sys, time
from pathlib import Path
from pipelines.core.serving import claim_server
claim_server(Path(sys.argv[1]), "the web app")
print("held", flush=True)
time.sleep(600)
"""


def test_a_second_server_is_refused_until_the_first_is_gone(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[3],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(AssistantError, match=r"already served by the web app \(pid \d+\)"):
            claim_server(tmp_path, "assistant serve")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    claim_server(tmp_path, "assistant serve")  # the killed holder's lock is gone
    claim_server(tmp_path, "assistant serve")  # and claiming again in the same process is a no-op

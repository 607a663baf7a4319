"""``assistant medical stats`` with few records (issue 21, item 7), as a user runs it (in process, real models):
the footer gives the simultaneous 95% interval, not only the per-count one, and says how many of the counts
shown are within the noise; ``--json`` carries each count's interval."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_runner import run


def test_stats_say_which_counts_the_noise_swamps(tmp_path: Path) -> None:
    data = tmp_path / "data"
    note = tmp_path / "note.txt"
    note.write_text("Clinic note\n\nThe patient has hypertension and asthma. Started metformin.\n")
    assert run("ingest", "--domain", "medical", str(note), data_dir=data).returncode == 0

    plain = run("medical", "stats", "--type", "DISEASE", "--top", "4", data_dir=data)  # ε 0.1: scale 200
    assert plain.returncode == 0, plain.stderr
    footer = plain.stdout.splitlines()[4]
    assert "95% interval ±2329 for all 5699 terms at once (one count alone: ±600)" in footer
    assert footer.endswith("4 of 4 counts within the noise (count <= interval)")

    done = run("medical", "stats", "--type", "DISEASE", "--top", "3", "--json", data_dir=data)
    release = json.loads(done.stdout)
    assert release["interval"] > 2000
    for row in release["counts"]:
        assert row["swamped"] and row["low"] == 0 and row["high"] == int(row["count"] + release["interval"])

"""``assistant medical stats`` with few records (issue 21, item 7), as a user runs it (in process, real models):
the footer gives the simultaneous 95% interval, not only the per-count one, and says how many of the counts
shown are within the noise; ``--json`` carries each count's interval."""

from __future__ import annotations

import json
import math
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
    # The top 4 of 5,699 noisy counts of 0 or 1 record: each lies inside the simultaneous 95% interval unless
    # that run's largest noise draw exceeds it (5% of runs, one row; 3 rows about once in 50,000 runs).
    shown = [int(line.split("\t")[0]) for line in plain.stdout.splitlines()[:4]]
    within = sum(count <= 2329 for count in shown)
    assert within >= 2 and footer.endswith(f"{within} of 4 counts within the noise (count <= interval)"), (
        footer
    )

    done = run("medical", "stats", "--type", "DISEASE", "--top", "3", "--json", data_dir=data)
    release = json.loads(done.stdout)
    assert release["interval"] > 2000
    for row in release["counts"]:
        assert row["swamped"] == (row["count"] <= release["interval"])
        assert row["low"] == max(0, math.ceil(row["count"] - release["interval"]))
        assert row["high"] == int(row["count"] + release["interval"])
    assert sum(row["swamped"] for row in release["counts"]) >= 1

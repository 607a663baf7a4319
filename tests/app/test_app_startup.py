"""The web app draws its page before it loads a model (issue 21, item 3): the modules ``app/main.py`` imports and
the services it builds before its first element (the progress indicator of ``index_samples_once``) import none of
the models' libraries; each model loads on first use, under that indicator. Timing (first paint, first progress
bar) is measured in ``benchmarks/startup.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.test_cli_startup import HEAVY

#: What ``app/main.py`` runs before ``st.navigation``: its imports, then the services (``get_services``).
_PROBE = """
import json, sys
import app.auth, app.navigation, app.state
from pipelines import load_settings
from pipelines.services import Models, Services
services = Services(load_settings(data_dir=sys.argv[1]), Models())
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_app_entry_imports_and_services_load_no_model(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert modules & HEAVY == set(), f"the app imported {sorted(modules & HEAVY)} before drawing"

"""``python -m pipelines`` = the ``assistant`` command (kept for existing scripts; the command line itself is the
``cli`` package, a delivery adapter above this one: this shim is the one module here that imports it)."""

from cli.main import main

main()

"""``python -m pipelines`` = the ``assistant`` command."""

from pipelines.cli import main

main()

"""``python -m pipelines`` = the ``assistant`` command."""

from cli import main

main()

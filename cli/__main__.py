"""``python -m cli`` = the ``assistant`` command."""

from cli.main import main

main()

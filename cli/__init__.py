"""The ``assistant`` command line: a delivery adapter over :mod:`pipelines` (one Typer sub-app per command
group; the services of the data dir travel in the Typer context). The contract is in the README
("Command line")."""

from cli.main import app, main

__all__ = ["app", "main"]

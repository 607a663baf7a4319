"""Logging to ``<data_dir>/logs/assistant.log``. Callers log ids, counts and timings only, never text."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

__all__ = ["configure_logging", "logger"]

logger = logging.getLogger("assistant")


def configure_logging(data_dir: Path, level: str = "INFO") -> Path:
    """Attach one rotating file handler (5 MiB x 3) to the ``assistant`` logger; idempotent per path.

    Returns:
        The log file path.
    """
    path = data_dir / "logs" / "assistant.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    for handler in logger.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path:
            return path
    handler = RotatingFileHandler(path, maxBytes=5 * 2**20, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
    return path

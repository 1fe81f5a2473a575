"""Log levels for a run, shared with the processes it starts (workers, the PDF parser's child).

Some libraries (rapid_layout, rapidocr) attach their own handlers at INFO and
reset their loggers' levels whenever a model loads, so a level on their
loggers does not hold; `logging.disable` is the process-wide threshold that
does. The chosen level travels in the environment, which every child inherits.
"""
from __future__ import annotations

import logging
import os
import sys

_ENV = "CORPUSMILL_LOG_LEVEL"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def configure(level: str | None) -> None:
    """`level` None keeps every library's own logging (the default); a name silences all below it."""
    if level is None:
        return
    os.environ[_ENV] = level
    _apply(level)


def configure_from_environment() -> None:
    """In a child process: the level its parent run chose, if any."""
    level = os.environ.get(_ENV)
    if level in LEVELS:
        _apply(level)


def _apply(level: str) -> None:
    value = logging.getLevelName(level)
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger().setLevel(value)
    logging.getLogger("corpusmill").setLevel(value)
    logging.disable(value - 1)

"""Errors a user can act on. The CLI prints them as one line and exits non-zero."""

from __future__ import annotations

from pathlib import Path


class SprecError(Exception):
    """Base class: anything the CLI reports as a one-line message instead of a traceback."""


class DataError(SprecError, ValueError):
    """Bad input data: names the file, the row (when there is one) and the problem."""

    def __init__(self, problem: str, path: str | Path | None = None, row: int | str | None = None):
        self.problem, self.path, self.row = problem, path, row
        where = str(path) if path is not None else ""
        if row is not None:
            where = f"{where}, row {row}" if where else f"row {row}"
        super().__init__(f"{where}: {problem}" if where else problem)


class ConfigError(SprecError, ValueError):
    """A config value that cannot work; says which field and why."""

"""The ``--state`` file: the portal and credentials kept in SQLite across restarts."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any


class StateFileError(ValueError):
    """The state file cannot be used; the message names the file and the problem."""


class StateFile:
    """One SQLite file holding the sandbox's state as JSON documents (one row per part).

    The whole portal is rewritten after each change: simple and fast enough for a local emulator.

    Raises:
        StateFileError: Its directory does not exist, or the file is not a SQLite database.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.parent.is_dir():
            raise StateFileError(
                f"Cannot use the state file {path}: the directory {path.parent} does not exist"
            )
        if path.is_dir():
            raise StateFileError(f"Cannot use the state file {path}: it is a directory")
        try:
            with closing(sqlite3.connect(self.path)) as db, db:
                db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except sqlite3.Error as exc:
            raise StateFileError(f"Cannot use the state file {path}: {exc}") from None

    def load(self) -> dict[str, Any] | None:
        """The saved parts, or None when nothing was saved yet.

        Raises:
            StateFileError: The file cannot be read or holds something else than saved state.
        """
        try:
            with closing(sqlite3.connect(self.path)) as db:
                rows = db.execute("SELECT key, value FROM state").fetchall()
            if not rows:
                return None
            return {key: json.loads(value) for key, value in rows}
        except (sqlite3.Error, ValueError, TypeError) as exc:
            raise StateFileError(f"The state file {self.path} cannot be read: {exc}") from None

    def save(self, parts: dict[str, Any]) -> None:
        """Replace the saved parts in one transaction."""
        with closing(sqlite3.connect(self.path)) as db, db:
            db.executemany(
                "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)",
                [(key, json.dumps(value, separators=(",", ":"))) for key, value in parts.items()],
            )

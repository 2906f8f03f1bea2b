"""The ``--state`` file: the portal and credentials kept in SQLite across restarts."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any


class StateFile:
    """One SQLite file holding the sandbox's state as JSON documents (one row per part).

    The whole portal is rewritten after each change: simple and fast enough for a local emulator.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def load(self) -> dict[str, Any] | None:
        """The saved parts, or None when nothing was saved yet."""
        with closing(sqlite3.connect(self.path)) as db:
            rows = db.execute("SELECT key, value FROM state").fetchall()
        if not rows:
            return None
        return {key: json.loads(value) for key, value in rows}

    def save(self, parts: dict[str, Any]) -> None:
        """Replace the saved parts in one transaction."""
        with closing(sqlite3.connect(self.path)) as db, db:
            db.executemany(
                "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)",
                [(key, json.dumps(value, separators=(",", ":"))) for key, value in parts.items()],
            )

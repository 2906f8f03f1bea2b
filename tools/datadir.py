"""The agent's data directory (``ALYSIO_DATA_DIR``) and its files, readable by their owner only.

Conversations (checkpoints), the audit log, the identity store, the write ledger, the sandbox
portal and ``chat.log`` hold customer data. The CLI entry point sets the process umask to
:data:`PRIVATE_UMASK`, so everything it creates is private from the start (SQLite gives a
database's ``-wal`` and ``-shm`` files the database's own mode); :func:`secure_data_dir` creates
the directory ``0700`` and tightens what an earlier version left readable by others.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Final

from tools.settings import Settings

PRIVATE_UMASK: Final = 0o077
DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600
AGENT_FILES: Final = (
    "*.sqlite",
    "*.sqlite-wal",
    "*.sqlite-shm",
    "*.sqlite-journal",
    "chat.log",
    "chat.log.*",
)
"""The files the agent writes in the data directory (glob patterns)."""

log = logging.getLogger(__name__)


def restrict_new_files() -> int:
    """Make every file and directory this process creates from now on private; returns the old umask."""
    return os.umask(PRIVATE_UMASK)


def make_private(path: Path, mode: int = FILE_MODE) -> None:
    """Take the group's and others' permissions away from ``path`` if this user owns it.

    The owner's own bits are kept (a read-only file stays read-only). A directory shared on
    purpose (sticky, such as ``/tmp``) and the home directory are left alone, as is anything
    that is not this user's; a failure is logged, not raised.
    """
    if os.name != "posix":
        return
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
            return
        if stat.S_ISDIR(info.st_mode) and (info.st_mode & stat.S_ISVTX or path == Path.home()):
            return
        current = stat.S_IMODE(info.st_mode)
        if current & ~mode:
            os.chmod(path, current & mode)
    except OSError as exc:
        log.warning("could not make %s private: %s", path, exc.strerror)


def secure_data_dir(settings: Settings) -> Path:
    """Create the data directory ``0700`` and make the agent's files in it ``0600``.

    The checkpoint and audit files are tightened too when they are configured elsewhere.

    Returns:
        The data directory.

    Raises:
        OSError: The directory cannot be created.
    """
    directory = settings.data_dir.expanduser()
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    make_private(directory, DIR_MODE)
    files = {path for pattern in AGENT_FILES for path in directory.glob(pattern)}
    for which in ("checkpoints", "audit", "ledger"):
        database = settings.storage_path(which)
        files.update(
            database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")
        )
    for path in sorted(files):
        if path.is_file():
            make_private(path)
    return directory

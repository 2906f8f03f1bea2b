"""The audit log: one entry per HubSpot request, never a token.

The client calls a request hook after every HTTP exchange; :func:`audit_hook` turns its
:class:`~tools.hubspot.RequestRecord` into an :class:`AuditEntry`, adding what only the agent
knows (thread, who approved, the field diff) from :data:`audit_scope`, a context variable the
graph sets around its HubSpot calls. SQLite by default; a Postgres backend implements the same
:class:`AuditLog` protocol later.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tools.hubspot import RequestHook, RequestRecord


@dataclass(frozen=True)
class AuditScope:
    """What the agent adds to the requests made inside it.

    Attributes:
        thread_id: The conversation.
        approved_by: The user id of who approved the write being executed (writes only).
        approver_email: Their email (kept in the entry's ``extra``).
        diff: Field → ``{"old", "new"}`` of that write.
        step: The idempotency key of the approved step.
    """

    thread_id: str | None = None
    approved_by: str | None = None
    approver_email: str | None = None
    diff: dict[str, Any] | None = None
    step: str | None = None


audit_scope: ContextVar[AuditScope | None] = ContextVar("audit_scope", default=None)


@contextmanager
def scoped(scope: AuditScope) -> Iterator[None]:
    """Attribute the HubSpot requests made inside the block to ``scope``."""
    token = audit_scope.set(scope)
    try:
        yield
    finally:
        audit_scope.reset(token)


@dataclass(frozen=True)
class AuditEntry:
    """One HubSpot request as recorded."""

    time: str
    tenant_id: str
    user_id: str
    thread_id: str | None
    operation: str
    method: str
    path_template: str
    object_type: str | None
    ids: list[str]
    scopes: list[str]
    status: int | None
    correlation_id: str | None
    latency_ms: float
    attempt: int = 1
    error_kind: str | None = None
    approved_by: str | None = None
    diff: dict[str, Any] | None = None
    step: str | None = None
    credential_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


class AuditLog(Protocol):
    """Where audit entries go (SQLite now, Postgres later)."""

    async def record(self, entry: AuditEntry) -> None:
        """Store one entry."""
        ...

    async def entries(
        self, *, thread_id: str | None = None, user_id: str | None = None, limit: int = 1000
    ) -> list[AuditEntry]:
        """Entries, oldest first, optionally of one thread or user."""
        ...

    async def aclose(self) -> None:
        """Release resources."""
        ...


_WRITES = frozenset({"create", "update", "merge", "associate_default"})


def entry_from(record: RequestRecord, now: datetime, scope: AuditScope | None) -> AuditEntry:
    """An audit entry for one request record, in the given agent scope."""
    is_write = record.operation in _WRITES
    return AuditEntry(
        time=now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        tenant_id=record.tenant_id,
        user_id=record.user_id,
        thread_id=scope.thread_id if scope else None,
        operation=record.operation,
        method=record.method,
        path_template=record.path_template,
        object_type=record.object_type,
        ids=list(record.ids),
        scopes=list(record.scopes),
        status=record.status,
        correlation_id=record.correlation_id,
        latency_ms=round(record.latency_ms, 3),
        attempt=record.attempt,
        error_kind=record.error_kind,
        approved_by=scope.approved_by if scope and is_write else None,
        diff=scope.diff if scope and is_write else None,
        step=scope.step if scope and is_write else None,
        credential_id=record.credential_id,
        extra={"approver_email": scope.approver_email} if scope and is_write and scope.approver_email else {},
    )


def audit_hook(log: AuditLog, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> RequestHook:
    """The client request hook that records every exchange in ``log``."""

    async def hook(record: RequestRecord) -> None:
        await log.record(entry_from(record, clock(), audit_scope.get()))

    return hook


class MemoryAuditLog:
    """An in-memory audit log (tests, benchmarks)."""

    def __init__(self) -> None:
        self.items: list[AuditEntry] = []

    async def record(self, entry: AuditEntry) -> None:
        self.items.append(entry)

    async def entries(
        self, *, thread_id: str | None = None, user_id: str | None = None, limit: int = 1000
    ) -> list[AuditEntry]:
        found = [
            e
            for e in self.items
            if (thread_id is None or e.thread_id == thread_id) and (user_id is None or e.user_id == user_id)
        ]
        return found[-limit:]

    async def aclose(self) -> None:
        return None


_COLUMNS = tuple(AuditEntry.__dataclass_fields__)
_JSON_COLUMNS = frozenset({"ids", "scopes", "diff", "extra"})


class SqliteAuditLog:
    """The audit log in a SQLite file (WAL; one short insert per request).

    Args:
        path: The database file (created with its directory), or ``":memory:"``.
    """

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        cols = ", ".join(f"{c} TEXT" for c in _COLUMNS)
        self._db.execute(f"CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, {cols})")
        self._db.execute("CREATE INDEX IF NOT EXISTS audit_thread ON audit (thread_id)")
        self._db.execute("CREATE INDEX IF NOT EXISTS audit_user ON audit (user_id)")
        self._db.commit()

    async def record(self, entry: AuditEntry) -> None:
        data = entry.to_dict()
        values = [json.dumps(data[c]) if c in _JSON_COLUMNS else data[c] for c in _COLUMNS]
        marks = ", ".join("?" for _ in _COLUMNS)
        self._db.execute(f"INSERT INTO audit ({', '.join(_COLUMNS)}) VALUES ({marks})", values)
        self._db.commit()

    async def entries(
        self, *, thread_id: str | None = None, user_id: str | None = None, limit: int = 1000
    ) -> list[AuditEntry]:
        where, args = [], []
        if thread_id is not None:
            where.append("thread_id = ?")
            args.append(thread_id)
        if user_id is not None:
            where.append("user_id = ?")
            args.append(user_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM (SELECT * FROM audit {clause} ORDER BY seq DESC LIMIT ?) "
            "ORDER BY seq",
            [*args, limit],
        ).fetchall()
        out = []
        for row in rows:
            data: dict[str, Any] = {}
            for c, v in zip(_COLUMNS, row, strict=True):
                data[c] = json.loads(v) if c in _JSON_COLUMNS and v is not None else v
            data["status"] = int(data["status"]) if data["status"] is not None else None
            data["latency_ms"] = float(data["latency_ms"])
            data["attempt"] = int(data["attempt"])
            out.append(AuditEntry(**data))
        return out

    async def aclose(self) -> None:
        self._db.close()


def show_audit(
    *, thread_id: str | None = None, user_id: str | None = None, as_json: bool = False, limit: int = 200
) -> None:
    """Print the audit log (``alysio-agent audit``): a table, or one JSON object per line."""
    import asyncio

    from rich.console import Console
    from rich.table import Table

    from tools.settings import load_settings

    path = load_settings().storage_path("audit")
    console = Console()
    if not path.exists():
        if as_json:
            return
        console.print(f"No audit log yet at {path}.")
        return

    async def read() -> list[AuditEntry]:
        log = SqliteAuditLog(path)
        try:
            return await log.entries(thread_id=thread_id, user_id=user_id, limit=limit)
        finally:
            await log.aclose()

    found = asyncio.run(read())
    if as_json:
        for entry in found:
            print(json.dumps(entry.to_dict(), ensure_ascii=False))
        return
    table = Table(title=f"HubSpot requests ({len(found)})", show_lines=False)
    for column in (
        "time",
        "user",
        "thread",
        "operation",
        "request",
        "ids",
        "status",
        "ms",
        "approved by",
        "diff",
    ):
        table.add_column(column)
    for e in found:
        table.add_row(
            e.time,
            e.user_id,
            e.thread_id or "",
            e.operation,
            f"{e.method} {e.path_template}",
            ",".join(e.ids),
            str(e.status if e.status is not None else e.error_kind or ""),
            f"{e.latency_ms:.0f}",
            e.approved_by or "",
            json.dumps(e.diff, ensure_ascii=False) if e.diff else "",
        )
    console.print(table)

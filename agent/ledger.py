"""The write ledger: who sends each approved step, what came of it, and who owns each conversation.

Two promises live here rather than in the checkpoint, because they must hold across processes and
replicas that each keep their own copy of a thread's state:

- **Claim before send.** Every approved step has one row, keyed by its idempotency key
  (``{proposal id}:{index}``), inserted before anything is sent. Inserting is the claim: of any
  number of processes answering the same approval, exactly one inserts the row and sends; the
  others wait for its outcome and report it. The claimant renews a short lease while it sends; a
  row still ``sending`` after its lease ran out belongs to a process that died, and the next
  process takes it over (compare-and-set on the holder) and reconciles with HubSpot before
  sending anything.
- **Conversations belong to their owner.** The first turn of a thread binds it to (tenant, user,
  connection); the service refuses every other caller.

``SqliteWriteLedger`` is the embedded default (WAL, so several processes can share the file);
``MemoryWriteLedger`` serves tests and one-process tools. A PostgreSQL backend implements the same
:class:`WriteLedger` protocol.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import aiosqlite

ClaimStatus = Literal["sending", "done", "failed", "unknown"]
SETTLED: frozenset[ClaimStatus] = frozenset({"done", "failed", "unknown"})
Clock = Callable[[], float]


@dataclass(frozen=True)
class StepClaim:
    """One approved step's row.

    Attributes:
        key: The step's idempotency key (``{proposal id}:{index}``).
        thread: The conversation it belongs to.
        digest: A digest of exactly what was approved (a different step under the same key is refused).
        holder: The run that sends (or sent) it.
        status: ``sending`` until the outcome is known; then ``done``, ``failed`` or ``unknown``.
        started_at: When it was claimed (epoch seconds).
        lease_until: Until when the holder is known to be alive (epoch seconds).
        object_type: The type written.
        record_id: The record created or changed, once known.
        result: The step's result (``{"id", "url", ...}``) once done.
        error: ``{"kind", "message"}`` once failed or unknown.
    """

    key: str
    thread: str
    digest: str
    holder: str
    status: ClaimStatus
    started_at: float
    lease_until: float
    object_type: str | None = None
    record_id: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @property
    def settled(self) -> bool:
        """Whether the outcome is known (done, failed or unknown)."""
        return self.status in SETTLED


@dataclass(frozen=True)
class ThreadOwner:
    """Who a conversation belongs to: only they may read, resume or continue it."""

    tenant_id: str
    thread_id: str
    user_id: str
    email: str
    credential_id: str | None
    created_at: float


class WriteLedger(Protocol):
    """Claims of approved steps and owners of conversations, shared by every process."""

    async def claim(
        self,
        key: str,
        *,
        thread: str,
        digest: str,
        holder: str,
        object_type: str | None,
        lease_seconds: float,
    ) -> tuple[bool, StepClaim]:
        """Insert the step's row if absent. Returns (whether this call claimed it, the row as it is)."""
        ...

    async def renew(self, key: str, holder: str, lease_seconds: float) -> bool:
        """Extend the holder's lease; False when the row is no longer theirs or is settled."""
        ...

    async def take_over(self, key: str, *, holder: str, expected_holder: str, lease_seconds: float) -> bool:
        """Become the holder of a ``sending`` row whose lease ran out (compare-and-set on the holder)."""
        ...

    async def settle(
        self,
        key: str,
        holder: str,
        status: ClaimStatus,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> StepClaim | None:
        """Record the outcome (only the holder can); returns the row, or None when not the holder."""
        ...

    async def release(self, key: str, holder: str) -> bool:
        """Drop an unsent claim (the holder found the step stale and sent nothing) so it can be claimed again."""
        ...

    async def get(self, key: str) -> StepClaim | None:
        """The row of a step, if claimed."""
        ...

    async def created_ids(self, object_type: str, since: float) -> set[str]:
        """Ids of records of ``object_type`` that settled steps claimed since ``since`` (epoch seconds)."""
        ...

    async def bind_thread(
        self, tenant_id: str, thread_id: str, *, user_id: str, email: str, credential_id: str | None
    ) -> ThreadOwner:
        """The thread's owner: the given user when the thread is new (insert-if-absent)."""
        ...

    async def thread_owner(self, tenant_id: str, thread_id: str) -> ThreadOwner | None:
        """The owner of a thread, or None for a thread that does not exist in this tenant."""
        ...

    def now(self) -> float:
        """The ledger's clock (epoch seconds)."""
        ...

    async def aclose(self) -> None:
        """Release the store."""
        ...


def _record_id(result: dict[str, Any] | None) -> str | None:
    value = (result or {}).get("id")
    return str(value) if value is not None else None


class MemoryWriteLedger:
    """The ledger in memory, for one process (tests, evals)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._claims: dict[str, StepClaim] = {}
        self._threads: dict[tuple[str, str], ThreadOwner] = {}

    def now(self) -> float:
        return self._clock()

    async def claim(
        self,
        key: str,
        *,
        thread: str,
        digest: str,
        holder: str,
        object_type: str | None,
        lease_seconds: float,
    ) -> tuple[bool, StepClaim]:
        existing = self._claims.get(key)
        if existing is not None:
            return False, existing
        now = self.now()
        row = StepClaim(key, thread, digest, holder, "sending", now, now + lease_seconds, object_type)
        self._claims[key] = row
        return True, row

    async def renew(self, key: str, holder: str, lease_seconds: float) -> bool:
        row = self._claims.get(key)
        if row is None or row.holder != holder or row.settled:
            return False
        self._claims[key] = replace(row, lease_until=self.now() + lease_seconds)
        return True

    async def take_over(self, key: str, *, holder: str, expected_holder: str, lease_seconds: float) -> bool:
        row = self._claims.get(key)
        if row is None or row.holder != expected_holder or row.settled or row.lease_until > self.now():
            return False
        self._claims[key] = replace(row, holder=holder, lease_until=self.now() + lease_seconds)
        return True

    async def settle(
        self,
        key: str,
        holder: str,
        status: ClaimStatus,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> StepClaim | None:
        row = self._claims.get(key)
        if row is None or row.holder != holder or row.settled:
            return None
        row = replace(row, status=status, result=result, error=error, record_id=_record_id(result))
        self._claims[key] = row
        return row

    async def release(self, key: str, holder: str) -> bool:
        row = self._claims.get(key)
        if row is None or row.holder != holder or row.settled:
            return False
        del self._claims[key]
        return True

    async def get(self, key: str) -> StepClaim | None:
        return self._claims.get(key)

    async def created_ids(self, object_type: str, since: float) -> set[str]:
        return {
            c.record_id
            for c in self._claims.values()
            if c.object_type == object_type and c.record_id and c.started_at >= since
        }

    async def bind_thread(
        self, tenant_id: str, thread_id: str, *, user_id: str, email: str, credential_id: str | None
    ) -> ThreadOwner:
        return self._threads.setdefault(
            (tenant_id, thread_id),
            ThreadOwner(tenant_id, thread_id, user_id, email, credential_id, self.now()),
        )

    async def thread_owner(self, tenant_id: str, thread_id: str) -> ThreadOwner | None:
        return self._threads.get((tenant_id, thread_id))

    async def aclose(self) -> None:
        return None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS step_claims (
    key          TEXT PRIMARY KEY,
    thread       TEXT NOT NULL,
    digest       TEXT NOT NULL,
    holder       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sending', 'done', 'failed', 'unknown')),
    started_at   REAL NOT NULL,
    lease_until  REAL NOT NULL,
    object_type  TEXT,
    record_id    TEXT,
    result       TEXT,
    error        TEXT
);
CREATE INDEX IF NOT EXISTS step_claims_created ON step_claims (object_type, started_at);
CREATE TABLE IF NOT EXISTS thread_owners (
    tenant_id     TEXT NOT NULL,
    thread_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    email         TEXT NOT NULL,
    credential_id TEXT,
    created_at    REAL NOT NULL,
    PRIMARY KEY (tenant_id, thread_id)
);
"""
_CLAIM_COLUMNS = (
    "key, thread, digest, holder, status, started_at, lease_until, object_type, record_id, result, error"
)
BUSY_TIMEOUT_MS = 30_000


def _claim(row: Any) -> StepClaim:
    return StepClaim(
        key=row[0],
        thread=row[1],
        digest=row[2],
        holder=row[3],
        status=row[4],
        started_at=float(row[5]),
        lease_until=float(row[6]),
        object_type=row[7],
        record_id=row[8],
        result=json.loads(row[9]) if row[9] else None,
        error=json.loads(row[10]) if row[10] else None,
    )


class SqliteWriteLedger:
    """The ledger in a SQLite file (WAL; every change is one atomic statement).

    Use :meth:`open`. Several processes may share the file: the claim is ``INSERT ... ON CONFLICT
    DO NOTHING`` and take-over and settle are conditional ``UPDATE``s, so the database decides.
    """

    def __init__(self, db: aiosqlite.Connection, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._lock = asyncio.Lock()  # one aiosqlite connection: statements and their reads in turn

    @classmethod
    async def open(cls, path: Path | str, *, clock: Clock = time.time) -> SqliteWriteLedger:
        """Open (and create) the ledger at ``path`` (``":memory:"`` for a private one)."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")  # a claim is on disk before the write is sent
        await db.executescript(_SCHEMA)
        return cls(db, clock)

    def now(self) -> float:
        return self._clock()

    async def _changes(self, sql: str, args: tuple[Any, ...]) -> int:
        async with self._lock:
            cursor = await self._db.execute(sql, args)
            count = cursor.rowcount
            await cursor.close()
            return count

    async def claim(
        self,
        key: str,
        *,
        thread: str,
        digest: str,
        holder: str,
        object_type: str | None,
        lease_seconds: float,
    ) -> tuple[bool, StepClaim]:
        now = self.now()
        inserted = await self._changes(
            "INSERT INTO step_claims (key, thread, digest, holder, status, started_at, lease_until, object_type)"
            " VALUES (?, ?, ?, ?, 'sending', ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (key, thread, digest, holder, now, now + lease_seconds, object_type),
        )
        row = await self.get(key)
        assert row is not None  # inserted now, or by another process before
        return inserted == 1, row

    async def renew(self, key: str, holder: str, lease_seconds: float) -> bool:
        return (
            await self._changes(
                "UPDATE step_claims SET lease_until = ? WHERE key = ? AND holder = ? AND status = 'sending'",
                (self.now() + lease_seconds, key, holder),
            )
            == 1
        )

    async def take_over(self, key: str, *, holder: str, expected_holder: str, lease_seconds: float) -> bool:
        now = self.now()
        return (
            await self._changes(
                "UPDATE step_claims SET holder = ?, lease_until = ? "
                "WHERE key = ? AND holder = ? AND status = 'sending' AND lease_until <= ?",
                (holder, now + lease_seconds, key, expected_holder, now),
            )
            == 1
        )

    async def settle(
        self,
        key: str,
        holder: str,
        status: ClaimStatus,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> StepClaim | None:
        changed = await self._changes(
            "UPDATE step_claims SET status = ?, result = ?, error = ?, record_id = ? "
            "WHERE key = ? AND holder = ? AND status = 'sending'",
            (
                status,
                json.dumps(result) if result is not None else None,
                json.dumps(error) if error is not None else None,
                _record_id(result),
                key,
                holder,
            ),
        )
        return await self.get(key) if changed == 1 else None

    async def release(self, key: str, holder: str) -> bool:
        return (
            await self._changes(
                "DELETE FROM step_claims WHERE key = ? AND holder = ? AND status = 'sending'", (key, holder)
            )
            == 1
        )

    async def get(self, key: str) -> StepClaim | None:
        async with (
            self._lock,
            self._db.execute(f"SELECT {_CLAIM_COLUMNS} FROM step_claims WHERE key = ?", (key,)) as cursor,
        ):
            row = await cursor.fetchone()
        return _claim(row) if row is not None else None

    async def created_ids(self, object_type: str, since: float) -> set[str]:
        async with (
            self._lock,
            self._db.execute(
                "SELECT record_id FROM step_claims WHERE object_type = ? AND started_at >= ? AND record_id IS NOT NULL",
                (object_type, since),
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return {str(r[0]) for r in rows}

    async def bind_thread(
        self, tenant_id: str, thread_id: str, *, user_id: str, email: str, credential_id: str | None
    ) -> ThreadOwner:
        await self._changes(
            "INSERT INTO thread_owners (tenant_id, thread_id, user_id, email, credential_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, thread_id) DO NOTHING",
            (tenant_id, thread_id, user_id, email, credential_id, self.now()),
        )
        owner = await self.thread_owner(tenant_id, thread_id)
        assert owner is not None
        return owner

    async def thread_owner(self, tenant_id: str, thread_id: str) -> ThreadOwner | None:
        async with (
            self._lock,
            self._db.execute(
                "SELECT tenant_id, thread_id, user_id, email, credential_id, created_at FROM thread_owners "
                "WHERE tenant_id = ? AND thread_id = ?",
                (tenant_id, thread_id),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        if row is None:
            return None
        return ThreadOwner(row[0], row[1], row[2], row[3], row[4], float(row[5]))

    async def aclose(self) -> None:
        await self._db.close()

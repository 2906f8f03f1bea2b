"""The SQLite identity store (aiosqlite; WAL, so several processes can share one file).

Uniqueness is the database's job: ``UNIQUE (tenant_id, hubspot_user_id)``, ``UNIQUE (tenant_id,
owner_id)`` and ``UNIQUE (tenant_id, alysio_user_id)`` on mappings (NULLs never collide), one
connection per tenant and credential. Reconciliations run in ``BEGIN IMMEDIATE`` transactions:
concurrent syncs of one file (tasks or processes) take turns, and the second one sees the first's
rows, so it finds everything unchanged instead of inserting again.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import aiosqlite

from agent.identity.reconcile import plan_people, plan_teams
from agent.identity.store import (
    ConnectionRecord,
    ConnectionStatus,
    IdentityStore,
    Person,
    SyncCounts,
    TeamInfo,
    TeamRecord,
    UserMapping,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    credential_id TEXT,
    portal_id     INTEGER,
    scopes        TEXT NOT NULL DEFAULT '[]',
    status        TEXT NOT NULL CHECK (status IN ('active', 'deauthorized')),
    status_reason TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_sync_at  TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS connections_tenant_credential
    ON connections (tenant_id, COALESCE(credential_id, ''));

CREATE TABLE IF NOT EXISTS user_mappings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL,
    alysio_user_id  TEXT,
    hubspot_user_id TEXT,
    owner_id        TEXT,
    email           TEXT,
    first_name      TEXT,
    last_name       TEXT,
    role_id         TEXT,
    role_name       TEXT,
    team_ids        TEXT NOT NULL DEFAULT '[]',
    synced_at       TEXT,
    deleted_at      TEXT,
    UNIQUE (tenant_id, hubspot_user_id),
    UNIQUE (tenant_id, owner_id),
    UNIQUE (tenant_id, alysio_user_id)
);
CREATE INDEX IF NOT EXISTS user_mappings_email ON user_mappings (tenant_id, lower(email));

CREATE TABLE IF NOT EXISTS metadata (
    tenant_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    body      TEXT NOT NULL,
    synced_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);

CREATE TABLE IF NOT EXISTS teams (
    tenant_id          TEXT NOT NULL,
    team_id            TEXT NOT NULL,
    name               TEXT,
    parent_id          TEXT,
    user_ids           TEXT NOT NULL DEFAULT '[]',
    secondary_user_ids TEXT NOT NULL DEFAULT '[]',
    synced_at          TEXT,
    deleted_at         TEXT,
    PRIMARY KEY (tenant_id, team_id)
);
"""

_MAPPING_COLUMNS = (
    "id, tenant_id, alysio_user_id, hubspot_user_id, owner_id, email, first_name, last_name, "
    "role_id, role_name, team_ids, synced_at, deleted_at"
)
_TEAM_COLUMNS = "tenant_id, team_id, name, parent_id, user_ids, secondary_user_ids, synced_at, deleted_at"
_CONNECTION_COLUMNS = (
    "id, tenant_id, user_id, credential_id, portal_id, scopes, status, status_reason, "
    "created_at, updated_at, last_sync_at"
)
BUSY_TIMEOUT_MS = 30_000


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _ids(value: Iterable[str]) -> str:
    return json.dumps(list(value))


def _tuple(value: str) -> tuple[str, ...]:
    return tuple(str(v) for v in json.loads(value))


def _mapping(row: Sequence[Any]) -> UserMapping:
    return UserMapping(
        id=row[0],
        tenant_id=row[1],
        alysio_user_id=row[2],
        hubspot_user_id=row[3],
        owner_id=row[4],
        email=row[5],
        first_name=row[6],
        last_name=row[7],
        role_id=row[8],
        role_name=row[9],
        team_ids=_tuple(row[10]),
        synced_at=_dt(row[11]),
        deleted_at=_dt(row[12]),
    )


def _mapping_values(m: UserMapping) -> tuple[Any, ...]:
    return (
        m.tenant_id,
        m.alysio_user_id,
        m.hubspot_user_id,
        m.owner_id,
        m.email,
        m.first_name,
        m.last_name,
        m.role_id,
        m.role_name,
        _ids(m.team_ids),
        _ts(m.synced_at),
        _ts(m.deleted_at),
    )


def _team(row: Sequence[Any]) -> TeamRecord:
    return TeamRecord(
        tenant_id=row[0],
        team_id=row[1],
        name=row[2],
        parent_id=row[3],
        user_ids=_tuple(row[4]),
        secondary_user_ids=_tuple(row[5]),
        synced_at=_dt(row[6]),
        deleted_at=_dt(row[7]),
    )


def _connection(row: Sequence[Any]) -> ConnectionRecord:
    created, updated = _dt(row[8]), _dt(row[9])
    assert created is not None and updated is not None  # NOT NULL columns
    return ConnectionRecord(
        id=row[0],
        tenant_id=row[1],
        user_id=row[2],
        credential_id=row[3],
        portal_id=row[4],
        scopes=_tuple(row[5]),
        status=cast(ConnectionStatus, row[6]),
        status_reason=row[7],
        created_at=created,
        updated_at=updated,
        last_sync_at=_dt(row[10]),
    )


class SqliteIdentityStore:
    """:class:`~agent.identity.store.IdentityStore` on one SQLite file.

    Open with :meth:`open`; one instance serializes its own writes with a lock (one aiosqlite
    connection), and SQLite's write lock serializes instances and processes.
    """

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> SqliteIdentityStore:
        """Open (and create if needed) the store at ``path`` (``":memory:"`` for a private one)."""
        if str(path) != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        target = str(path) if str(path) == ":memory:" else str(Path(path).expanduser())
        # Autocommit mode: transactions are explicit BEGIN IMMEDIATE ... COMMIT below.
        db = await aiosqlite.connect(target, isolation_level=None)
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA journal_mode = WAL")
        store = cls(db)
        async with store._write() as conn:
            await conn.executescript_in_transaction(SCHEMA)
        return store

    async def aclose(self) -> None:
        """Close the database connection."""
        await self._db.close()

    async def __aenter__(self) -> SqliteIdentityStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[_Tx]:
        """One write transaction, taken before reading so read-then-write cannot race."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(self._db)
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        async with self._lock, self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    # ----------------------------------------------------------------------- connections

    async def register_connection(
        self,
        tenant_id: str,
        user_id: str,
        credential_id: str | None,
        *,
        scopes: tuple[str, ...] = (),
        now: datetime,
    ) -> ConnectionRecord:
        """The connection of ``tenant_id`` and ``credential_id``, created (active) if new."""
        async with self._write() as tx:
            await tx.execute(
                "INSERT INTO connections (id, tenant_id, user_id, credential_id, scopes, status, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?) "
                "ON CONFLICT DO NOTHING",
                (
                    f"conn_{uuid.uuid4().hex[:16]}",
                    tenant_id,
                    user_id,
                    credential_id,
                    _ids(scopes),
                    _ts(now),
                    _ts(now),
                ),
            )
            row = await tx.one(
                f"SELECT {_CONNECTION_COLUMNS} FROM connections "
                "WHERE tenant_id = ? AND COALESCE(credential_id, '') = COALESCE(?, '')",
                (tenant_id, credential_id),
            )
        assert row is not None  # inserted or already there
        return _connection(row)

    async def get_connection(self, connection_id: str) -> ConnectionRecord | None:
        """A connection by id."""
        rows = await self._fetchall(
            f"SELECT {_CONNECTION_COLUMNS} FROM connections WHERE id = ?", (connection_id,)
        )
        return _connection(rows[0]) if rows else None

    async def find_connection(self, tenant_id: str, credential_id: str | None) -> ConnectionRecord | None:
        """A connection by tenant and Paragon credential id."""
        rows = await self._fetchall(
            f"SELECT {_CONNECTION_COLUMNS} FROM connections "
            "WHERE tenant_id = ? AND COALESCE(credential_id, '') = COALESCE(?, '')",
            (tenant_id, credential_id),
        )
        return _connection(rows[0]) if rows else None

    async def list_connections(
        self, *, tenant_id: str | None = None, status: ConnectionStatus | None = None
    ) -> list[ConnectionRecord]:
        """Connections, optionally of one tenant and/or status, oldest first."""
        rows = await self._fetchall(
            f"SELECT {_CONNECTION_COLUMNS} FROM connections "
            "WHERE (? IS NULL OR tenant_id = ?) AND (? IS NULL OR status = ?) ORDER BY created_at, id",
            (tenant_id, tenant_id, status, status),
        )
        return [_connection(r) for r in rows]

    async def update_connection(
        self,
        connection_id: str,
        *,
        now: datetime,
        status: ConnectionStatus | None = None,
        status_reason: str | None = None,
        portal_id: int | None = None,
        scopes: tuple[str, ...] | None = None,
        last_sync_at: datetime | None = None,
    ) -> ConnectionRecord:
        """Change a connection's status, portal id, scopes or last sync time (None keeps a value).

        Raises:
            KeyError: No such connection.
        """
        async with self._write() as tx:
            row = await tx.one(
                f"SELECT {_CONNECTION_COLUMNS} FROM connections WHERE id = ?", (connection_id,)
            )
            if row is None:
                raise KeyError(connection_id)
            old = _connection(row)
            await tx.execute(
                "UPDATE connections SET status = ?, status_reason = ?, portal_id = ?, scopes = ?, "
                "last_sync_at = ?, updated_at = ? WHERE id = ?",
                (
                    status or old.status,
                    status_reason if status is not None else old.status_reason,
                    portal_id if portal_id is not None else old.portal_id,
                    _ids(scopes if scopes is not None else old.scopes),
                    _ts(last_sync_at or old.last_sync_at),
                    _ts(now),
                    connection_id,
                ),
            )
            row = await tx.one(
                f"SELECT {_CONNECTION_COLUMNS} FROM connections WHERE id = ?", (connection_id,)
            )
        assert row is not None
        return _connection(row)

    # ----------------------------------------------------------------------- mappings

    async def mappings(self, tenant_id: str, *, include_deleted: bool = False) -> list[UserMapping]:
        """The tenant's mappings (live ones only unless ``include_deleted``), oldest first."""
        live = "" if include_deleted else " AND deleted_at IS NULL"
        rows = await self._fetchall(
            f"SELECT {_MAPPING_COLUMNS} FROM user_mappings WHERE tenant_id = ?{live} ORDER BY id",
            (tenant_id,),
        )
        return [_mapping(r) for r in rows]

    async def reconcile_people(self, tenant_id: str, people: list[Person], *, now: datetime) -> SyncCounts:
        """Make the tenant's mappings match ``people`` (HubSpot's full list), in one transaction."""
        async with self._write() as tx:
            rows = await tx.all(
                f"SELECT {_MAPPING_COLUMNS} FROM user_mappings WHERE tenant_id = ?", (tenant_id,)
            )
            plan = plan_people(tenant_id, [_mapping(r) for r in rows], people, now)
            if plan.updates:
                # Free the HubSpot ids of every changed row first, so moving an id from one row
                # to another never trips the unique constraints half-way.
                await tx.executemany(
                    "UPDATE user_mappings SET hubspot_user_id = NULL, owner_id = NULL WHERE id = ?",
                    [(m.id,) for m in plan.updates],
                )
                await tx.executemany(
                    "UPDATE user_mappings SET tenant_id = ?, alysio_user_id = ?, hubspot_user_id = ?, "
                    "owner_id = ?, email = ?, first_name = ?, last_name = ?, role_id = ?, role_name = ?, "
                    "team_ids = ?, synced_at = ?, deleted_at = ? WHERE id = ?",
                    [(*_mapping_values(m), m.id) for m in plan.updates],
                )
            if plan.creates:
                await tx.executemany(
                    "INSERT INTO user_mappings (tenant_id, alysio_user_id, hubspot_user_id, owner_id, email, "
                    "first_name, last_name, role_id, role_name, team_ids, synced_at, deleted_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [_mapping_values(m) for m in plan.creates],
                )
        return plan.counts

    async def soft_delete_mappings(self, tenant_id: str, *, now: datetime) -> int:
        """Soft-delete every live mapping of the tenant; returns how many."""
        async with self._write() as tx:
            return await tx.execute(
                "UPDATE user_mappings SET deleted_at = ? WHERE tenant_id = ? AND deleted_at IS NULL",
                (_ts(now), tenant_id),
            )

    async def bind_alysio_user(self, mapping_id: int, alysio_user_id: str) -> UserMapping:
        """Record that ``alysio_user_id`` is this mapping's person (moved from any other mapping).

        Raises:
            KeyError: No such mapping.
        """
        async with self._write() as tx:
            row = await tx.one(f"SELECT {_MAPPING_COLUMNS} FROM user_mappings WHERE id = ?", (mapping_id,))
            if row is None:
                raise KeyError(mapping_id)
            tenant_id = row[1]
            await tx.execute(
                "UPDATE user_mappings SET alysio_user_id = NULL WHERE tenant_id = ? AND alysio_user_id = ?",
                (tenant_id, alysio_user_id),
            )
            await tx.execute(
                "UPDATE user_mappings SET alysio_user_id = ? WHERE id = ?", (alysio_user_id, mapping_id)
            )
            row = await tx.one(f"SELECT {_MAPPING_COLUMNS} FROM user_mappings WHERE id = ?", (mapping_id,))
        assert row is not None
        return _mapping(row)

    # ----------------------------------------------------------------------- teams

    async def teams(self, tenant_id: str, *, include_deleted: bool = False) -> list[TeamRecord]:
        """The tenant's teams, by team id."""
        live = "" if include_deleted else " AND deleted_at IS NULL"
        rows = await self._fetchall(
            f"SELECT {_TEAM_COLUMNS} FROM teams WHERE tenant_id = ?{live} ORDER BY team_id", (tenant_id,)
        )
        return [_team(r) for r in rows]

    async def reconcile_teams(self, tenant_id: str, teams: list[TeamInfo], *, now: datetime) -> SyncCounts:
        """Make the tenant's teams match ``teams`` (parents are kept: HubSpot has none)."""
        async with self._write() as tx:
            rows = await tx.all(f"SELECT {_TEAM_COLUMNS} FROM teams WHERE tenant_id = ?", (tenant_id,))
            plan = plan_teams(tenant_id, [_team(r) for r in rows], teams, now)
            await tx.executemany(
                f"INSERT OR REPLACE INTO teams ({_TEAM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        t.tenant_id,
                        t.team_id,
                        t.name,
                        t.parent_id,
                        _ids(t.user_ids),
                        _ids(t.secondary_user_ids),
                        _ts(t.synced_at),
                        _ts(t.deleted_at),
                    )
                    for t in plan.writes
                ],
            )
        return plan.counts

    async def save_metadata(self, tenant_id: str, kind: str, body: Any, *, now: datetime) -> None:
        """Keep a piece of the portal's metadata as JSON (replacing what was kept)."""
        async with self._write() as tx:
            await tx.execute(
                "INSERT OR REPLACE INTO metadata (tenant_id, kind, body, synced_at) VALUES (?, ?, ?, ?)",
                (tenant_id, kind, json.dumps(body, separators=(",", ":")), _ts(now)),
            )

    async def metadata(self, tenant_id: str, kind: str) -> tuple[Any, datetime] | None:
        """A piece of the portal's metadata and when it was synced, if kept."""
        rows = await self._fetchall(
            "SELECT body, synced_at FROM metadata WHERE tenant_id = ? AND kind = ?", (tenant_id, kind)
        )
        if not rows:
            return None
        synced = _dt(rows[0][1])
        assert synced is not None
        return json.loads(rows[0][0]), synced

    async def set_team_parent(self, tenant_id: str, team_id: str, parent_id: str | None) -> TeamRecord:
        """Set a team's parent from a source that has one (an admin's configuration).

        Raises:
            KeyError: No such team.
            ValueError: The parent is unknown or would make a cycle.
        """
        async with self._write() as tx:
            rows = await tx.all(f"SELECT {_TEAM_COLUMNS} FROM teams WHERE tenant_id = ?", (tenant_id,))
            teams = {t.team_id: t for t in map(_team, rows)}
            if team_id not in teams:
                raise KeyError(team_id)
            if parent_id is not None:
                if parent_id not in teams:
                    raise ValueError(f"Team {parent_id} is not a team of this portal.")
                ancestor: str | None = parent_id
                while ancestor is not None:
                    if ancestor == team_id:
                        raise ValueError(
                            f"Team {parent_id} cannot be the parent of {team_id}: that makes a cycle."
                        )
                    ancestor = teams[ancestor].parent_id
            await tx.execute(
                "UPDATE teams SET parent_id = ? WHERE tenant_id = ? AND team_id = ?",
                (parent_id, tenant_id, team_id),
            )
            row = await tx.one(
                f"SELECT {_TEAM_COLUMNS} FROM teams WHERE tenant_id = ? AND team_id = ?", (tenant_id, team_id)
            )
        assert row is not None
        return _team(row)


class _Tx:
    """Statements inside one open transaction (the store's lock is held)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._db.execute(sql, params) as cursor:
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._db.executemany(sql, rows)

    async def executescript_in_transaction(self, script: str) -> None:
        # executescript() would COMMIT first; run the statements one by one instead.
        for statement in script.split(";"):
            if statement.strip():
                await self._db.execute(statement)

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Any] | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        async with self._db.execute(sql, params) as cursor:
            return [tuple(r) for r in await cursor.fetchall()]


class _LazySqliteIdentityStore:
    """Opens a :class:`SqliteIdentityStore` on its first call, inside the caller's event loop.

    For dependencies built synchronously (the LangGraph Server graph), where the store cannot
    be opened with ``await`` yet. Every protocol method is a coroutine, so each one awaits the
    opening first and then delegates.
    """

    def __init__(self, path: Path | str) -> None:
        self._path = path
        self._store: SqliteIdentityStore | None = None
        self._opening = asyncio.Lock()

    async def _opened(self) -> SqliteIdentityStore:
        async with self._opening:
            if self._store is None:
                self._store = await SqliteIdentityStore.open(self._path)
        return self._store

    async def aclose(self) -> None:
        if self._store is not None:
            await self._store.aclose()
            self._store = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await getattr(await self._opened(), name)(*args, **kwargs)

        return call


def lazy_store(path: Path | str) -> IdentityStore:
    """An identity store at ``path`` opened on first use (no ``await`` needed to build it)."""
    return cast(IdentityStore, _LazySqliteIdentityStore(path))

"""The SQLite identity store: database-enforced uniqueness, transactions, connections and team parents."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.identity import Person, SqliteIdentityStore, TeamInfo

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteIdentityStore]:
    s = await SqliteIdentityStore.open(tmp_path / "identity.sqlite")
    yield s
    await s.aclose()


def people(n: int) -> list[Person]:
    return [Person(str(100 + i), str(900 + i), f"p{i}@x.io", first_name=f"P{i}") for i in range(n)]


def _insert(path: Path, tenant: str, user: str | None, owner: str | None) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO user_mappings (tenant_id, hubspot_user_id, owner_id) VALUES (?, ?, ?)",
            (tenant, user, owner),
        )


async def test_the_database_refuses_a_second_mapping_of_a_user_or_owner_in_a_tenant(
    store: SqliteIdentityStore, tmp_path: Path
) -> None:
    path = tmp_path / "identity.sqlite"
    _insert(path, "t1", "1", "10")
    with pytest.raises(sqlite3.IntegrityError):
        _insert(path, "t1", "1", None)
    with pytest.raises(sqlite3.IntegrityError):
        _insert(path, "t1", None, "10")
    _insert(path, "t2", "1", "10")  # another tenant's portal may reuse the ids
    _insert(path, "t1", None, None)
    _insert(path, "t1", None, None)  # unknown ids never collide
    assert len(await store.mappings("t1")) == 3


async def test_reconcile_is_idempotent(store: SqliteIdentityStore) -> None:
    first = await store.reconcile_people("t1", people(3), now=T0)
    before = await store.mappings("t1")
    second = await store.reconcile_people("t1", people(3), now=T0 + timedelta(hours=1))
    assert first.created == 3
    assert second.as_dict() == {"created": 0, "updated": 0, "soft_deleted": 0, "restored": 0, "unchanged": 3}
    assert await store.mappings("t1") == before  # synced_at untouched: nothing was rewritten


async def test_concurrent_reconciles_on_one_file_never_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    stores = [await SqliteIdentityStore.open(path) for _ in range(3)]
    try:
        results = await asyncio.gather(*(s.reconcile_people("t1", people(50), now=T0) for s in stores))
        assert sorted(r.created for r in results) == [0, 0, 50]
        assert sorted(r.unchanged for r in results) == [0, 50, 50]
        rows = await stores[0].mappings("t1")
        assert len(rows) == 50 and len({m.owner_id for m in rows}) == 50
    finally:
        for s in stores:
            await s.aclose()


async def test_one_store_shared_by_concurrent_tasks_serializes_its_transactions(
    store: SqliteIdentityStore,
) -> None:
    results = await asyncio.gather(*(store.reconcile_people("t1", people(20), now=T0) for _ in range(4)))
    assert sum(r.created for r in results) == 20
    assert len(await store.mappings("t1")) == 20


async def test_a_failed_reconcile_leaves_the_store_as_it_was(store: SqliteIdentityStore) -> None:
    await store.reconcile_people("t1", people(2), now=T0)
    before = await store.mappings("t1", include_deleted=True)
    duplicate = [Person("500", "900", "x@x.io"), Person("501", "900", "y@x.io")]  # one owner id twice
    with pytest.raises(sqlite3.IntegrityError):
        await store.reconcile_people("t1", duplicate, now=T0)
    assert await store.mappings("t1", include_deleted=True) == before


async def test_binding_an_alysio_user_moves_it_from_any_other_mapping(store: SqliteIdentityStore) -> None:
    await store.reconcile_people("t1", people(2), now=T0)
    a, b = await store.mappings("t1")
    await store.bind_alysio_user(a.id, "u-1")
    moved = await store.bind_alysio_user(b.id, "u-1")
    assert moved.alysio_user_id == "u-1"
    assert [m.alysio_user_id for m in await store.mappings("t1")] == [None, "u-1"]


async def test_soft_delete_keeps_rows(store: SqliteIdentityStore) -> None:
    await store.reconcile_people("t1", people(2), now=T0)
    assert await store.soft_delete_mappings("t1", now=T0) == 2
    assert await store.mappings("t1") == []
    assert all(m.deleted_at == T0 for m in await store.mappings("t1", include_deleted=True))


async def test_a_connection_is_registered_once_per_tenant_and_credential(store: SqliteIdentityStore) -> None:
    a = await store.register_connection("t1", "u-1", "cred-1", scopes=("oauth",), now=T0)
    again = await store.register_connection("t1", "u-2", "cred-1", now=T0)
    none_1 = await store.register_connection("t1", "u-1", None, now=T0)
    none_2 = await store.register_connection("t1", "u-1", None, now=T0)
    assert again == a and a.scopes == ("oauth",) and a.active
    assert none_1 == none_2 and none_1.id != a.id
    assert await store.find_connection("t1", "cred-1") == a
    assert await store.find_connection("t2", "cred-1") is None


async def test_connection_status_changes_are_stored(store: SqliteIdentityStore) -> None:
    rec = await store.register_connection("t1", "u-1", "cred-1", now=T0)
    later = T0 + timedelta(minutes=5)
    off = await store.update_connection(rec.id, now=later, status="deauthorized", status_reason="uninstalled")
    assert (off.status, off.status_reason, off.updated_at) == ("deauthorized", "uninstalled", later)
    assert await store.list_connections(status="active") == []
    assert await store.list_connections(status="deauthorized") == [off]
    with pytest.raises(KeyError):
        await store.update_connection("nope", now=later, status="active")


async def test_team_parents_come_only_from_set_team_parent_and_survive_syncs(
    store: SqliteIdentityStore,
) -> None:
    teams = [TeamInfo("1", "Sales"), TeamInfo("2", "East"), TeamInfo("3", "Boston")]
    await store.reconcile_teams("t1", teams, now=T0)
    assert [t.parent_id for t in await store.teams("t1")] == [None, None, None]
    await store.set_team_parent("t1", "2", "1")
    await store.set_team_parent("t1", "3", "2")
    with pytest.raises(ValueError, match="cycle"):
        await store.set_team_parent("t1", "1", "3")
    with pytest.raises(ValueError, match="not a team"):
        await store.set_team_parent("t1", "1", "99")
    with pytest.raises(KeyError):
        await store.set_team_parent("t1", "99", None)
    counts = await store.reconcile_teams("t1", teams, now=T0 + timedelta(days=1))
    assert counts.unchanged == 3
    assert {t.team_id: t.parent_id for t in await store.teams("t1")} == {"1": None, "2": "1", "3": "2"}

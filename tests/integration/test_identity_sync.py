"""Sync of owners, users, roles and teams against the in-process sandbox (demo portal)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.identity import IdentitySync, SqliteIdentityStore, UserMapping
from tools.local import LocalPortal, open_local_portal
from tools.sandbox.store import Owner, User
from tools.scopes_catalog import ALL_SCOPES

LIST_PATHS = {
    "/crm/v3/owners",
    "/settings/v3/users",
    "/settings/v3/users/roles",
    "/settings/v3/users/teams",
    "/crm/v3/pipelines/deals",  # supporting metadata: the deal stages, kept in the store
    "/projects/sandbox-project/sdk/me",
}


@dataclass
class Clock:
    now: datetime = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Setup:
    portal: LocalPortal
    store: SqliteIdentityStore
    sync: IdentitySync
    clock: Clock

    async def run(self) -> dict[str, Any]:
        self.clock.now += timedelta(minutes=1)
        return (await self.sync.sync(self.portal.connection)).as_dict()

    async def by_email(self) -> dict[str, UserMapping]:
        return {m.email or "": m for m in await self.store.mappings("t-local", include_deleted=True)}

    def owner_id(self, email: str) -> str:
        return next(o.id for o in self.portal.sandbox.portal.owners.values() if o.email == email)

    def _raw(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.portal.app)
        return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765")

    async def admin(self, path: str) -> None:
        async with self._raw() as admin:
            (await admin.post(path)).raise_for_status()

    async def hubspot_get(self, path: str) -> httpx.Response:
        """A HubSpot API answer as is (root path, bearer token)."""
        token = self.portal.sandbox.create_token()
        async with self._raw() as raw:
            return (await raw.get(path, headers={"Authorization": f"Bearer {token}"})).raise_for_status()


async def _setup(tmp_path: Path, scopes: tuple[str, ...] = ALL_SCOPES) -> Setup:
    clock = Clock()
    portal = open_local_portal("demo", scopes=scopes)
    store = await SqliteIdentityStore.open(tmp_path / "identity.sqlite")
    return Setup(portal, store, IdentitySync(store, portal.client, clock=clock), clock)


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Setup]:
    setup = await _setup(tmp_path)
    yield setup
    await setup.portal.aclose()
    await setup.store.aclose()


def counts(report: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return (
        report["created"],
        report["updated"],
        report["soft_deleted"],
        report["restored"],
        report["unchanged"],
    )


async def test_first_sync_maps_every_person_with_ids_role_and_teams(s: Setup) -> None:
    report = await s.run()
    assert counts(report) == (6, 0, 0, 0, 0)
    assert report["teams"]["created"] == 3 and report["skipped"] == []
    people = await s.by_email()
    alex = people["alex@acme-sales.io"]
    user = next(u for u in s.portal.sandbox.portal.users.values() if u.email == "alex@acme-sales.io")
    east = next(t for t in s.portal.sandbox.portal.teams.values() if t.name == "Sales - East")
    assert (alex.owner_id, alex.hubspot_user_id) == (s.owner_id("alex@acme-sales.io"), user.id)
    assert (alex.first_name, alex.last_name, alex.role_name) == ("Alex", "Rivera", "Sales Rep")
    assert alex.team_ids == (east.id,) and alex.deleted_at is None and alex.synced_at == s.clock.now
    # Sofia: primary team first, then her two secondary teams (from the users API).
    assert len(people["sofia@acme-sales.io"].team_ids) == 3
    # Daniel is archived in HubSpot: mapped (for labels and audit) but soft-deleted from the start.
    daniel = people["daniel@acme-sales.io"]
    assert daniel.deleted_at == s.clock.now and daniel.owner_id == s.owner_id("daniel@acme-sales.io")
    assert daniel.hubspot_user_id is not None  # from userIdIncludingInactive
    # The connection: portal id from Paragon's /sdk/me (no extra request), scopes, last sync.
    conn = s.portal.connection
    record = await s.store.find_connection(conn.tenant_id, conn.credential_id)
    assert record is not None and record.active
    assert record.portal_id == int(str(s.portal.sandbox.portal.account["portalId"]))
    assert record.last_sync_at == s.clock.now and record.user_id == conn.user_id
    assert "settings.users.teams.read" in record.scopes


async def test_sync_reads_whole_lists_only_archived_owners_included(s: Setup) -> None:
    await s.run()
    sent = s.portal.sandbox.requests
    assert {r["path"] for r in sent} == LIST_PATHS
    owners = [r["query"].get("archived") for r in sent if r["path"] == "/crm/v3/owners"]
    assert sorted(owners) == [["false"], ["true"]]
    assert all(r["method"] == "GET" for r in sent)


async def test_a_second_sync_with_no_hubspot_change_changes_nothing(s: Setup) -> None:
    await s.run()
    before = await s.store.mappings("t-local", include_deleted=True)
    report = await s.run()
    assert counts(report) == (0, 0, 0, 0, 6)
    assert report["teams"]["unchanged"] == 3
    assert await s.store.mappings("t-local", include_deleted=True) == before


async def test_an_email_change_in_hubspot_keeps_the_same_mapping(s: Setup) -> None:
    await s.run()
    old = (await s.by_email())["priya@acme-sales.io"]
    await s.store.bind_alysio_user(old.id, "u-priya")
    # HubSpot: Priya's login email changes (owner and user are one person).
    portal = s.portal.sandbox.portal
    records: list[Owner | User] = [*portal.owners.values(), *portal.users.values()]
    for record in records:
        if record.email == "priya@acme-sales.io":
            record.email = "priya.shah@acme-sales.io"
    report = await s.run()
    assert counts(report) == (0, 1, 0, 0, 5)
    new = (await s.by_email())["priya.shah@acme-sales.io"]
    assert (new.id, new.owner_id, new.hubspot_user_id, new.alysio_user_id) == (
        old.id,
        old.owner_id,
        old.hubspot_user_id,
        "u-priya",
    )
    assert len(await s.store.mappings("t-local", include_deleted=True)) == 6


async def test_an_archived_owner_is_soft_deleted_and_restored_when_back(s: Setup) -> None:
    await s.run()
    marcus_owner = s.owner_id("marcus@acme-sales.io")
    await s.admin(f"/_sandbox/owners/{marcus_owner}/archive")
    archived = await s.run()
    assert counts(archived) == (0, 0, 1, 0, 5)
    marcus = (await s.by_email())["marcus@acme-sales.io"]
    assert marcus.deleted_at == s.clock.now and marcus.owner_id == marcus_owner
    assert marcus.email not in {m.email for m in await s.store.mappings("t-local")}
    # HubSpot reactivates the owner (the sandbox has no admin call for it: set it directly).
    s.portal.sandbox.portal.owners[marcus_owner].archived = False
    restored = await s.run()
    assert counts(restored) == (0, 0, 0, 1, 5)
    back = (await s.by_email())["marcus@acme-sales.io"]
    assert back.id == marcus.id and back.deleted_at is None


async def test_a_removed_user_is_soft_deleted(s: Setup) -> None:
    await s.run()
    jordan = next(u for u in s.portal.sandbox.portal.users.values() if u.email == "jordan@acme-sales.io")
    await s.admin(f"/_sandbox/users/{jordan.id}/archive")
    report = await s.run()
    assert counts(report) == (0, 0, 1, 0, 5)
    mapping = (await s.by_email())["jordan@acme-sales.io"]
    assert mapping.deleted_at is not None and mapping.hubspot_user_id == jordan.id


async def test_without_the_teams_scope_the_team_part_is_skipped_and_reported(tmp_path: Path) -> None:
    scopes = tuple(x for x in ALL_SCOPES if x != "settings.users.teams.read")
    setup = await _setup(tmp_path, scopes)
    try:
        report = await setup.run()
        assert counts(report) == (6, 0, 0, 0, 0)
        assert report["teams"] is None
        assert report["skipped"] == ["teams: the connection lacks settings.users.teams.read"]
        assert "/settings/v3/users/teams" not in {r["path"] for r in setup.portal.sandbox.requests}
        assert await setup.store.teams("t-local") == []
        # Membership still comes with owners and users, so "my team" keeps working.
        assert (await setup.by_email())["alex@acme-sales.io"].team_ids != ()
    finally:
        await setup.portal.aclose()
        await setup.store.aclose()


async def test_team_hierarchy_hubspot_gives_no_parent_and_a_configured_one_is_kept(s: Setup) -> None:
    await s.run()
    teams = {t.name: t for t in await s.store.teams("t-local")}
    assert set(teams) == {"Sales - East", "Sales - West", "Sales Leadership"}
    assert all(t.parent_id is None for t in teams.values())
    # The teams API itself carries no parent field at all.
    body = await s.hubspot_get("/settings/v3/users/teams")
    assert all(set(t) == {"id", "name", "userIds", "secondaryUserIds"} for t in body.json()["results"])
    east, leadership = teams["Sales - East"], teams["Sales Leadership"]
    assert set(east.user_ids) == {
        (await s.by_email())["alex@acme-sales.io"].hubspot_user_id,
        (await s.by_email())["priya@acme-sales.io"].hubspot_user_id,
    }
    await s.store.set_team_parent("t-local", east.team_id, leadership.team_id)
    report = await s.run()
    assert report["teams"]["unchanged"] == 3
    kept = {t.name: t.parent_id for t in await s.store.teams("t-local")}
    assert kept["Sales - East"] == leadership.team_id


async def test_all_pages_are_read(tmp_path: Path) -> None:
    owners = [
        {"ref": f"o{i}", "email": f"rep{i}@big.io", "firstName": "Rep", "lastName": str(i)}
        for i in range(230)
    ]
    users = [{"ref": f"u{i}", "email": f"rep{i}@big.io"} for i in range(230)]
    clock = Clock()
    portal = open_local_portal({"owners": owners, "users": users})
    store = await SqliteIdentityStore.open(tmp_path / "identity.sqlite")
    try:
        report = await IdentitySync(store, portal.client, clock=clock).sync(portal.connection)
        assert report.people.created == 230
        pages = [r for r in portal.sandbox.requests if r["path"] in ("/crm/v3/owners", "/settings/v3/users")]
        assert len(pages) == 3 + 1 + 3  # active owners, archived owners, users: 100 per page
    finally:
        await portal.aclose()
        await store.aclose()


async def test_the_sync_keeps_the_deal_stages_so_a_turn_reads_none(s: Setup) -> None:
    from agent.resolve import PipelineCache

    await s.run()
    kept = await s.store.metadata("t-local", "pipelines:deals")
    assert kept is not None and any(p["id"] == "default" for p in kept[0])
    before = len(s.portal.sandbox.requests)
    cache = PipelineCache(s.portal.client, store=s.store, clock=s.clock)
    pipelines = await cache.pipelines(s.portal.connection)
    assert [st.id for st in pipelines[0].stages][:1] == ["appointmentscheduled"]
    assert len(s.portal.sandbox.requests) == before  # served from the store: no request

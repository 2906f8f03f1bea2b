"""Uninstall: a deauthorized connection sends nothing to HubSpot, stops syncing and soft-deletes its mappings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.audit import MemoryAuditLog
from agent.context import AgentContext
from agent.identity import (
    ConnectionDeauthorized,
    ConnectionGuard,
    IdentitySync,
    SqliteIdentityStore,
    guard_client,
    is_uninstall_signal,
    mark_uninstalled,
    reconnect,
)
from agent.planners.offline import OfflinePlanner
from agent.service import AgentService, Incoming
from tools.hubspot import Connection, HubSpotClient, ReconnectRequired, SearchRequest
from tools.local import LocalPortal, open_local_portal
from tools.scopes_catalog import ALL_SCOPES

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Setup:
    portal: LocalPortal
    store: SqliteIdentityStore
    sync: IdentitySync
    guarded: HubSpotClient
    clock: Clock

    @property
    def conn(self) -> Connection:
        return self.portal.connection

    @property
    def sent(self) -> list[dict[str, Any]]:
        return self.portal.sandbox.requests

    async def connection_id(self) -> str:
        record = await self.store.find_connection(self.conn.tenant_id, self.conn.credential_id)
        assert record is not None
        return record.id


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Setup]:
    clock = Clock()
    portal = open_local_portal("demo", clock=clock)
    store = await SqliteIdentityStore.open(tmp_path / "identity.sqlite")
    sync = IdentitySync(store, portal.client, clock=clock)
    setup = Setup(portal, store, sync, guard_client(portal.client, ConnectionGuard(store)), clock)
    await sync.sync(portal.connection)  # installed and synced
    yield setup
    await portal.aclose()
    await store.aclose()


OPERATIONS: dict[str, Callable[[HubSpotClient, Connection], Awaitable[object]]] = {
    "list_owners": lambda c, conn: c.list_owners(conn),
    "search": lambda c, conn: c.search(conn, "contacts", SearchRequest(query="jane")),
    "get_object": lambda c, conn: c.get_object(conn, "companies", "123"),
    "create": lambda c, conn: c.create(conn, "contacts", {"email": "new@x.io"}),
    "update": lambda c, conn: c.update(conn, "deals", "123", {"amount": "5"}),
    "paragon_me": lambda c, conn: c.paragon_me(conn),
}


async def test_the_guard_lets_requests_through_while_the_connection_is_active(s: Setup) -> None:
    before = len(s.sent)
    owners = await s.guarded.list_owners(s.conn)
    assert owners and len(s.sent) == before + 1


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_after_uninstall_every_request_is_refused_before_sending(s: Setup, operation: str) -> None:
    await mark_uninstalled(s.store, await s.connection_id(), now=s.clock())
    before = len(s.sent)
    with pytest.raises(ReconnectRequired) as refused:
        await OPERATIONS[operation](s.guarded, s.conn)
    assert len(s.sent) == before
    assert refused.value.kind == "reconnect"
    assert "Reconnect HubSpot" in refused.value.user_action


async def test_uninstall_soft_deletes_mappings_and_stops_syncs(s: Setup) -> None:
    record = await mark_uninstalled(s.store, await s.connection_id(), now=s.clock())
    assert (record.status, record.status_reason) == ("deauthorized", "uninstalled")
    assert await s.store.mappings("t-local") == []
    assert len(await s.store.mappings("t-local", include_deleted=True)) == 6
    before = len(s.sent)
    assert await s.sync.sync_all() == []  # the scheduled run skips it
    with pytest.raises(ConnectionDeauthorized):
        await s.sync.sync(s.conn)  # and an explicit one refuses
    assert len(s.sent) == before
    again = await mark_uninstalled(s.store, record.id, now=s.clock())  # idempotent
    assert again.updated_at == record.updated_at


async def test_reconnecting_reactivates_and_the_next_sync_restores_mappings(s: Setup) -> None:
    connection_id = await s.connection_id()
    await mark_uninstalled(s.store, connection_id, now=s.clock())
    s.clock.now += timedelta(hours=1)
    record = await reconnect(s.store, connection_id, now=s.clock())
    assert record.active and record.status_reason == "reconnected"
    await s.guarded.list_owners(s.conn)  # allowed again
    (report,) = await s.sync.sync_all()
    assert report.people.as_dict() == {
        "created": 0,
        "updated": 0,
        "soft_deleted": 0,
        "restored": 5,
        "unchanged": 1,
    }


async def test_an_agent_request_after_uninstall_gets_the_reconnect_message_and_sends_nothing(
    s: Setup,
) -> None:
    await mark_uninstalled(s.store, await s.connection_id(), now=s.clock())
    service = AgentService(s.guarded, OfflinePlanner())
    ctx = AgentContext(
        tenant_id="t-local",
        user_id="u-alex",
        user_email="alex@acme-sales.io",
        credential_id=s.conn.credential_id,
        granted_scopes=frozenset(ALL_SCOPES),
        now=s.clock(),
    )
    before = len(s.sent)
    events = await service.handle("thread-1", ctx, Incoming(text="show my open deals"))
    assert len(s.sent) == before
    errors = [e.error for e in events if e.error is not None]
    assert errors and errors[0].kind == "reconnect"
    assert "Reconnect HubSpot" in (errors[0].action or "")


async def test_paragon_reporting_the_credential_invalid_is_an_uninstall(s: Setup) -> None:
    assert s.conn.credential_id is not None
    s.portal.sandbox.revoke(s.conn.credential_id)
    before = len(s.sent)
    with pytest.raises(ConnectionDeauthorized):
        await s.sync.sync(s.conn)
    assert [r["path"] for r in s.sent[before:]] == ["/projects/sandbox-project/sdk/me"]
    record = await s.store.get_connection(await s.connection_id())
    assert record is not None and (record.status, record.status_reason) == ("deauthorized", "paragon_invalid")
    assert await s.store.mappings("t-local") == []


async def test_the_proxy_saying_integration_not_enabled_is_an_uninstall(s: Setup) -> None:
    # The installer's credential disappeared from Paragon: the proxy answers "Integration not enabled".
    gone = await s.store.register_connection("t-gone", "u-alex", "cred-removed", now=s.clock())
    conn = Connection("t-gone", "u-alex", "cred-removed")
    with pytest.raises(ReconnectRequired) as first:
        await s.guarded.list_owners(conn)
    assert is_uninstall_signal(first.value)
    record = await s.store.get_connection(gone.id)
    assert record is not None and (record.status, record.status_reason) == (
        "deauthorized",
        "proxy_not_enabled",
    )
    before = len(s.sent)
    with pytest.raises(ConnectionDeauthorized):
        await s.guarded.list_owners(conn)
    assert len(s.sent) == before


async def test_a_teammate_without_their_own_paragon_link_does_not_uninstall_the_connection(s: Setup) -> None:
    teammate = Connection("t-local", "u-priya", s.conn.credential_id)
    with pytest.raises(ReconnectRequired):
        await s.guarded.list_owners(teammate)
    record = await s.store.get_connection(await s.connection_id())
    assert record is not None and record.active


async def test_a_plain_hubspot_401_is_not_an_uninstall_signal() -> None:
    assert not is_uninstall_signal(ReconnectRequired("Authentication credentials not found.", status=401))
    assert is_uninstall_signal(ReconnectRequired("HubSpot is not connected for this user.", status=400))


async def test_the_services_audit_hook_reaches_the_client_behind_the_guard(s: Setup) -> None:
    audit = MemoryAuditLog()
    service = AgentService(s.guarded, OfflinePlanner(), audit=audit)
    ctx = AgentContext(
        tenant_id="t-local",
        user_id="u-alex",
        user_email="alex@acme-sales.io",
        credential_id=s.conn.credential_id,
        granted_scopes=frozenset(ALL_SCOPES),
        now=s.clock(),
    )
    before = len(s.sent)
    await service.handle("thread-2", ctx, Incoming(text="show my open deals"))
    assert len(s.sent) > before
    assert len(audit.items) == len(s.sent) - before

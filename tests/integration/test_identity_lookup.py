"""Resolving "me", names, emails and "my team" from the identity store, with one refresh on a miss."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.identity import IdentityLookup, IdentitySync, NoHubSpotOwner, SqliteIdentityStore
from agent.nodes.deps import Deps
from agent.owners import OwnerLookup, OwnerNotFound
from agent.planners.offline import OfflinePlanner
from tools.local import LocalPortal, open_local_portal
from tools.sandbox.store import Owner, User

ALEX = "alex@acme-sales.io"


@dataclass
class Clock:
    now: datetime = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Setup:
    portal: LocalPortal
    store: SqliteIdentityStore
    lookup: IdentityLookup
    clock: Clock

    def owner_id(self, email: str) -> str:
        return next(o.id for o in self.portal.sandbox.portal.owners.values() if o.email == email)

    def syncs(self) -> int:
        """How many syncs reached HubSpot (each reads the active owners list once)."""
        return sum(
            1
            for r in self.portal.sandbox.requests
            if r["path"] == "/crm/v3/owners" and r["query"].get("archived") == ["false"]
        )


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Setup]:
    clock = Clock()
    portal = open_local_portal("demo")
    store = await SqliteIdentityStore.open(tmp_path / "identity.sqlite")
    sync = IdentitySync(store, portal.client, clock=clock)
    yield Setup(portal, store, IdentityLookup(store, sync, clock=clock), clock)
    await portal.aclose()
    await store.aclose()


async def test_it_fits_the_graphs_owner_lookup_slot(s: Setup) -> None:
    owners: OwnerLookup = s.lookup
    deps = Deps(s.portal.client, OfflinePlanner(), owners=owners)
    assert deps.owners is s.lookup


async def test_me_is_the_users_owner_and_the_first_use_syncs_once(s: Setup) -> None:
    owner = await s.lookup.resolve(s.portal.connection, "me", user_email=ALEX)
    assert (owner.id, owner.first_name, owner.email) == (s.owner_id(ALEX), "Alex", ALEX)
    again = await s.lookup.resolve(s.portal.connection, "my", user_email=ALEX)
    assert again.id == owner.id
    assert s.syncs() == 1


async def test_me_is_bound_to_the_alysio_user_so_an_email_change_keeps_it(s: Setup) -> None:
    await s.lookup.resolve(s.portal.connection, "me", user_email=ALEX)
    records: list[Owner | User] = [
        *s.portal.sandbox.portal.owners.values(),
        *s.portal.sandbox.portal.users.values(),
    ]
    for record in records:
        if record.email == ALEX:
            record.email = "alex.rivera@acme-sales.io"
    await s.lookup._sync.sync(s.portal.connection)
    # Alysio still knows the user by the old address; the cached ids keep "me" right.
    owner = await s.lookup.resolve(s.portal.connection, "me", user_email=ALEX)
    assert (owner.id, owner.email) == (s.owner_id("alex.rivera@acme-sales.io"), "alex.rivera@acme-sales.io")


async def test_names_emails_and_owner_ids_resolve(s: Setup) -> None:
    conn = s.portal.connection
    priya = s.owner_id("priya@acme-sales.io")
    assert (await s.lookup.resolve(conn, "Priya", user_email=ALEX)).id == priya
    assert (await s.lookup.resolve(conn, "priya shah", user_email=ALEX)).id == priya
    assert (await s.lookup.resolve(conn, "PRIYA@acme-sales.io", user_email=ALEX)).id == priya
    assert (await s.lookup.resolve(conn, priya, user_email=ALEX)).id == priya


async def test_labels_name_archived_owners_too(s: Setup) -> None:
    conn = s.portal.connection
    await s.lookup.resolve(conn, "me", user_email=ALEX)
    assert await s.lookup.label(conn, s.owner_id("daniel@acme-sales.io")) == "Daniel Okafor"
    assert await s.lookup.label(conn, "999") == "999"
    with pytest.raises(OwnerNotFound):  # but an archived owner is not assignable
        await s.lookup.resolve(conn, "daniel@acme-sales.io", user_email=ALEX)


async def test_my_team_is_the_owner_ids_of_everyone_in_my_teams(s: Setup) -> None:
    conn = s.portal.connection
    alex_team = await s.lookup.team_owner_ids(conn, user_email=ALEX)
    assert set(alex_team) == {s.owner_id(e) for e in (ALEX, "priya@acme-sales.io", "sofia@acme-sales.io")}
    # Sofia leads: primary member of Leadership, secondary of East and West.
    sofia_conn = replace(conn, user_id="u-sofia")
    sofia_team = await s.lookup.team_owner_ids(sofia_conn, user_email="sofia@acme-sales.io")
    active = {o.id for o in s.portal.sandbox.portal.owners.values() if not o.archived}
    assert set(sofia_team) == active


async def test_a_miss_refreshes_from_hubspot_once_then_finds_the_new_owner(s: Setup) -> None:
    conn = s.portal.connection
    await s.lookup.resolve(conn, "me", user_email=ALEX)
    s.portal.sandbox.load_fixture(
        {"owners": [{"ref": "nia", "email": "nia@acme-sales.io", "firstName": "Nia"}]}
    )
    s.clock.now += timedelta(minutes=5)
    owner = await s.lookup.resolve(conn, "nia@acme-sales.io", user_email=ALEX)
    assert owner.id == s.owner_id("nia@acme-sales.io")
    assert s.syncs() == 2


async def test_a_user_without_an_owner_gets_a_clear_answer_after_one_refresh(s: Setup) -> None:
    await s.lookup.resolve(s.portal.connection, "me", user_email=ALEX)  # the installer's first use syncs
    s.clock.now += timedelta(minutes=5)
    conn = replace(s.portal.connection, user_id="u-guest")
    with pytest.raises(
        NoHubSpotOwner, match=r"^There is no HubSpot user for guest@elsewhere\.io in this portal\.$"
    ):
        await s.lookup.resolve(conn, "me", user_email="guest@elsewhere.io")
    assert s.syncs() == 2  # the one refresh of the miss
    # The refresh reads as the connection's installer, whose Paragon credential it is.
    assert {r["user"] for r in s.portal.sandbox.requests} == {"u-alex"}
    with pytest.raises(NoHubSpotOwner):  # asked again at once: no new sync
        await s.lookup.team_owner_ids(conn, user_email="guest@elsewhere.io")
    assert s.syncs() == 2
    assert str(NoHubSpotOwner()) == "You have no HubSpot owner in this portal."


async def test_an_unknown_name_costs_one_refresh_per_interval(s: Setup) -> None:
    conn = s.portal.connection
    await s.lookup.resolve(conn, "me", user_email=ALEX)
    s.clock.now += timedelta(minutes=5)
    for _ in range(3):
        with pytest.raises(OwnerNotFound, match="No HubSpot owner is called"):
            await s.lookup.resolve(conn, "Zebulon", user_email=ALEX)
    assert s.syncs() == 2

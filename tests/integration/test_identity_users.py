"""A person named by email gets their whole identity from the store; the installer is the configured user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.identity import (
    IdentityLookup,
    IdentitySync,
    NoHubSpotOwner,
    SqliteIdentityStore,
    UnknownUser,
    UserIdentity,
    identity_for_email,
    identity_of,
    local_user_id,
    tenant_connection,
)
from agent.runtime import user_for_email
from tools.local import LocalPortal, open_local_portal
from tools.settings import load_settings

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PRIYA = "priya@acme-sales.io"


@dataclass
class Setup:
    portal: LocalPortal
    store: SqliteIdentityStore
    sync: IdentitySync
    lookup: IdentityLookup

    @property
    def installer(self) -> str:
        return self.portal.connection.user_id


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Setup]:
    portal = open_local_portal("demo")
    store = await SqliteIdentityStore.open(tmp_path / "identity.sqlite")
    sync = IdentitySync(store, portal.client, installer=portal.connection.user_id)
    yield Setup(portal, store, sync, IdentityLookup(store, sync))
    await portal.aclose()
    await store.aclose()


def test_local_user_ids_come_from_the_emails_local_part() -> None:
    assert local_user_id("jordan.lee@acme-sales.io") == "u-jordan-lee"
    assert local_user_id("Priya@acme-sales.io") == "u-priya"
    assert local_user_id("+++@x.io") == "u-user"


async def test_an_email_the_store_maps_gives_that_persons_whole_identity(s: Setup) -> None:
    user = await identity_for_email(s.lookup, s.portal.connection, "PRIYA@acme-sales.io")

    assert user == UserIdentity("u-priya", PRIYA, "Priya Shah")


async def test_the_mappings_alysio_user_id_wins_once_bound(s: Setup) -> None:
    conn = replace(s.portal.connection, user_id="alysio-7f3a")
    await s.lookup.me(conn, user_email=PRIYA)  # Priya said "me" once: bound to her Alysio id

    user = await identity_for_email(s.lookup, s.portal.connection, PRIYA)

    assert user.user_id == "alysio-7f3a"


async def test_a_derived_id_someone_else_holds_is_not_reused(s: Setup) -> None:
    await s.lookup.me(replace(s.portal.connection, user_id="u-priya"), user_email="sofia@acme-sales.io")

    user = await identity_for_email(s.lookup, s.portal.connection, PRIYA)

    assert user.user_id == "u-priya-acme-sales-io"
    mapping = await s.lookup.person(s.portal.connection, PRIYA)
    assert mapping is not None and identity_of(mapping, PRIYA, ["u-priya"]).user_id == user.user_id


async def test_an_unknown_email_is_refused_after_the_first_sync_and_binds_nobody(s: Setup) -> None:
    with pytest.raises(UnknownUser) as refused:
        await identity_for_email(s.lookup, s.portal.connection, "stranger@nowhere.io")

    assert str(refused.value) == (
        "There is no HubSpot user for stranger@nowhere.io in workspace t-local (as of its last sync)."
    )
    people = await s.store.mappings("t-local", include_deleted=True)
    assert people and all(m.alysio_user_id is None for m in people)
    syncs = [r for r in s.portal.sandbox.requests if r["path"] == "/crm/v3/owners"]
    with pytest.raises(UnknownUser):  # known to be unknown: no second sync
        await identity_for_email(s.lookup, s.portal.connection, "stranger@nowhere.io")
    assert len([r for r in s.portal.sandbox.requests if r["path"] == "/crm/v3/owners"]) == len(syncs)


async def test_a_teammates_first_sync_registers_the_configured_installer_and_reads_as_them(s: Setup) -> None:
    teammate = replace(s.portal.connection, user_id="u-priya", credential_id=None)

    await s.lookup.me(teammate, user_email=PRIYA)

    (record,) = await s.store.list_connections()
    assert record.user_id == s.installer
    assert {r["user"] for r in s.portal.sandbox.requests} == {s.installer}
    # A turn without a credential id goes through the tenant's connection: no second record.
    assert await tenant_connection(s.store, "t-local", None) == record
    await s.sync.sync(teammate)
    assert len(await s.store.list_connections()) == 1


def test_no_hubspot_owner_names_the_email_and_says_which_case_it_is() -> None:
    assert str(NoHubSpotOwner("x@y.io")) == "There is no HubSpot user for x@y.io in this portal."
    assert str(NoHubSpotOwner("x@y.io", user_without_owner=True)) == (
        "x@y.io is a HubSpot user but not a HubSpot owner in this portal, so no records can be theirs."
    )
    assert str(NoHubSpotOwner()) == "You have no HubSpot owner in this portal."


async def test_user_for_email_keeps_the_configured_user_for_their_own_email(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, hubspot_mode="sandbox")

    assert await user_for_email(settings, None, None) == UserIdentity(
        "u-alex", "alex@acme-sales.io", "Alex Rivera"
    )
    assert (await user_for_email(settings, None, "ALEX@acme-sales.io")).user_id == "u-alex"
    assert await user_for_email(settings, None, "jo@x.io") == UserIdentity("u-jo", "jo@x.io")

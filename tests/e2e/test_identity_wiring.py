"""The service built from the settings resolves people from the identity store and obeys uninstalls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent.context import AgentContext
from agent.identity import ConnectionDeauthorized, IdentityLookup, SqliteIdentityStore, mark_uninstalled
from agent.identity.commands import SANDBOX_CREDENTIAL_ID, store_path
from agent.owners import OwnerDirectory
from agent.plan import Condition, Plan, Question
from agent.runtime import Client, context_for, default_deps, open_service
from agent.service import AgentService, Incoming
from tests.e2e.conftest import ScriptedPlanner
from tools.hubspot import Connection
from tools.local import LocalPortal
from tools.settings import Settings, load_settings


@dataclass
class Running:
    settings: Settings
    service: AgentService
    client: Client
    planner: ScriptedPlanner
    ctx: AgentContext

    @property
    def portal(self) -> LocalPortal:
        assert self.client.portal is not None
        return self.client.portal

    @property
    def sent(self) -> list[dict[str, Any]]:
        return self.portal.sandbox.requests


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[Running]:
    settings = load_settings(data_dir=tmp_path, hubspot_mode="sandbox")
    planner = ScriptedPlanner()
    async with open_service(settings, planner=planner) as (service, client):
        yield Running(settings, service, client, planner, context_for(settings, client))


def team_deals(state: dict[str, Any], email: str) -> tuple[set[str], set[str]]:
    """Owner ids sharing a team with ``email``, and the names of their open deals (from the portal)."""
    owners = state["owners"]
    mine = next(o for o in owners if o["email"] == email)
    teams = {t["id"] for t in mine["teams"]}
    team = {o["id"] for o in owners if not o["archived"] and teams & {t["id"] for t in o.get("teams", [])}}
    deals = {
        d["properties"]["dealname"]
        for d in state["records"]["deals"]
        if not d.get("archived")
        and d["properties"].get("hubspot_owner_id") in team
        and d["properties"].get("hs_is_closed") == "false"
    }
    return team, deals


def my_team_open_deals() -> Plan:
    owner = Condition(property="hubspot_owner_id", operator="EQ", value="my team", kind="owner")
    return Plan(
        intent="question",
        question=Question(kind="list", object_type="deals", deal_status="open", conditions=[owner]),
    )


async def test_the_service_from_settings_resolves_people_from_the_identity_store(run: Running) -> None:
    assert isinstance(run.service.deps.owners, IdentityLookup)


async def test_my_teams_open_deals_lists_the_open_deals_of_everyone_in_my_teams(run: Running) -> None:
    team, expected = team_deals(run.portal.sandbox.state(), run.ctx.user_email)
    assert len(team) > 1 and expected  # the demo portal has a team of several people
    run.planner.will(my_team_open_deals())
    events = await run.service.handle("th-team", run.ctx, Incoming(text="my team's open deals"))
    reply = events[-1]
    assert reply.type == "reply", events
    everyone = [
        d
        for d in run.portal.sandbox.state()["records"]["deals"]
        if d["properties"]["hs_is_closed"] == "false"
    ]
    assert len(everyone) > len(expected)  # so the count proves the owner filter
    assert reply.text.startswith(f"{len(expected)} open deals:")
    listed = [line[2:].split(" ($")[0] for line in reply.text.splitlines() if line.startswith("- ")]
    assert listed and set(listed) <= expected
    assert [r["path"] for r in run.sent].count("/crm/v3/objects/deals/search") == 1


async def test_after_uninstall_any_request_answers_the_reconnect_message_and_sends_nothing(
    run: Running,
) -> None:
    # The chat backend reports the uninstall through its own handle on the same store.
    async with await SqliteIdentityStore.open(store_path(run.settings)) as admin:
        record = await admin.register_connection(
            run.ctx.tenant_id, run.ctx.user_id, run.ctx.credential_id, now=run.ctx.clock()
        )
        await mark_uninstalled(admin, record.id)
    before = len(run.sent)
    for i, text in enumerate(["what are our stages?", "my team's open deals"]):
        run.planner.will(
            Plan(intent="question", question=Question(kind="pipelines")) if i == 0 else my_team_open_deals()
        )
        events = await run.service.handle(f"th-{i}", run.ctx, Incoming(text=text))
        errors = [e.error for e in events if e.error is not None]
        assert errors and errors[0].kind == "reconnect", events
        assert "Reconnect HubSpot" in (errors[0].action or "")
    assert len(run.sent) == before


async def test_owner_directory_team_owner_ids_come_from_the_owners_teams(run: Running) -> None:
    team, _ = team_deals(run.portal.sandbox.state(), run.ctx.user_email)
    directory = OwnerDirectory(run.portal.client)
    conn = run.portal.connection
    assert set(await directory.team_owner_ids(conn, user_email=run.ctx.user_email)) == team


async def test_the_langgraph_server_deps_resolve_from_the_identity_store_and_obey_uninstalls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALYSIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ALYSIO_HUBSPOT_MODE", "sandbox")
    settings = load_settings()
    deps = default_deps()  # built synchronously; the store opens on first use
    lookup = deps.owners
    assert isinstance(lookup, IdentityLookup)
    conn = Connection(settings.tenant_id, settings.user_id, SANDBOX_CREDENTIAL_ID)
    try:
        me = await lookup.resolve(conn, "me", user_email=settings.user_email)
        assert me.email == settings.user_email
        async with await SqliteIdentityStore.open(store_path(settings)) as admin:
            record = await admin.find_connection(settings.tenant_id, SANDBOX_CREDENTIAL_ID)
            assert record is not None
            await mark_uninstalled(admin, record.id)
        with pytest.raises(ConnectionDeauthorized):
            await deps.client.list_owners(conn)
    finally:
        await deps.client.aclose()
        await lookup._store.aclose()


def my_deals() -> Plan:
    mine = Condition(property="hubspot_owner_id", operator="EQ", value="me", kind="owner")
    return Plan(intent="question", question=Question(kind="list", object_type="deals", conditions=[mine]))


@pytest.mark.parametrize(
    ("email", "user_id", "answer"),
    [
        (
            "stranger@nowhere.io",
            "u-stranger",
            "There is no HubSpot user for stranger@nowhere.io in this portal.",
        ),
        # In HubSpot, but never connected HubSpot through Paragon for herself.
        ("priya@acme-sales.io", "u-priya", "HubSpot is not connected for this user."),
    ],
)
async def test_whoever_chats_first_the_connection_is_the_configured_installers_and_stays_active(
    run: Running, email: str, user_id: str, answer: str
) -> None:
    """Issue row: an unknown user's first turn marked the shared connection deauthorized for everyone."""
    them = context_for(
        run.settings, run.client, user_id=user_id, user_email=email, user_name="", credential_id=None
    )
    run.planner.will(my_deals())

    events = await run.service.handle("th-them", them, Incoming(text="show my deals"))

    assert [e.type for e in events] == ["error"] and events[0].text.startswith(answer), events
    async with await SqliteIdentityStore.open(store_path(run.settings)) as store:
        (record,) = await store.list_connections(tenant_id=run.settings.tenant_id)
        assert (record.user_id, record.status) == (run.settings.user_id, "active")
        people = await store.mappings(run.settings.tenant_id, include_deleted=True)
    assert people and all(m.alysio_user_id in (None, user_id) for m in people)
    assert len([m for m in people if not m.deleted]) == len(
        [o for o in run.portal.sandbox.state()["owners"] if not o["archived"]]
    )  # the sync kept every live person; nobody's mapping was soft-deleted
    # The sync read as the installer; only the user's own request (if any) went out as them.
    assert {r["user"] for r in run.sent if r["path"] != "/crm/v3/objects/deals/search"} == {"u-alex"}

    run.planner.will(my_team_open_deals())
    after = await run.service.handle("th-alex", run.ctx, Incoming(text="my team's open deals"))

    assert after[-1].type == "reply", after

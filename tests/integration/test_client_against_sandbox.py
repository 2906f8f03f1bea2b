"""Contract tests: the real client, in sandbox mode (Paragon path), against the in-process sandbox.

The two sides were written independently (the sandbox implements HubSpot's rules on its own), so
agreement here means the client speaks HubSpot as the sandbox understands it, and vice versa.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tools.hubspot import MissingScopes, NotFound, ReconnectRequired, ValidationFailed
from tools.hubspot.models import AssociationInput, Filter, FilterGroup, SearchRequest
from tools.local import LocalPortal, open_local_portal
from tools.scopes_catalog import ALL_SCOPES

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

PORTAL: dict[str, Any] = {
    "owners": [
        {"ref": "alex", "email": "alex@acme-sales.io", "firstName": "Alex", "lastName": "Rivera"},
        {"ref": "sam", "email": "sam@acme-sales.io", "firstName": "Sam", "lastName": "Lee"},
    ],
    "companies": [
        {"ref": "acme", "properties": {"name": "Acme Corp", "domain": "acme.com"}},
        {"ref": "globex", "properties": {"name": "Globex", "domain": "globex.com", "city": "Springfield"}},
        {"ref": "globex2", "properties": {"name": "Globex Corporation", "domain": "globex.com"}},
    ],
    "contacts": [
        {
            "ref": "jane",
            "properties": {"firstname": "Jane", "lastname": "Doe", "email": "jane@acme.com"},
            "associations": [{"to": "companies", "ref": "acme"}],
        },
        {
            "ref": "hank",
            "properties": {"firstname": "Hank", "lastname": "Scorpio", "email": "hank@globex.com"},
            "associations": [{"to": "companies", "ref": "globex2"}],
        },
    ],
    "deals": [
        {
            "ref": "globex_deal",
            "properties": {
                "dealname": "Globex renewal",
                "amount": "12000",
                "pipeline": "default",
                "dealstage": {"stage": "Qualified To Buy"},
                "hubspot_owner_id": {"owner": "alex"},
            },
            "associations": [{"to": "companies", "ref": "globex"}],
        }
    ],
}


class FakeSleep:
    """Records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def portal() -> AsyncIterator[LocalPortal]:
    lp = open_local_portal(PORTAL, clock=lambda: NOW, sleep=FakeSleep())
    yield lp
    await lp.aclose()


async def find_company(lp: LocalPortal, name: str) -> str:
    page = await lp.client.search(
        lp.connection,
        "companies",
        SearchRequest(
            filter_groups=[FilterGroup(filters=[Filter(property_name="name", operator="EQ", value=name)])]
        ),
    )
    assert page.total == 1, page
    return page.results[0].id


def sent(lp: LocalPortal) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in lp.sandbox.requests]


async def test_reads_account_owners_users_pipelines_and_properties(portal: LocalPortal) -> None:
    c, conn = portal.client, portal.connection
    account = await c.account_details(conn)
    assert account.portal_id > 0 and account.ui_domain
    owners = await c.list_owners(conn)
    assert {o.email for o in owners} == {"alex@acme-sales.io", "sam@acme-sales.io"}
    users = await c.list_users(conn)
    assert {u.email for u in users} >= {"alex@acme-sales.io", "sam@acme-sales.io"}
    assert await c.list_roles(conn) is not None
    pipelines = await c.list_pipelines(conn, "deals")
    default = next(p for p in pipelines if p.id == "default")
    stages = await c.pipeline_stages(conn, "deals", "default")
    assert [s.id for s in stages] == [s.id for s in default.stages]
    assert [s.id for s in stages][:2] == ["appointmentscheduled", "qualifiedtobuy"]
    props = await c.list_properties(conn, "deals")
    assert {"dealname", "amount", "dealstage", "closedate", "pipeline"} <= {p.name for p in props}
    # every request went through the Paragon proxy, as the production client's do
    assert {r["mode"] for r in portal.sandbox.requests} == {"paragon"}


async def test_create_deal_with_inline_company_association_then_read_it_back(portal: LocalPortal) -> None:
    c, conn = portal.client, portal.connection
    acme = await find_company(portal, "Acme Corp")
    deal = await c.create(
        conn,
        "deals",
        {
            "dealname": "Acme expansion",
            "amount": "50000",
            "pipeline": "default",
            "dealstage": "appointmentscheduled",
        },
        associations=[AssociationInput.default("deals", "companies", acme)],
    )
    assert deal.id and deal.properties["dealname"] == "Acme expansion"
    assert deal.properties["amount"] == "50000"
    links = await c.list_associations(conn, "deals", deal.id, "companies")
    assert [a.to_object_id for a in links] == [acme]
    back = await c.list_associations(conn, "companies", acme, "deals")
    assert deal.id in {str(a.to_object_id) for a in back}
    fetched = await c.get_object(conn, "deals", deal.id, properties=["dealname", "amount"])
    assert fetched.properties["dealname"] == "Acme expansion"
    writes = [m for m, p in sent(portal) if m in ("POST", "PATCH", "PUT") and not p.endswith("/search")]
    assert writes == ["POST"]


async def test_update_and_search_with_typed_filters(portal: LocalPortal) -> None:
    c, conn = portal.client, portal.connection
    page = await c.search(conn, "deals", SearchRequest(query="Globex renewal"))
    deal_id = page.results[0].id
    updated = await c.update(conn, "deals", deal_id, {"amount": "60000", "dealstage": "contractsent"})
    assert updated.properties["amount"] == "60000"
    big = await c.search(
        conn,
        "deals",
        SearchRequest(
            filter_groups=[
                FilterGroup(filters=[Filter(property_name="amount", operator="GT", value="50000")])
            ]
        ),
    )
    assert [r.id for r in big.results] == [deal_id]


async def test_validation_error_names_the_property(portal: LocalPortal) -> None:
    with pytest.raises(ValidationFailed) as info:
        await portal.client.create(portal.connection, "deals", {"dealname": "X", "amount": "lots"})
    assert "amount" in info.value.property_names


async def test_merge_companies_leaves_one_survivor_reachable_by_both_ids(portal: LocalPortal) -> None:
    c, conn = portal.client, portal.connection
    page = await c.search(conn, "companies", SearchRequest(query="globex"))
    ids = {r.properties["name"]: r.id for r in page.results}
    primary, other = ids["Globex"], ids["Globex Corporation"]
    merged = await c.merge_companies(conn, primary, other)
    assert merged.properties["name"] == "Globex"
    for old in (primary, other):
        assert (await c.get_object(conn, "companies", old)).id == merged.id
    after = await c.search(conn, "companies", SearchRequest(query="globex"))
    assert [r.id for r in after.results] == [merged.id]
    # the secondary's contact (Hank) now hangs off the survivor
    contacts = await c.list_associations(conn, "companies", merged.id, "contacts")
    assert len(contacts) == 1


async def test_default_association_put_links_both_directions(portal: LocalPortal) -> None:
    c, conn = portal.client, portal.connection
    acme = await find_company(portal, "Acme Corp")
    hank = (await c.search(conn, "contacts", SearchRequest(query="hank@globex.com"))).results[0].id
    await c.associate_default(conn, "contacts", hank, "companies", acme)
    assert acme in {
        str(a.to_object_id) for a in await c.list_associations(conn, "contacts", hank, "companies")
    }
    assert hank in {
        str(a.to_object_id) for a in await c.list_associations(conn, "companies", acme, "contacts")
    }


async def test_missing_scope_is_caught_before_anything_is_sent() -> None:
    read_only = [s for s in ALL_SCOPES if not s.endswith(".write")]
    async with open_local_portal(PORTAL, scopes=read_only, clock=lambda: NOW) as lp:
        with pytest.raises(MissingScopes) as info:
            await lp.client.create(lp.connection, "deals", {"dealname": "Nope"})
        assert "crm.objects.deals.write" in info.value.required
        assert lp.sandbox.requests == []


async def test_hubspot_403_narrows_what_the_client_believes_was_granted() -> None:
    no_deals = [s for s in ALL_SCOPES if not s.startswith("crm.objects.deals")]
    async with open_local_portal(PORTAL, scopes=no_deals, clock=lambda: NOW) as lp:
        # The client is told (wrongly) that everything was granted; HubSpot's 403 corrects it.
        lp.client.set_granted_scopes(lp.connection, ALL_SCOPES)
        with pytest.raises(MissingScopes):
            await lp.client.search(lp.connection, "deals", SearchRequest())
        assert len(lp.sandbox.requests) == 1
        with pytest.raises(MissingScopes):
            await lp.client.search(lp.connection, "deals", SearchRequest())
        assert len(lp.sandbox.requests) == 1  # the second refusal happened before sending


async def test_revoked_or_missing_connection_asks_to_reconnect() -> None:
    async with open_local_portal(PORTAL, clock=lambda: NOW) as lp:
        assert lp.connection.credential_id is not None
        lp.sandbox.revoke(lp.connection.credential_id)
        with pytest.raises(ReconnectRequired) as info:
            await lp.client.account_details(lp.connection)
        assert "reconnect" in info.value.user_action.lower()
    async with open_local_portal(PORTAL, connected=False, clock=lambda: NOW) as lp:
        with pytest.raises(ReconnectRequired):
            await lp.client.list_owners(lp.connection)


async def test_transient_5xx_on_reads_is_retried_without_real_sleeping() -> None:
    sleep = FakeSleep()
    async with open_local_portal(PORTAL, clock=lambda: NOW, sleep=sleep) as lp:
        lp.sandbox.add_fault(
            kind="status", status=503, count=2, method="POST", path="/crm/v3/objects/companies/search"
        )
        page = await lp.client.search(lp.connection, "companies", SearchRequest(query="Acme"))
        assert page.total == 1
        statuses = [r["status"] for r in lp.sandbox.requests]
        assert statuses == [503, 503, 200]
        assert len(sleep.waits) >= 2


async def test_unknown_record_is_not_found(portal: LocalPortal) -> None:
    with pytest.raises(NotFound):
        await portal.client.get_object(portal.connection, "contacts", "999999999")


async def test_the_client_never_sends_delete(portal: LocalPortal) -> None:
    acme = await find_company(portal, "Acme Corp")
    await portal.client.update(portal.connection, "companies", acme, {"city": "Boston"})
    assert all(m != "DELETE" for m, _ in sent(portal))

"""CRM search: operators, typed comparison, query, sorts, property selection, paging and limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import FakeClock, error_body_ok
from tools.sandbox import Sandbox

PORTAL: dict[str, Any] = {
    "companies": [
        {
            "ref": "acme",
            "properties": {
                "name": "Acme Corp",
                "domain": "acme.com",
                "annualrevenue": "5000000",
                "industry": "COMPUTER_SOFTWARE",
            },
        },
        {
            "ref": "globex",
            "properties": {"name": "Globex", "domain": "globex.com", "annualrevenue": "750000"},
        },
        {"ref": "initech", "properties": {"name": "Initech", "domain": "initech.io"}},
    ],
    "contacts": [
        {
            "ref": "jane",
            "properties": {
                "firstname": "Jane",
                "lastname": "Doe",
                "email": "jane@acme.com",
                "lifecyclestage": "lead",
            },
        },
        {
            "ref": "jane2",
            "properties": {
                "firstname": "Jane",
                "lastname": "Smith",
                "email": "jane.smith@globex.com",
                "lifecyclestage": "customer",
            },
        },
        {"ref": "bob", "properties": {"firstname": "Bob", "lastname": "Stone", "email": "bob@initech.io"}},
    ],
    "deals": [
        {
            "ref": "d1",
            "properties": {
                "dealname": "Acme expansion",
                "amount": "50000",
                "closedate": "2026-03-15T12:00:00Z",
                "dealstage": {"stage": "Contract Sent"},
            },
            "associations": [{"to": "companies", "ref": "acme"}],
        },
        {
            "ref": "d2",
            "properties": {
                "dealname": "Globex renewal",
                "amount": "9000.50",
                "closedate": "2026-04-20T12:00:00Z",
                "dealstage": {"stage": "Closed Won"},
            },
        },
        {
            "ref": "d3",
            "properties": {
                "dealname": "Initech pilot",
                "amount": "120000",
                "dealstage": {"stage": "Appointment Scheduled"},
            },
        },
    ],
}


@pytest.fixture
def refs(sandbox: Sandbox) -> dict[str, str]:
    return sandbox.load_fixture(PORTAL)


async def _search(client: httpx.AsyncClient, object_type: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/crm/v3/objects/{object_type}/search", json=body)


def _f(name: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    f: dict[str, Any] = {"propertyName": name, "operator": op, **extra}
    if value is not None:
        f["value"] = value
    return f


async def _ids(client: httpx.AsyncClient, object_type: str, *filters: dict[str, Any]) -> set[str]:
    r = await _search(client, object_type, {"filterGroups": [{"filters": list(filters)}], "limit": 200})
    assert r.status_code == 200, r.text
    return {x["id"] for x in r.json()["results"]}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([_f("amount", "EQ", "50000")], {"d1"}),
        ([_f("amount", "NEQ", "50000")], {"d2", "d3"}),
        ([_f("amount", "LT", "50000")], {"d2"}),
        ([_f("amount", "LTE", "50000")], {"d1", "d2"}),
        ([_f("amount", "GT", "9000.5")], {"d1", "d3"}),
        ([_f("amount", "GTE", "9000.5")], {"d1", "d2", "d3"}),
        ([_f("amount", "BETWEEN", "9000", highValue="60000")], {"d1", "d2"}),
        ([_f("dealstage", "IN", values=["closedwon", "contractsent"])], {"d1", "d2"}),
        ([_f("dealstage", "NOT_IN", values=["closedwon"])], {"d1", "d3"}),
        ([_f("closedate", "HAS_PROPERTY")], {"d1", "d2"}),
        ([_f("closedate", "NOT_HAS_PROPERTY")], {"d3"}),
        ([_f("dealname", "CONTAINS_TOKEN", "expansion")], {"d1"}),
        ([_f("dealname", "NOT_CONTAINS_TOKEN", "expansion")], {"d2", "d3"}),
        ([_f("dealname", "CONTAINS_TOKEN", "ren*")], {"d2"}),
        # numbers compare as numbers, not strings ("120000" < "50000" as text)
        ([_f("amount", "GT", "100000")], {"d3"}),
        # datetimes compare by instant; filter values are epoch ms (or ISO)
        ([_f("closedate", "LT", "1775000000000")], {"d1"}),
        ([_f("closedate", "GTE", "2026-04-01")], {"d2"}),
        ([_f("amount", "GT", "1000"), _f("dealstage", "EQ", "closedwon")], {"d2"}),
    ],
)
async def test_all_operators_with_typed_comparison(
    client: httpx.AsyncClient, refs: dict[str, str], filters: list[dict[str, Any]], expected: set[str]
) -> None:
    assert await _ids(client, "deals", *filters) == {refs[r] for r in expected}


async def test_string_eq_is_case_insensitive_but_enumerations_are_not(
    client: httpx.AsyncClient, refs: dict[str, str]
) -> None:
    assert await _ids(client, "contacts", _f("email", "EQ", "JANE@ACME.COM")) == {refs["jane"]}
    assert await _ids(client, "contacts", _f("lifecyclestage", "EQ", "LEAD")) == set()
    assert await _ids(client, "contacts", _f("lifecyclestage", "EQ", "lead")) == {refs["jane"]}


async def test_string_in_needs_lowercase_values(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    assert await _ids(client, "contacts", _f("firstname", "IN", values=["jane"])) == {
        refs["jane"],
        refs["jane2"],
    }
    assert await _ids(client, "contacts", _f("firstname", "IN", values=["Jane"])) == set()


async def test_contains_token_wildcard_matches_email_domain(
    client: httpx.AsyncClient, refs: dict[str, str]
) -> None:
    assert await _ids(client, "contacts", _f("email", "CONTAINS_TOKEN", "*@globex.com")) == {refs["jane2"]}


async def test_filter_groups_are_ored(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    body = {
        "filterGroups": [
            {"filters": [_f("firstname", "EQ", "bob")]},
            {"filters": [_f("lastname", "EQ", "doe")]},
        ]
    }
    r = await _search(client, "contacts", body)
    assert {x["id"] for x in r.json()["results"]} == {refs["bob"], refs["jane"]}


async def test_association_pseudo_property(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    assert await _ids(client, "deals", _f("associations.company", "EQ", refs["acme"])) == {refs["d1"]}


async def test_query_searches_default_searchable_properties(
    client: httpx.AsyncClient, refs: dict[str, str]
) -> None:
    r = await _search(client, "contacts", {"query": "jane"})
    assert {x["id"] for x in r.json()["results"]} == {refs["jane"], refs["jane2"]}
    r = await _search(client, "companies", {"query": "acme.com"})
    assert [x["id"] for x in r.json()["results"]] == [refs["acme"]]
    r = await _search(client, "deals", {"query": "renewal"})
    assert [x["id"] for x in r.json()["results"]] == [refs["d2"]]


async def test_sorts_accept_objects_and_strings(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    desc = await _search(client, "deals", {"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}]})
    assert [x["id"] for x in desc.json()["results"]] == [refs["d3"], refs["d1"], refs["d2"]]
    asc = await _search(client, "deals", {"sorts": ["amount"]})
    assert [x["id"] for x in asc.json()["results"]] == [refs["d2"], refs["d1"], refs["d3"]]
    minus = await _search(client, "deals", {"sorts": ["-amount"]})
    assert [x["id"] for x in minus.json()["results"]] == [refs["d3"], refs["d1"], refs["d2"]]
    # unset values sort last whatever the direction
    by_close = await _search(
        client, "deals", {"sorts": [{"propertyName": "closedate", "direction": "DESCENDING"}]}
    )
    assert [x["id"] for x in by_close.json()["results"]] == [refs["d2"], refs["d1"], refs["d3"]]


async def test_default_order_is_creation_oldest_first(
    client: httpx.AsyncClient, refs: dict[str, str]
) -> None:
    r = await _search(client, "deals", {})
    assert [x["id"] for x in r.json()["results"]] == [refs["d1"], refs["d2"], refs["d3"]]


async def test_properties_selection_adds_system_properties(
    client: httpx.AsyncClient, refs: dict[str, str]
) -> None:
    r = await _search(client, "companies", {"properties": ["annualrevenue", "name", "nope"], "limit": 1})
    props = r.json()["results"][0]["properties"]
    assert set(props) == {"annualrevenue", "name", "createdate", "hs_lastmodifieddate", "hs_object_id"}
    r = await _search(client, "contacts", {"properties": ["jobtitle"], "limit": 1})
    assert set(r.json()["results"][0]["properties"]) == {
        "jobtitle",
        "createdate",
        "lastmodifieddate",
        "hs_object_id",
    }


async def test_default_properties_per_type(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    deal = (await _search(client, "deals", {"limit": 1})).json()["results"][0]
    assert set(deal["properties"]) == {
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    }
    assert "associations" not in deal


async def test_paging_with_after_offset_and_total(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.load_fixture(
        {"companies": [{"ref": f"c{i}", "properties": {"name": f"Co {i}"}} for i in range(25)]}
    )
    first = (await _search(client, "companies", {"limit": 10})).json()
    assert first["total"] == 25
    assert first["paging"]["next"]["after"] == "10"
    last = (await _search(client, "companies", {"limit": 10, "after": "20"})).json()
    assert len(last["results"]) == 5
    assert "paging" not in last
    assert last["total"] == 25


async def test_results_are_capped_at_ten_thousand(client: httpx.AsyncClient) -> None:
    r = await _search(client, "contacts", {"limit": 200, "after": "9900"})
    assert r.status_code == 400
    error_body_ok(r.json(), "VALIDATION_ERROR")
    ok = await _search(client, "contacts", {"limit": 200, "after": "9800"})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"filterGroups": [{"filters": [_f("email", "HAS_PROPERTY")]}] * 6},
        {"filterGroups": [{"filters": [_f("email", "HAS_PROPERTY")] * 7}]},
        {"filterGroups": [{"filters": [_f("email", "HAS_PROPERTY")] * 5}] * 4},
        {"limit": 201},
        {"limit": 0},
        {"limit": "many"},
        {"after": "x"},
        {"filterGroups": [{"filters": [_f("email", "LIKE", "x")]}]},
        {"filterGroups": [{"filters": [_f("email", "EQ")]}]},
        {"filterGroups": [{"filters": [_f("amount", "BETWEEN", "1")]}]},
        {"filterGroups": [{"filters": [_f("nosuch", "EQ", "1")]}]},
        {"filterGroups": [{"filters": [_f("createdate", "GT", "yesterday")]}]},
        {"filterGroups": "nope"},
        {"sorts": [{"propertyName": "email", "direction": "UP"}]},
        {"query": "x" * 3001},
    ],
)
async def test_rule_violations_answer_400_validation_error(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    r = await _search(client, "contacts", body)
    assert r.status_code == 400
    error_body_ok(r.json(), "VALIDATION_ERROR")


async def test_limits_at_the_maximum_are_accepted(client: httpx.AsyncClient) -> None:
    five_groups = {"filterGroups": [{"filters": [_f("email", "HAS_PROPERTY")] * 3}] * 5, "limit": 200}
    assert (await _search(client, "contacts", five_groups)).status_code == 200
    eighteen = {"filterGroups": [{"filters": [_f("email", "HAS_PROPERTY")] * 6}] * 3}
    assert (await _search(client, "contacts", eighteen)).status_code == 200


async def test_updated_records_are_found_by_their_new_values(
    client: httpx.AsyncClient, refs: dict[str, str], clock: FakeClock
) -> None:
    await client.patch(f"/crm/v3/objects/deals/{refs['d3']}", json={"properties": {"amount": "10"}})
    assert await _ids(client, "deals", _f("amount", "LT", "100")) == {refs["d3"]}


async def test_optional_search_lag_hides_just_created_records(
    client: httpx.AsyncClient,
    sandbox: Sandbox,
    clock: FakeClock,
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    async with make_client() as admin:
        assert (await admin.post("/_sandbox/search-lag", json={"seconds": 2})).json() == {"seconds": 2.0}
    await client.post("/crm/v3/objects/companies", json={"properties": {"name": "Fresh Co"}})
    by_name = {"filterGroups": [{"filters": [_f("name", "EQ", "fresh co")]}]}
    assert (await _search(client, "companies", by_name)).json()["total"] == 0
    assert (await _search(client, "companies", {"query": "fresh"})).json()["total"] == 0
    clock.advance(seconds=2)
    assert (await _search(client, "companies", by_name)).json()["total"] == 1


async def test_query_words_may_match_different_properties(
    client: httpx.AsyncClient, refs: dict[str, str]
) -> None:
    r = await _search(client, "contacts", {"query": "Jane Smith"})
    assert [x["id"] for x in r.json()["results"]] == [refs["jane2"]]
    assert (await _search(client, "contacts", {"query": "jane stone"})).json()["total"] == 0

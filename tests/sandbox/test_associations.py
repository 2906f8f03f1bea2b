"""Associations v4 and company merge."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tools.sandbox import Sandbox
from tools.sandbox.catalog import ASSOCIATION_TYPES

PORTAL: dict[str, Any] = {
    "companies": [{"ref": "acme", "properties": {"name": "Acme Corp", "domain": "acme.com"}}],
    "contacts": [{"ref": "jane", "properties": {"email": "jane@acme.com"}}],
    "deals": [{"ref": "deal", "properties": {"dealname": "Acme expansion"}}],
}


@pytest.fixture
def refs(sandbox: Sandbox) -> dict[str, str]:
    return sandbox.load_fixture(PORTAL)


async def _types(
    client: httpx.AsyncClient, from_type: str, from_id: str, to_type: str
) -> dict[str, list[int]]:
    r = await client.get(f"/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}")
    assert r.status_code == 200
    return {
        str(x["toObjectId"]): sorted(t["typeId"] for t in x["associationTypes"]) for x in r.json()["results"]
    }


@pytest.mark.parametrize(
    ("a", "b", "forward", "backward"),
    [
        ("deals", "companies", 341, 342),
        ("contacts", "companies", 279, 280),
        ("deals", "contacts", 3, 4),
        ("notes", "contacts", 202, 201),
        ("tasks", "deals", 216, 215),
        ("calls", "companies", 182, 181),
        ("emails", "contacts", 198, 197),
        ("meetings", "deals", 212, 211),
    ],
)
async def test_default_put_uses_hubspot_type_ids_in_both_directions(
    client: httpx.AsyncClient, sandbox: Sandbox, a: str, b: str, forward: int, backward: int
) -> None:
    records: dict[str, dict[str, Any]] = {
        "companies": {"name": "Acme"},
        "contacts": {"email": "x@acme.com"},
        "deals": {"dealname": "d"},
        "notes": {"hs_note_body": "n", "hs_timestamp": "2026-03-01T10:00:00Z"},
        "tasks": {"hs_task_subject": "t", "hs_timestamp": "2026-03-01T10:00:00Z"},
        "calls": {"hs_call_title": "c", "hs_timestamp": "2026-03-01T10:00:00Z"},
        "emails": {"hs_email_subject": "e", "hs_timestamp": "2026-03-01T10:00:00Z"},
        "meetings": {"hs_meeting_title": "m", "hs_timestamp": "2026-03-01T10:00:00Z"},
    }
    aid = (await client.post(f"/crm/v3/objects/{a}", json={"properties": records[a]})).json()["id"]
    bid = (await client.post(f"/crm/v3/objects/{b}", json={"properties": records[b]})).json()["id"]
    r = await client.put(f"/crm/v4/objects/{a}/{aid}/associations/default/{b}/{bid}")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "COMPLETE"
    assert body["results"][0]["associationSpec"] == {
        "associationCategory": "HUBSPOT_DEFINED",
        "associationTypeId": forward,
    }
    assert await _types(client, a, aid, b) == {bid: [forward]}
    assert await _types(client, b, bid, a) == {aid: [backward]}


def test_every_type_id_matches_the_sdk_enum_name() -> None:
    from hubspot.crm.association_type import AssociationType

    singular = {
        "contact": "contacts",
        "company": "companies",
        "deal": "deals",
        "note": "notes",
        "task": "tasks",
        "call": "calls",
        "email": "emails",
        "meeting": "meetings",
    }
    sdk = {v: k for k, v in vars(AssociationType).items() if isinstance(v, int)}
    checked = 0
    for type_id, d in ASSOCIATION_TYPES.items():
        if type_id not in sdk:
            continue
        words = sdk[type_id].removeprefix("PRIMARY_").removesuffix("_UNLABELED").lower()
        from_name, _, to_name = words.partition("_to_")
        if from_name in singular and to_name in singular:
            assert (d.from_type, d.to_type) == (singular[from_name], singular[to_name]), sdk[type_id]
            assert sdk[type_id].startswith("PRIMARY_") == d.primary
            checked += 1
        assert ASSOCIATION_TYPES[d.inverse_id].inverse_id == type_id
    assert checked >= 40


async def test_inline_associations_on_create_link_both_ways(
    client: httpx.AsyncClient, refs: dict[str, str]
) -> None:
    r = await client.post(
        "/crm/v3/objects/deals",
        json={
            "properties": {"dealname": "Inline"},
            "associations": [
                {
                    "to": {"id": refs["acme"]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}],
                },
                {
                    "to": {"id": int(refs["jane"])},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}],
                },
            ],
        },
    )
    assert r.status_code == 201
    deal_id = r.json()["id"]
    assert await _types(client, "deals", deal_id, "companies") == {refs["acme"]: [5, 341]}
    assert (await _types(client, "companies", refs["acme"], "deals"))[deal_id] == [6, 342]
    assert await _types(client, "contacts", refs["jane"], "deals") == {deal_id: [4]}


@pytest.mark.parametrize(
    "assoc",
    [
        [{"to": {"id": "1"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]}],
        [
            {
                "to": {"id": "{acme}"},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
            }
        ],
        [
            {
                "to": {"id": "{acme}"},
                "types": [{"associationCategory": "USER_DEFINED", "associationTypeId": 5}],
            }
        ],
        [{"to": {"id": "{acme}"}}],
        "nope",
    ],
)
async def test_invalid_inline_associations_are_rejected_and_create_nothing(
    client: httpx.AsyncClient, refs: dict[str, str], sandbox: Sandbox, assoc: Any
) -> None:
    if isinstance(assoc, list):
        for a in assoc:
            a["to"]["id"] = a["to"]["id"].replace("{acme}", refs["acme"])
    before = len(sandbox.state()["records"]["deals"])
    r = await client.post(
        "/crm/v3/objects/deals", json={"properties": {"dealname": "x"}, "associations": assoc}
    )
    assert r.status_code == 400
    assert len(sandbox.state()["records"]["deals"]) == before


async def test_primary_company_association_shows_primary_label(
    client: httpx.AsyncClient, refs: dict[str, str]
) -> None:
    await client.put(
        f"/crm/v4/objects/contacts/{refs['jane']}/associations/companies/{refs['acme']}",
        json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
    )
    r = await client.get(f"/crm/v4/objects/contacts/{refs['jane']}/associations/companies")
    [item] = r.json()["results"]
    assert {(t["typeId"], t["label"]) for t in item["associationTypes"]} == {(1, "Primary"), (279, None)}
    contact = (
        await client.get(f"/crm/v3/objects/contacts/{refs['jane']}", params={"associations": "companies"})
    ).json()
    assert {x["type"] for x in contact["associations"]["companies"]["results"]} == {
        "contact_to_company",
        "contact_to_company_unlabeled",
    }
    props = (
        await client.get(f"/crm/v3/objects/contacts/{refs['jane']}?properties=associatedcompanyid")
    ).json()
    assert props["properties"]["associatedcompanyid"] == refs["acme"]


async def test_association_reads_page_with_after(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    block: dict[str, Any] = {
        "companies": [{"ref": "co", "properties": {"name": "Co"}}],
        "contacts": [
            {
                "ref": f"p{i}",
                "properties": {"email": f"p{i}@co.io"},
                "associations": [{"to": "companies", "ref": "co"}],
            }
            for i in range(7)
        ],
    }
    refs = sandbox.load_fixture(block)
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 3, **({"after": after} if after else {})}
        page = (
            await client.get(f"/crm/v4/objects/companies/{refs['co']}/associations/contacts", params=params)
        ).json()
        seen += [str(x["toObjectId"]) for x in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    assert sorted(seen) == sorted(refs[f"p{i}"] for i in range(7))


async def test_association_errors(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    assert (await client.get("/crm/v4/objects/contacts/999/associations/companies")).status_code == 404
    assert (
        await client.get(f"/crm/v4/objects/contacts/{refs['jane']}/associations/widgets")
    ).status_code == 400
    assert (
        await client.get(f"/crm/v4/objects/contacts/{refs['jane']}/associations/companies?limit=501")
    ).status_code == 400
    r = await client.put("/crm/v4/objects/notes/1/associations/default/calls/2")
    assert r.status_code == 404


async def test_company_merge_gives_a_new_id_both_old_ids_resolve(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    refs = sandbox.load_fixture(
        {
            "companies": [
                {
                    "ref": "globex",
                    "properties": {"name": "Globex", "domain": "globex.com", "city": "Springfield"},
                },
                {
                    "ref": "globex2",
                    "properties": {"name": "Globex Corporation", "domain": "globex.com", "phone": "555-0100"},
                },
            ],
            "contacts": [
                {
                    "ref": "hank",
                    "properties": {"email": "hank@globex.com"},
                    "associations": [{"to": "companies", "ref": "globex"}],
                },
                {
                    "ref": "lisa",
                    "properties": {"email": "lisa@globex.com"},
                    "associations": [{"to": "companies", "ref": "globex2"}],
                },
            ],
            "deals": [
                {
                    "ref": "gd",
                    "properties": {"dealname": "Globex deal"},
                    "associations": [{"to": "companies", "ref": "globex2"}],
                }
            ],
        }
    )
    r = await client.post(
        "/crm/v3/objects/companies/merge",
        json={"primaryObjectId": refs["globex"], "objectIdToMerge": refs["globex2"]},
    )
    assert r.status_code == 200
    merged = r.json()
    new_id = merged["id"]
    assert new_id not in (refs["globex"], refs["globex2"])
    assert merged["properties"]["name"] == "Globex"  # the primary's values win
    assert merged["properties"]["phone"] == "555-0100"  # blanks are filled from the merged record
    for old in (refs["globex"], refs["globex2"]):
        got = await client.get(f"/crm/v3/objects/companies/{old}")
        assert got.json()["id"] == new_id
    listed = (await client.get("/crm/v3/objects/companies")).json()["results"]
    assert [c["id"] for c in listed] == [new_id]
    search = (await client.post("/crm/v3/objects/companies/search", json={"query": "globex"})).json()
    assert search["total"] == 1
    contacts = await _types(client, "companies", new_id, "contacts")
    assert set(contacts) == {refs["hank"], refs["lisa"]}
    assert set(await _types(client, "companies", new_id, "deals")) == {refs["gd"]}
    assert await _types(client, "deals", refs["gd"], "companies") == {new_id: [5, 341]}


async def test_merge_errors(client: httpx.AsyncClient, refs: dict[str, str]) -> None:
    same = await client.post(
        "/crm/v3/objects/companies/merge",
        json={"primaryObjectId": refs["acme"], "objectIdToMerge": refs["acme"]},
    )
    assert same.status_code == 400
    missing = await client.post(
        "/crm/v3/objects/companies/merge", json={"primaryObjectId": refs["acme"], "objectIdToMerge": "42"}
    )
    assert missing.status_code == 404
    bad = await client.post("/crm/v3/objects/companies/merge", json={"primaryObjectId": refs["acme"]})
    assert bad.status_code == 400
    notes = await client.post(
        "/crm/v3/objects/notes/merge", json={"primaryObjectId": "1", "objectIdToMerge": "2"}
    )
    assert notes.status_code == 400


async def test_chained_merges_resolve_every_old_id_to_the_last_survivor(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    refs = sandbox.load_fixture(
        {"companies": [{"ref": r, "properties": {"name": r}} for r in ("a", "b", "c")]}
    )
    first = (
        await client.post(
            "/crm/v3/objects/companies/merge",
            json={"primaryObjectId": refs["a"], "objectIdToMerge": refs["b"]},
        )
    ).json()
    second = (
        await client.post(
            "/crm/v3/objects/companies/merge",
            json={"primaryObjectId": refs["c"], "objectIdToMerge": refs["a"]},
        )
    ).json()
    assert set(second["properties"]["hs_merged_object_ids"].split(";")) == {
        refs["a"],
        refs["b"],
        refs["c"],
        first["id"],
    }
    for old in (refs["a"], refs["b"], refs["c"], first["id"]):
        assert (await client.get(f"/crm/v3/objects/companies/{old}")).json()["id"] == second["id"]
    patched = await client.patch(
        f"/crm/v3/objects/companies/{refs['b']}", json={"properties": {"city": "Oslo"}}
    )
    assert patched.json()["id"] == second["id"]

"""Associations v4 (read with paging, default PUT) and the company merge, through the SDK.

Sources: HUBSPOT_FACTS §2.9 / §2.10 (v4 shapes and statuses), §6 (HUBSPOT_DEFINED type ids,
cross-checked against the SDK's own `hubspot.crm.association_type.AssociationType` enum),
§2.8 / §10 (merge: new id, both old ids resolve, primary's values win, associations carried).
"""

from __future__ import annotations

import itertools

import pytest
from hubspot.crm.association_type import AssociationType
from hubspot.crm.companies import PublicMergeInput
from hubspot.crm.objects import (
    AssociationSpec,
    Filter,
    FilterGroup,
    PublicAssociationsForObject,
    PublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)

from .conftest import MINIMAL_PROPERTIES, OBJECT_TYPES, SINGULAR, Portal


def _unique_minimal(object_type: str, n: int) -> dict[str, str]:
    props = dict(MINIMAL_PROPERTIES[object_type])
    if object_type == "contacts":
        props["email"] = f"person{n}@example.com"
    return props


# Every (from, to) pair among the eight types for which the SDK enum names an unlabeled type.
ENUM_PAIRS = [
    (a, b, getattr(AssociationType, f"{SINGULAR[a]}_TO_{SINGULAR[b]}"))
    for a, b in itertools.permutations(OBJECT_TYPES, 2)
    if hasattr(AssociationType, f"{SINGULAR[a]}_TO_{SINGULAR[b]}")
]


@pytest.mark.parametrize(("from_type", "to_type", "type_id"), ENUM_PAIRS, ids=lambda v: str(v))
def test_default_association_uses_the_sdk_enum_type_id_both_ways(
    portal: Portal, from_type: str, to_type: str, type_id: int
) -> None:
    v4 = portal.sdk().crm.associations.v4.basic_api
    a = portal.create(from_type, _unique_minimal(from_type, 1))["id"]
    b = portal.create(to_type, _unique_minimal(to_type, 2))["id"]

    result, status, _ = v4.create_default_with_http_info(from_type, a, to_type, b)

    assert status == 200
    assert result.status == "COMPLETE"
    assert result.started_at is not None and result.completed_at is not None
    spec_ids = {
        (r.association_spec.association_category, r.association_spec.association_type_id)
        for r in result.results
    }
    assert ("HUBSPOT_DEFINED", type_id) in spec_ids

    forward = v4.get_page(from_type, a, to_type)
    assert [str(r.to_object_id) for r in forward.results] == [b]
    assert type_id in {t.type_id for t in forward.results[0].association_types}

    reverse_id = getattr(AssociationType, f"{SINGULAR[to_type]}_TO_{SINGULAR[from_type]}", None)
    backward = v4.get_page(to_type, b, from_type)
    assert [str(r.to_object_id) for r in backward.results] == [a]
    if reverse_id is not None:
        assert reverse_id in {t.type_id for t in backward.results[0].association_types}


def test_default_put_is_idempotent(portal: Portal) -> None:
    v4 = portal.sdk().crm.associations.v4.basic_api
    contact = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])["id"]
    company = portal.create("companies", MINIMAL_PROPERTIES["companies"])["id"]

    v4.create_default("contacts", contact, "companies", company)
    v4.create_default("contacts", contact, "companies", company)

    assert len(v4.get_page("contacts", contact, "companies").results) == 1


def test_association_read_pages_with_limit_and_after(portal: Portal) -> None:
    v4 = portal.sdk().crm.associations.v4.basic_api
    company = portal.create("companies", MINIMAL_PROPERTIES["companies"])["id"]
    contacts = [portal.create("contacts", _unique_minimal("contacts", n))["id"] for n in range(7)]
    for contact in contacts:
        v4.create_default("companies", company, "contacts", contact)
    seen: list[str] = []
    pages = 0
    after = None

    while True:
        page = v4.get_page("companies", company, "contacts", limit=3, after=after)
        pages += 1
        seen += [str(r.to_object_id) for r in page.results]
        if page.paging is None or page.paging.next is None:
            break
        after = page.paging.next.after

    assert pages == 3
    assert sorted(seen) == sorted(contacts)


def test_association_read_of_a_record_without_links_is_an_empty_list(portal: Portal) -> None:
    contact = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])["id"]

    response = portal.api("GET", f"/crm/v4/objects/contacts/{contact}/associations/companies")

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert "paging" not in response.json()


def test_primary_company_reads_back_as_types_1_and_279(portal: Portal) -> None:
    # DOC-ASSOC4 example: a primary company yields typeId 1 (label "Primary") and 279 (label null).
    company = portal.create("companies", MINIMAL_PROPERTIES["companies"])["id"]
    contact = portal.create(
        "contacts",
        MINIMAL_PROPERTIES["contacts"],
        associations=[
            {
                "to": {"id": company},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
            }
        ],
    )["id"]

    body = portal.api("GET", f"/crm/v4/objects/contacts/{contact}/associations/companies").json()

    types = {(t["typeId"], t["label"]) for t in body["results"][0]["associationTypes"]}
    assert (1, "Primary") in types
    assert (279, None) in types


def test_inline_association_with_a_type_from_the_wrong_direction_is_rejected(portal: Portal) -> None:
    # DOC-ASSOC4: use the typeId defined from the created object to the target (280 is company->contact);
    # integrations report HubSpot answering such a type with a 400 INVALID_FROM_OBJECT [~].
    company = portal.create("companies", MINIMAL_PROPERTIES["companies"])["id"]

    response = portal.api(
        "POST",
        "/crm/v3/objects/contacts",
        json={
            "properties": MINIMAL_PROPERTIES["contacts"],
            "associations": [
                {
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 280}],
                }
            ],
        },
    )

    assert response.status_code == 400
    assert response.json()["status"] == "error"


def test_default_put_to_a_missing_record_is_an_error(portal: Portal) -> None:
    contact = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])["id"]

    response = portal.api(
        "PUT", f"/crm/v4/objects/contacts/{contact}/associations/default/companies/987654321"
    )

    assert response.status_code in (400, 404)
    assert response.json()["status"] == "error"


# --- company merge -------------------------------------------------------------------------------


def test_merge_creates_a_new_survivor_that_both_old_ids_resolve_to(portal: Portal) -> None:
    sdk = portal.sdk()
    primary = portal.create("companies", {"name": "Globex", "domain": "globex.com", "city": "Springfield"})
    secondary = portal.create(
        "companies", {"name": "Globex Corporation", "domain": "globex.com", "phone": "555"}
    )
    contact_a = portal.create("contacts", _unique_minimal("contacts", 1))["id"]
    contact_b = portal.create("contacts", _unique_minimal("contacts", 2))["id"]
    v4 = sdk.crm.associations.v4.basic_api
    v4.create_default("companies", primary["id"], "contacts", contact_a)
    v4.create_default("companies", secondary["id"], "contacts", contact_b)

    merged, status, _ = sdk.crm.companies.basic_api.merge_with_http_info(
        PublicMergeInput(primary_object_id=primary["id"], object_id_to_merge=secondary["id"])
    )

    assert status == 200
    assert merged.id not in (primary["id"], secondary["id"])  # CL-MERGE: a new record with a new id
    for old in (primary["id"], secondary["id"]):
        got = sdk.crm.companies.basic_api.get_by_id(old, properties=["name", "city"])
        assert got.id == merged.id
        assert got.properties["name"] == "Globex"
        assert got.properties["city"] == "Springfield"
    listed = sdk.crm.objects.search_api.do_search(
        "companies",
        PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(filters=[Filter(property_name="domain", operator="EQ", value="globex.com")])
            ]
        ),
    )
    assert [r.id for r in listed.results] == [merged.id]
    linked = {str(r.to_object_id) for r in v4.get_page("companies", merged.id, "contacts").results}
    assert linked == {contact_a, contact_b}
    back = {str(r.to_object_id) for r in v4.get_page("contacts", contact_b, "companies").results}
    assert back == {merged.id}


def test_merge_with_a_missing_company_is_an_error(portal: Portal) -> None:
    primary = portal.create("companies", MINIMAL_PROPERTIES["companies"])["id"]

    response = portal.api(
        "POST",
        "/crm/v3/objects/companies/merge",
        json={"primaryObjectId": primary, "objectIdToMerge": "987654321"},
    )

    assert response.status_code in (400, 404)
    assert response.json()["status"] == "error"


def test_merge_carries_the_deals_of_both_companies_as_primary(portal: Portal) -> None:
    # CL-MERGE / KB "Merge records": child records (deals, activities) of both are carried over.
    primary = portal.create("companies", {"name": "Globex", "domain": "globex.com"})["id"]
    secondary = portal.create("companies", {"name": "Globex Corporation", "domain": "globex.com"})["id"]
    deals = []
    for n, company in enumerate((primary, secondary)):
        deals.append(
            portal.create(
                "deals",
                {**MINIMAL_PROPERTIES["deals"], "dealname": f"Deal {n}"},
                associations=[
                    {
                        "to": {"id": company},
                        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}],
                    }
                ],
            )["id"]
        )
    note = portal.create(
        "notes",
        MINIMAL_PROPERTIES["notes"],
        associations=[
            {
                "to": {"id": secondary},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 190}],
            }
        ],
    )["id"]

    merged = portal.api(
        "POST",
        "/crm/v3/objects/companies/merge",
        json={"primaryObjectId": primary, "objectIdToMerge": secondary},
    ).json()["id"]

    v4 = portal.sdk().crm.associations.v4.basic_api
    for deal in deals:
        links = v4.get_page("deals", deal, "companies").results
        assert [str(r.to_object_id) for r in links] == [merged]
        assert 5 in {t.type_id for t in links[0].association_types}
    assert [str(r.to_object_id) for r in v4.get_page("notes", note, "companies").results] == [merged]


@pytest.mark.parametrize(("from_type", "to_type", "type_id"), ENUM_PAIRS, ids=lambda v: str(v))
def test_inline_association_on_create_for_every_default_pair(
    portal: Portal, from_type: str, to_type: str, type_id: int
) -> None:
    target = portal.create(to_type, _unique_minimal(to_type, 1))["id"]
    spec = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)
    created = portal.sdk().crm.objects.basic_api.create(
        from_type,
        SimplePublicObjectInputForCreate(
            properties=_unique_minimal(from_type, 2),
            associations=[PublicAssociationsForObject(to=PublicObjectId(id=target), types=[spec])],
        ),
    )

    got = portal.sdk().crm.objects.basic_api.get_by_id(from_type, created.id, associations=[to_type])

    assert got.associations is not None
    assert [r.id for r in got.associations[to_type].results] == [target]


def test_association_read_returns_500_per_page_by_default(portal: Portal) -> None:
    # SPEC-ASSOC4: `limit` defaults to 500 ("Limit 500 per call").
    contacts = [
        {
            "ref": f"c{n}",
            "properties": {"email": f"c{n}@example.com"},
            "associations": [{"to": "companies", "ref": "co"}],
        }
        for n in range(501)
    ]
    refs = portal.load({"companies": [{"ref": "co", "properties": {"name": "Big Co"}}], "contacts": contacts})

    first = portal.sdk().crm.associations.v4.basic_api.get_page("companies", refs["co"], "contacts")
    rest = portal.sdk().crm.associations.v4.basic_api.get_page(
        "companies", refs["co"], "contacts", after=first.paging.next.after
    )

    assert len(first.results) == 500
    assert len(rest.results) == 1
    assert rest.paging is None

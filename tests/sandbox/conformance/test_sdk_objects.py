"""Create, read and update of all eight object types through the official SDK.

Sources: HUBSPOT_FACTS §1 (ids and values are strings), §2.5 (GET by id: repeated `properties`
and `associations` query params), §2.6 (create answers 201 SimplePublicObject), §2.7 (PATCH
answers 200), §5 (default and system properties).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hubspot.crm.objects import (
    AssociationSpec,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from .conftest import MINIMAL_PROPERTIES, OBJECT_TYPES, Portal

# System properties present on every object (HUBSPOT_FACTS §5.2).
LAST_MODIFIED = {"contacts": "lastmodifieddate"}

# GET without `properties` returns these (HUBSPOT_FACTS §5.1; DOC-SEARCH for activities).
DEFAULT_GET_PROPERTIES: dict[str, set[str]] = {
    "contacts": {"firstname", "lastname", "email", "createdate", "lastmodifieddate", "hs_object_id"},
    "companies": {"name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"},
    "deals": {
        "dealname",
        "amount",
        "closedate",
        "pipeline",
        "dealstage",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    },
}


@pytest.mark.parametrize("object_type", OBJECT_TYPES)
def test_create_answers_201_with_a_string_id_and_string_property_values(
    portal: Portal, object_type: str
) -> None:
    api = portal.sdk().crm.objects.basic_api
    data, status, _headers = api.create_with_http_info(
        object_type, SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES[object_type])
    )

    assert status == 201
    assert data is not None  # the SDK only decodes a body for the documented 201
    assert data.id.isdigit()
    assert data.created_at is not None and data.updated_at is not None
    assert data.archived is False
    assert all(isinstance(v, str) or v is None for v in data.properties.values())
    assert data.properties["hs_object_id"] == data.id


@pytest.mark.parametrize("object_type", OBJECT_TYPES)
def test_get_by_id_returns_the_requested_properties_given_as_repeated_params(
    portal: Portal, object_type: str
) -> None:
    created = portal.create(object_type, MINIMAL_PROPERTIES[object_type])
    wanted = sorted(MINIMAL_PROPERTIES[object_type])[:2]

    # The SDK sends `properties` as repeated params (collectionFormat multi).
    got = portal.sdk().crm.objects.basic_api.get_by_id(object_type, created["id"], properties=wanted)

    assert got.id == created["id"]
    for name in wanted:
        assert got.properties[name] is not None
    # HubSpot always adds hs_object_id and the creation / modification dates.
    assert got.properties["hs_object_id"] == created["id"]
    assert set(wanted) <= set(got.properties)


def test_get_by_id_accepts_a_comma_separated_properties_list(portal: Portal) -> None:
    created = portal.create("contacts", {**MINIMAL_PROPERTIES["contacts"], "jobtitle": "CTO"})

    response = portal.api(
        "GET", f"/crm/v3/objects/contacts/{created['id']}", params={"properties": "jobtitle,email"}
    )

    assert response.status_code == 200
    assert response.json()["properties"]["jobtitle"] == "CTO"
    assert response.json()["properties"]["email"] == "ada@example.com"


def test_requested_unset_property_is_null_and_unknown_property_is_omitted(portal: Portal) -> None:
    # HUBSPOT_FACTS §1 "Unset / unknown requested properties" (DOC-CONTACTS).
    created = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])

    got = portal.sdk().crm.contacts.basic_api.get_by_id(
        created["id"], properties=["jobtitle", "no_such_property_xyz"]
    )

    assert "jobtitle" in got.properties
    assert got.properties["jobtitle"] is None
    assert "no_such_property_xyz" not in got.properties


@pytest.mark.parametrize("object_type", ["contacts", "companies", "deals"])
def test_get_without_properties_returns_the_default_set(portal: Portal, object_type: str) -> None:
    created = portal.create(object_type, MINIMAL_PROPERTIES[object_type])

    response = portal.api("GET", f"/crm/v3/objects/{object_type}/{created['id']}")

    assert response.status_code == 200
    assert set(response.json()["properties"]) == DEFAULT_GET_PROPERTIES[object_type]


@pytest.mark.parametrize("object_type", OBJECT_TYPES)
def test_patch_answers_200_and_changes_only_the_given_property(portal: Portal, object_type: str) -> None:
    created = portal.create(object_type, MINIMAL_PROPERTIES[object_type])
    name = {
        "contacts": "jobtitle",
        "companies": "city",
        "deals": "description",
        "tasks": "hs_task_body",
        "notes": "hs_note_body",
        "calls": "hs_call_body",
        "meetings": "hs_meeting_body",
        "emails": "hs_email_text",
    }[object_type]
    api = portal.sdk().crm.objects.basic_api

    data, status, _ = api.update_with_http_info(
        object_type, created["id"], SimplePublicObjectInput(properties={name: "Updated value"})
    )

    assert status == 200
    assert data.id == created["id"]
    assert data.properties[name] == "Updated value"
    again = api.get_by_id(object_type, created["id"], properties=[name, *MINIMAL_PROPERTIES[object_type]])
    assert again.properties[name] == "Updated value"
    for key, value in MINIMAL_PROPERTIES[object_type].items():
        if key not in (name, "hs_timestamp", "closedate", "hs_meeting_start_time", "hs_meeting_end_time"):
            assert again.properties[key] == value
    assert again.updated_at >= again.created_at


def test_patch_with_empty_string_clears_a_value(portal: Portal) -> None:
    # HUBSPOT_FACTS §1 "Clearing a value" (DOC-PROPS).
    created = portal.create("contacts", {**MINIMAL_PROPERTIES["contacts"], "jobtitle": "CTO"})

    portal.sdk().crm.contacts.basic_api.update(
        created["id"], SimplePublicObjectInput(properties={"jobtitle": ""})
    )
    got = portal.sdk().crm.contacts.basic_api.get_by_id(created["id"], properties=["jobtitle"])

    assert got.properties["jobtitle"] in (None, "")


def test_numbers_are_returned_as_decimal_strings(portal: Portal) -> None:
    created = portal.create("deals", {**MINIMAL_PROPERTIES["deals"], "amount": "50000"})

    got = portal.sdk().crm.deals.basic_api.get_by_id(created["id"], properties=["amount"])

    assert isinstance(got.properties["amount"], str)
    assert float(got.properties["amount"]) == 50000


def test_dates_written_as_epoch_ms_read_back_as_iso_utc(portal: Portal) -> None:
    # HUBSPOT_FACTS §1: datetime values are ISO-8601 UTC in responses; epoch ms accepted on write.
    created = portal.create("notes", {"hs_note_body": "x", "hs_timestamp": "1764600000000"})

    got = portal.sdk().crm.objects.notes.basic_api.get_by_id(created["id"], properties=["hs_timestamp"])

    assert got.properties["hs_timestamp"].startswith("2025-12-01T14:40:00")
    assert got.properties["hs_timestamp"].endswith("Z")


def test_type_specific_sdk_apis_reach_the_same_records(portal: Portal) -> None:
    sdk = portal.sdk()
    contact = sdk.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES["contacts"])
    )
    company = sdk.crm.companies.basic_api.create(
        SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES["companies"])
    )
    deal = sdk.crm.deals.basic_api.create(
        SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES["deals"])
    )
    note = sdk.crm.objects.notes.basic_api.create(
        SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES["notes"])
    )
    task = sdk.crm.objects.tasks.basic_api.create(
        SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES["tasks"])
    )
    call = sdk.crm.objects.calls.basic_api.create(
        SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES["calls"])
    )
    meeting = sdk.crm.objects.meetings.basic_api.create(
        SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES["meetings"])
    )
    email = sdk.crm.objects.emails.basic_api.create(
        SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES["emails"])
    )

    assert sdk.crm.contacts.basic_api.get_by_id(contact.id).id == contact.id
    assert sdk.crm.companies.basic_api.get_by_id(company.id).id == company.id
    assert sdk.crm.deals.basic_api.get_by_id(deal.id).id == deal.id
    assert sdk.crm.objects.notes.basic_api.get_by_id(note.id).id == note.id
    assert sdk.crm.objects.tasks.basic_api.get_by_id(task.id).id == task.id
    assert sdk.crm.objects.calls.basic_api.get_by_id(call.id).id == call.id
    assert sdk.crm.objects.meetings.basic_api.get_by_id(meeting.id).id == meeting.id
    assert sdk.crm.objects.emails.basic_api.get_by_id(email.id).id == email.id


@pytest.mark.parametrize("path_type", ["0-1", "contact"])
def test_object_type_ids_and_singular_names_address_contacts(portal: Portal, path_type: str) -> None:
    # HUBSPOT_FACTS §1 "Object type in path" (SPEC-DEALS uses 0-3; DOC-ASSOC4 allows singular names).
    created = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])

    response = portal.api("GET", f"/crm/v3/objects/{path_type}/{created['id']}")

    assert response.status_code == 200
    assert response.json()["id"] == created["id"]


def test_create_with_inline_association_links_both_directions(portal: Portal) -> None:
    # HUBSPOT_FACTS §6: inline associations on create, typeId from the created object's side.
    sdk = portal.sdk()
    company = portal.create("companies", MINIMAL_PROPERTIES["companies"])
    spec = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=279)
    contact = sdk.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties=MINIMAL_PROPERTIES["contacts"],
            associations=[PublicAssociationsForObject(to=PublicObjectId(id=company["id"]), types=[spec])],
        )
    )

    got = sdk.crm.contacts.basic_api.get_by_id(contact.id, associations=["companies"])
    back = sdk.crm.companies.basic_api.get_by_id(company["id"], associations=["contacts"])

    assert got.associations is not None
    assert [r.id for r in got.associations["companies"].results] == [company["id"]]
    assert back.associations is not None
    assert [r.id for r in back.associations["contacts"].results] == [contact.id]


def test_get_by_id_accepts_comma_separated_association_types(portal: Portal) -> None:
    # DOC-CONTACTS describes `associations` as a comma-separated list; the SDK repeats the param.
    company = portal.create("companies", MINIMAL_PROPERTIES["companies"])
    deal = portal.create("deals", MINIMAL_PROPERTIES["deals"])
    contact = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])
    portal.api(
        "PUT", f"/crm/v4/objects/contacts/{contact['id']}/associations/default/companies/{company['id']}"
    )
    portal.api("PUT", f"/crm/v4/objects/contacts/{contact['id']}/associations/default/deals/{deal['id']}")

    body = portal.api(
        "GET", f"/crm/v3/objects/contacts/{contact['id']}", params={"associations": "companies,deals"}
    ).json()

    assert [r["id"] for r in body["associations"]["companies"]["results"]] == [company["id"]]
    assert [r["id"] for r in body["associations"]["deals"]["results"]] == [deal["id"]]


def test_create_response_has_no_associations_key(portal: Portal) -> None:
    # HUBSPOT_FACTS §2.6: create answers SimplePublicObject, which has no `associations`.
    company = portal.create("companies", MINIMAL_PROPERTIES["companies"])
    body: dict[str, Any] = portal.create(
        "contacts",
        MINIMAL_PROPERTIES["contacts"],
        associations=[
            {
                "to": {"id": company["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
            }
        ],
    )

    assert "associations" not in body
    assert {"id", "properties", "createdAt", "updatedAt", "archived"} <= set(body)


def test_inline_association_accepts_a_numeric_to_id(portal: Portal) -> None:
    # The docs' examples send `to.id` as a JSON number (HUBSPOT_FACTS §2.6).
    company = portal.create("companies", MINIMAL_PROPERTIES["companies"])
    deal = portal.create(
        "deals",
        MINIMAL_PROPERTIES["deals"],
        associations=[
            {
                "to": {"id": int(company["id"])},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}],
            }
        ],
    )

    read = portal.api("GET", f"/crm/v4/objects/deals/{deal['id']}/associations/companies")

    assert read.status_code == 200
    assert [str(r["toObjectId"]) for r in read.json()["results"]] == [company["id"]]


def test_deal_without_pipeline_goes_to_the_default_pipeline(portal: Portal) -> None:
    # HUBSPOT_FACTS §2.6: "the default pipeline is used otherwise".
    created = portal.create("deals", {"dealname": "No pipeline given", "dealstage": "qualifiedtobuy"})

    got = portal.sdk().crm.deals.basic_api.get_by_id(created["id"], properties=["pipeline", "dealstage"])

    assert got.properties["pipeline"] == "default"
    assert got.properties["dealstage"] == "qualifiedtobuy"


def test_patch_moves_updated_at_and_last_modified_but_keeps_created_at(portal: Portal, clock: Any) -> None:
    created = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])
    clock.advance(60)

    patched = portal.api(
        "PATCH", f"/crm/v3/objects/contacts/{created['id']}", json={"properties": {"jobtitle": "CEO"}}
    ).json()
    got = portal.api(
        "GET",
        f"/crm/v3/objects/contacts/{created['id']}",
        params=[("properties", "createdate"), ("properties", "lastmodifieddate")],
    ).json()

    assert patched["createdAt"] == created["createdAt"]
    assert patched["updatedAt"] > created["updatedAt"]
    assert got["properties"]["createdate"][:19] == created["createdAt"][:19]
    assert got["properties"]["lastmodifieddate"][:19] == patched["updatedAt"][:19]


def test_get_by_email_with_id_property(portal: Portal) -> None:
    # SPEC-OBJ / DOC-CONTACTS: idProperty names a unique property, e.g. email for contacts.
    created = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])

    got = portal.sdk().crm.objects.basic_api.get_by_id("contacts", "ada@example.com", id_property="email")

    assert got.id == created["id"]


def test_get_by_id_names_v3_association_types(portal: Portal) -> None:
    # DOC-ASSOC3: contact_to_company (type 1, primary) and contact_to_company_unlabeled (279).
    company = portal.create("companies", MINIMAL_PROPERTIES["companies"])
    contact = portal.create(
        "contacts",
        MINIMAL_PROPERTIES["contacts"],
        associations=[
            {
                "to": {"id": company["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
            }
        ],
    )

    got = portal.sdk().crm.contacts.basic_api.get_by_id(contact["id"], associations=["companies"])

    types = {r.type for r in got.associations["companies"].results if r.id == company["id"]}
    assert "contact_to_company" in types


def test_delete_is_recorded_for_tests_to_fail_on(portal: Portal) -> None:
    # Issue 4: DELETE is not part of the integration; the sandbox records any DELETE it receives.
    created = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])

    portal.api("DELETE", f"/crm/v3/objects/contacts/{created['id']}")
    log = portal.http.get("/_sandbox/requests").json()

    assert any(r["method"] == "DELETE" and created["id"] in r["path"] for r in log), log[-3:]


def test_timestamps_are_iso_utc_with_milliseconds(portal: Portal) -> None:
    # HUBSPOT_FACTS §1: e.g. "2019-10-30T03:30:17.883Z".
    created = portal.create("companies", MINIMAL_PROPERTIES["companies"])
    iso_ms = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

    assert iso_ms.match(created["createdAt"])
    assert iso_ms.match(created["updatedAt"])
    assert iso_ms.match(created["properties"]["createdate"])


def test_custom_pipeline_stage_must_belong_to_the_deals_pipeline(portal: Portal) -> None:
    refs = portal.load(
        {
            "pipelines": [
                {
                    "ref": "renewals",
                    "label": "Renewals",
                    "stages": [
                        {"label": "Up for renewal"},
                        {"label": "Renewed", "isClosed": True, "probability": 1.0},
                    ],
                }
            ]
        }
    )
    stages = portal.api("GET", f"/crm/v3/pipelines/deals/{refs['renewals']}/stages").json()["results"]
    renewal_stage = next(s["id"] for s in stages if s["label"] == "Up for renewal")

    ok = portal.api(
        "POST",
        "/crm/v3/objects/deals",
        json={
            "properties": {"dealname": "Renewal", "pipeline": refs["renewals"], "dealstage": renewal_stage}
        },
    )
    wrong = portal.api(
        "POST",
        "/crm/v3/objects/deals",
        json={"properties": {"dealname": "Mixed", "pipeline": "default", "dealstage": renewal_stage}},
    )

    assert ok.status_code == 201
    assert wrong.status_code == 400
    assert wrong.json()["category"] == "VALIDATION_ERROR"


def test_custom_property_is_listed_and_writable(portal: Portal) -> None:
    portal.load(
        {
            "properties": [
                {
                    "objectType": "contacts",
                    "name": "favorite_region",
                    "label": "Favorite region",
                    "type": "enumeration",
                    "fieldType": "select",
                    "options": [{"label": "East", "value": "east"}, {"label": "West", "value": "west"}],
                }
            ]
        }
    )

    prop = portal.sdk().crm.properties.core_api.get_by_name("contacts", "favorite_region")
    ok = portal.api(
        "POST",
        "/crm/v3/objects/contacts",
        json={"properties": {"email": "r@example.com", "favorite_region": "east"}},
    )
    bad = portal.api(
        "POST",
        "/crm/v3/objects/contacts",
        json={"properties": {"email": "s@example.com", "favorite_region": "north"}},
    )

    assert prop.type == "enumeration"
    assert {o.value for o in prop.options} == {"east", "west"}
    assert ok.status_code == 201
    assert bad.status_code == 400


def test_properties_with_history_returns_each_value_with_its_timestamp(portal: Portal, clock: Any) -> None:
    # SPEC-OBJ / SDK SimplePublicObjectWithAssociations.propertiesWithHistory:
    # dict[name, [{value, timestamp, sourceType, ...}]] for the names in `propertiesWithHistory`.
    created = portal.create("contacts", {**MINIMAL_PROPERTIES["contacts"], "jobtitle": "CTO"})
    clock.advance(60)
    portal.api("PATCH", f"/crm/v3/objects/contacts/{created['id']}", json={"properties": {"jobtitle": "CEO"}})

    got = portal.sdk().crm.objects.basic_api.get_by_id(
        "contacts", created["id"], properties_with_history=["jobtitle"]
    )

    assert got.properties_with_history is not None, "propertiesWithHistory is missing from the response"
    history = got.properties_with_history["jobtitle"]
    assert {h.value for h in history} == {"CTO", "CEO"}
    for entry in history:
        assert entry.timestamp is not None
        assert isinstance(entry.source_type, str) and entry.source_type


CUSTOM_CONTACT_PROPERTIES: dict[str, Any] = {
    "properties": [
        {
            "objectType": "contacts",
            "name": "tags",
            "label": "Tags",
            "type": "enumeration",
            "fieldType": "checkbox",
            "options": [
                {"label": "A", "value": "a"},
                {"label": "B", "value": "b"},
                {"label": "C", "value": "c"},
            ],
        },
        {
            "objectType": "contacts",
            "name": "renewal_date",
            "label": "Renewal",
            "type": "date",
            "fieldType": "date",
        },
        {
            "objectType": "contacts",
            "name": "vip",
            "label": "VIP",
            "type": "bool",
            "fieldType": "booleancheckbox",
            "options": [{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}],
        },
    ]
}


def test_multi_checkbox_value_with_a_leading_semicolon_appends(portal: Portal) -> None:
    # DOC-PROPS: ";b;c" appends to the existing value; values are ;-joined.
    portal.load(CUSTOM_CONTACT_PROPERTIES)
    created = portal.create("contacts", {"email": "t@example.com", "tags": "a"})

    patched = portal.api(
        "PATCH", f"/crm/v3/objects/contacts/{created['id']}", json={"properties": {"tags": ";b;c"}}
    ).json()

    assert patched["properties"]["tags"] == "a;b;c"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("2020-02-29", True), ("1635465600000", True), ("1635535865000", False)],
    ids=["iso-date", "epoch-ms-midnight", "epoch-ms-not-midnight"],
)
def test_date_property_accepts_iso_or_midnight_epoch_ms(portal: Portal, value: str, accepted: bool) -> None:
    # DOC-PROPS; ISS-PHP74 / ISS-NET98: "... is at 19:31:05.000 UTC, not midnight!" (INVALID_DATE).
    portal.load(CUSTOM_CONTACT_PROPERTIES)

    response = portal.api(
        "POST",
        "/crm/v3/objects/contacts",
        json={"properties": {"email": "d@example.com", "renewal_date": value}},
    )

    if accepted:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "INVALID_DATE"
        assert "not midnight" in response.json()["errors"][0]["message"]

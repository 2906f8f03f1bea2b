"""CRM object endpoints: create, read, update, list, validation and HubSpot's error shapes."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.conftest import FakeClock, error_body_ok
from tools.sandbox import Sandbox

TYPES = ("contacts", "companies", "deals", "tasks", "notes", "emails", "meetings", "calls")
MINIMAL = {
    "contacts": {"email": "ann@example.com"},
    "companies": {"name": "Acme Corp"},
    "deals": {"dealname": "Acme expansion", "dealstage": "appointmentscheduled"},
    "tasks": {"hs_task_subject": "Call back", "hs_timestamp": "2026-03-05T15:00:00Z"},
    "notes": {"hs_note_body": "Met at the fair", "hs_timestamp": "2026-03-02T09:00:00Z"},
    "emails": {"hs_email_subject": "Hello", "hs_timestamp": "2026-03-02T09:00:00Z"},
    "meetings": {"hs_meeting_title": "Demo", "hs_timestamp": "2026-03-02T09:00:00Z"},
    "calls": {"hs_call_title": "Intro", "hs_timestamp": "2026-03-02T09:00:00Z"},
}


@pytest.mark.parametrize("object_type", TYPES)
async def test_create_answers_201_with_string_id_and_system_properties(
    client: httpx.AsyncClient, object_type: str
) -> None:
    r = await client.post(f"/crm/v3/objects/{object_type}", json={"properties": MINIMAL[object_type]})
    assert r.status_code == 201
    body = r.json()
    assert isinstance(body["id"], str) and body["id"].isdigit()
    assert body["properties"]["hs_object_id"] == body["id"]
    assert body["createdAt"] == "2026-03-02T10:00:00.000Z"
    assert body["archived"] is False
    assert "hs_lastmodifieddate" in body["properties"]
    for name, value in MINIMAL[object_type].items():
        if name != "hs_timestamp":
            assert body["properties"][name] == value


@pytest.mark.parametrize("object_type", TYPES)
async def test_get_by_id_returns_default_properties_with_unset_ones_null(
    client: httpx.AsyncClient, object_type: str
) -> None:
    created = (
        await client.post(f"/crm/v3/objects/{object_type}", json={"properties": MINIMAL[object_type]})
    ).json()
    r = await client.get(f"/crm/v3/objects/{object_type}/{created['id']}")
    assert r.status_code == 200
    props = r.json()["properties"]
    assert props["hs_object_id"] == created["id"]
    if object_type == "contacts":
        assert set(props) == {
            "createdate",
            "email",
            "firstname",
            "hs_object_id",
            "lastmodifieddate",
            "lastname",
        }
        assert props["firstname"] is None


async def test_properties_accepted_repeated_and_comma_separated(client: httpx.AsyncClient) -> None:
    cid = (
        await client.post(
            "/crm/v3/objects/contacts", json={"properties": {"email": "a@x.io", "jobtitle": "CTO"}}
        )
    ).json()["id"]
    repeated = await client.get(
        f"/crm/v3/objects/contacts/{cid}", params=[("properties", "jobtitle"), ("properties", "city")]
    )
    comma = await client.get(f"/crm/v3/objects/contacts/{cid}?properties=jobtitle,city,nosuchprop")
    for r in (repeated, comma):
        props = r.json()["properties"]
        assert props["jobtitle"] == "CTO"
        assert props["city"] is None
        assert "nosuchprop" not in props
        assert {"createdate", "lastmodifieddate", "hs_object_id"} <= set(props)


async def test_trailing_slash_paths_are_the_same_endpoint(client: httpx.AsyncClient) -> None:
    r = await client.post("/crm/v3/objects/companies/", json={"properties": {"name": "Slash Ltd"}})
    assert r.status_code == 201
    assert (await client.get(f"/crm/v3/objects/companies/{r.json()['id']}/")).status_code == 200


async def test_object_type_ids_and_paths_resolve(client: httpx.AsyncClient) -> None:
    r = await client.post("/crm/v3/objects/0-3", json={"properties": {"dealname": "By type id"}})
    assert r.status_code == 201
    assert (await client.get(f"/crm/v3/objects/deals/{r.json()['id']}")).json()["properties"][
        "pipeline"
    ] == "default"


async def test_patch_answers_200_and_updates_timestamps(client: httpx.AsyncClient, clock: FakeClock) -> None:
    cid = (
        await client.post(
            "/crm/v3/objects/contacts", json={"properties": {"email": "b@x.io", "city": "Lyon"}}
        )
    ).json()["id"]
    clock.advance(minutes=5)
    r = await client.patch(
        f"/crm/v3/objects/contacts/{cid}", json={"properties": {"jobtitle": "VP", "city": ""}}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["properties"]["jobtitle"] == "VP"
    assert "city" not in body["properties"]  # "" clears the value
    assert body["updatedAt"] == "2026-03-02T10:05:00.000Z"
    assert body["properties"]["lastmodifieddate"] == "2026-03-02T10:05:00.000Z"


async def test_unknown_property_is_a_validation_error_naming_it(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/crm/v3/objects/companies", json={"properties": {"name": "X", "favourite_color": "red"}}
    )
    assert r.status_code == 400
    body = r.json()
    error_body_ok(body, "VALIDATION_ERROR")
    assert body["message"].startswith("Property values were not valid: ")
    assert body["errors"] == [
        {
            "message": 'Property "favourite_color" does not exist',
            "code": "PROPERTY_DOESNT_EXIST",
            "context": {"propertyName": ["favourite_color"]},
        }
    ]


@pytest.mark.parametrize(
    ("object_type", "props", "name", "code"),
    [
        ("contacts", {"lifecyclestage": "Lead"}, "lifecyclestage", "INVALID_OPTION"),
        ("deals", {"dealname": "x", "amount": "fifty"}, "amount", "INVALID_INTEGER"),
        ("deals", {"dealname": "x", "closedate": "next week"}, "closedate", "INVALID_DATE"),
        ("contacts", {"email": "not-an-email"}, "email", "INVALID_EMAIL"),
        (
            "tasks",
            {"hs_task_status": "DONE", "hs_timestamp": "1700000000000"},
            "hs_task_status",
            "INVALID_OPTION",
        ),
        ("contacts", {"hubspot_owner_id": "999"}, "hubspot_owner_id", "INVALID_OPTION"),
    ],
)
async def test_invalid_values_name_the_property_and_code(
    client: httpx.AsyncClient, object_type: str, props: dict[str, str], name: str, code: str
) -> None:
    r = await client.post(f"/crm/v3/objects/{object_type}", json={"properties": props})
    assert r.status_code == 400
    [err] = r.json()["errors"]
    assert err["code"] == code
    assert err["context"] == {"propertyName": [name]}


async def test_numbers_and_booleans_in_json_are_stored_as_strings(client: httpx.AsyncClient) -> None:
    r = await client.post("/crm/v3/objects/deals", json={"properties": {"dealname": "n", "amount": 50000}})
    assert r.json()["properties"]["amount"] == "50000"


async def test_duplicate_contact_email_is_409_naming_the_existing_id(client: httpx.AsyncClient) -> None:
    first = (await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "dup@x.io"}})).json()
    r = await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "DUP@x.io"}})
    assert r.status_code == 409
    body = r.json()
    error_body_ok(body, "CONFLICT")
    assert body["message"] == f"Contact already exists. Existing ID: {first['id']}"


async def test_patch_to_an_email_in_use_is_409(client: httpx.AsyncClient) -> None:
    await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "one@x.io"}})
    two = (await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "two@x.io"}})).json()
    r = await client.patch(
        f"/crm/v3/objects/contacts/{two['id']}", json={"properties": {"email": "one@x.io"}}
    )
    assert r.status_code == 409


async def test_deal_stage_must_belong_to_the_pipeline(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    refs = sandbox.load_fixture(
        {
            "pipelines": [
                {"ref": "renewals", "objectType": "deals", "label": "Renewals", "stages": [{"label": "Open"}]}
            ]
        }
    )
    r = await client.post(
        "/crm/v3/objects/deals",
        json={"properties": {"dealname": "x", "pipeline": refs["renewals"], "dealstage": "closedwon"}},
    )
    assert r.status_code == 400
    [err] = r.json()["errors"]
    assert err["context"] == {"propertyName": ["dealstage"]}
    ok = await client.post(
        "/crm/v3/objects/deals", json={"properties": {"dealname": "x", "dealstage": "closedwon"}}
    )
    assert ok.status_code == 201
    props = ok.json()["properties"]
    assert (props["pipeline"], props["hs_is_closed_won"], props["hs_deal_stage_probability"]) == (
        "default",
        "true",
        "1.0",
    )


async def test_activity_without_hs_timestamp_is_rejected(client: httpx.AsyncClient) -> None:
    r = await client.post("/crm/v3/objects/notes", json={"properties": {"hs_note_body": "x"}})
    assert r.status_code == 400
    assert r.json()["errors"][0]["context"] == {"propertyName": ["hs_timestamp"]}


async def test_meeting_timestamp_defaults_to_its_start_time(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/crm/v3/objects/meetings",
        json={"properties": {"hs_meeting_title": "Demo", "hs_meeting_start_time": "2026-03-04T14:00:00Z"}},
    )
    assert r.json()["properties"]["hs_timestamp"] == "2026-03-04T14:00:00.000Z"


async def test_read_only_properties_are_ignored_on_write(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/crm/v3/objects/companies", json={"properties": {"name": "RO", "hs_object_id": "1"}}
    )
    assert r.status_code == 201
    assert r.json()["properties"]["hs_object_id"] == r.json()["id"]


async def test_missing_record_is_404_object_not_found(client: httpx.AsyncClient) -> None:
    for record_id in ("123", "abc"):
        r = await client.get(f"/crm/v3/objects/contacts/{record_id}")
        assert r.status_code == 404
        body = r.json()
        error_body_ok(body, "OBJECT_NOT_FOUND")
        assert body["message"] == "Object not found.  objectId are usually numeric."
        assert body["context"] == {"id": [record_id]}


async def test_contact_can_be_read_by_email_id_property(client: httpx.AsyncClient) -> None:
    cid = (await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "id@x.io"}})).json()[
        "id"
    ]
    r = await client.get("/crm/v3/objects/contacts/ID@x.io", params={"idProperty": "email"})
    assert r.json()["id"] == cid


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("POST", "/crm/v3/objects/contacts", b"{not json"),
        ("POST", "/crm/v3/objects/contacts", b"[]"),
        ("POST", "/crm/v3/objects/contacts", b'{"properties": "x"}'),
        ("POST", "/crm/v3/objects/contacts", b'{"properties": {"email": {"a": 1}}}'),
        ("POST", "/crm/v3/objects/widgets", b'{"properties": {}}'),
        ("GET", "/crm/v3/objects/contacts?limit=1000", b""),
        ("GET", "/crm/v3/objects/contacts?limit=ten", b""),
        ("PATCH", "/crm/v3/objects/contacts/1", b""),
        ("GET", "/crm/v3/nothing/here", b""),
    ],
)
async def test_bad_input_answers_a_hubspot_4xx_never_500(
    client: httpx.AsyncClient, method: str, path: str, content: bytes
) -> None:
    r = await client.request(method, path, content=content, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    body = r.json()
    assert body["status"] == "error" and body["category"] and body["correlationId"]


async def test_delete_is_recorded_refused_and_removes_nothing(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    cid = (await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "keep@x.io"}})).json()[
        "id"
    ]
    r = await client.delete(f"/crm/v3/objects/contacts/{cid}")
    assert r.status_code == 405
    assert sandbox.requests[-1]["method"] == "DELETE"
    assert sandbox.requests[-1]["path"] == f"/crm/v3/objects/contacts/{cid}"
    assert (await client.get(f"/crm/v3/objects/contacts/{cid}")).status_code == 200


async def test_list_pages_with_the_next_record_id_as_cursor(client: httpx.AsyncClient) -> None:
    ids = [
        (await client.post("/crm/v3/objects/companies", json={"properties": {"name": f"C{i}"}})).json()["id"]
        for i in range(5)
    ]
    first = (await client.get("/crm/v3/objects/companies", params={"limit": 2})).json()
    assert [r["id"] for r in first["results"]] == ids[:2]
    assert first["paging"]["next"]["after"] == ids[2]
    rest = (await client.get("/crm/v3/objects/companies", params={"limit": 10, "after": ids[2]})).json()
    assert [r["id"] for r in rest["results"]] == ids[2:]
    assert "paging" not in rest


async def test_multi_checkbox_leading_semicolon_appends(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.load_fixture(
        {
            "properties": [
                {
                    "objectType": "contacts",
                    "name": "buying_role",
                    "label": "Buying role",
                    "type": "enumeration",
                    "fieldType": "checkbox",
                    "options": [
                        {"label": "Budget holder", "value": "BUDGET_HOLDER"},
                        {"label": "End user", "value": "END_USER"},
                        {"label": "Champion", "value": "CHAMPION"},
                    ],
                }
            ]
        }
    )
    cid = (
        await client.post(
            "/crm/v3/objects/contacts", json={"properties": {"email": "r@x.io", "buying_role": "CHAMPION"}}
        )
    ).json()["id"]
    r = await client.patch(
        f"/crm/v3/objects/contacts/{cid}", json={"properties": {"buying_role": ";BUDGET_HOLDER;END_USER"}}
    )
    assert r.json()["properties"]["buying_role"] == "CHAMPION;BUDGET_HOLDER;END_USER"


async def test_custom_date_property_rejects_non_midnight_epoch(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.load_fixture(
        {
            "properties": [
                {
                    "objectType": "deals",
                    "name": "renewal_date",
                    "label": "Renewal",
                    "type": "date",
                    "fieldType": "date",
                }
            ]
        }
    )
    bad = await client.post(
        "/crm/v3/objects/deals", json={"properties": {"dealname": "x", "renewal_date": "1635535865000"}}
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["message"].endswith("UTC, not midnight!")
    ok = await client.post(
        "/crm/v3/objects/deals", json={"properties": {"dealname": "x", "renewal_date": "1772409600000"}}
    )
    assert ok.json()["properties"]["renewal_date"] == "2026-03-02"


async def test_email_uniqueness_follows_updates(client: httpx.AsyncClient) -> None:
    cid = (await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "old@x.io"}})).json()[
        "id"
    ]
    await client.patch(f"/crm/v3/objects/contacts/{cid}", json={"properties": {"email": "new@x.io"}})
    assert (
        await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "old@x.io"}})
    ).status_code == 201
    dup = await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "NEW@x.io"}})
    assert dup.status_code == 409
    assert dup.json()["message"].endswith(cid)


async def test_contact_merge_keeps_one_primary_email_and_frees_none(client: httpx.AsyncClient) -> None:
    a = (
        await client.post(
            "/crm/v3/objects/contacts", json={"properties": {"email": "a@x.io", "firstname": "A"}}
        )
    ).json()["id"]
    b = (
        await client.post(
            "/crm/v3/objects/contacts", json={"properties": {"email": "b@x.io", "jobtitle": "CTO"}}
        )
    ).json()["id"]
    merged = (
        await client.post("/crm/v3/objects/contacts/merge", json={"primaryObjectId": a, "objectIdToMerge": b})
    ).json()
    assert merged["properties"]["email"] == "a@x.io"
    assert merged["properties"]["hs_additional_emails"] == "b@x.io"
    assert merged["properties"]["jobtitle"] == "CTO"
    found = await client.post(
        "/crm/v3/objects/contacts/search",
        json={
            "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "a@x.io"}]}]
        },
    )
    assert [r["id"] for r in found.json()["results"]] == [merged["id"]]
    again = await client.post("/crm/v3/objects/contacts", json={"properties": {"email": "a@x.io"}})
    assert again.status_code == 409


async def test_properties_with_history_lists_values_newest_first(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    cid = (
        await client.post(
            "/crm/v3/objects/contacts", json={"properties": {"email": "h@x.io", "jobtitle": "CTO"}}
        )
    ).json()["id"]
    clock.advance(minutes=1)
    await client.patch(f"/crm/v3/objects/contacts/{cid}", json={"properties": {"jobtitle": "CEO"}})
    r = await client.get(
        f"/crm/v3/objects/contacts/{cid}",
        params=[
            ("propertiesWithHistory", "jobtitle"),
            ("propertiesWithHistory", "city"),
            ("propertiesWithHistory", "nope"),
        ],
    )
    history = r.json()["propertiesWithHistory"]
    assert history["jobtitle"] == [
        {"value": "CEO", "timestamp": "2026-03-02T10:01:00.000Z", "sourceType": "INTEGRATION"},
        {"value": "CTO", "timestamp": "2026-03-02T10:00:00.000Z", "sourceType": "INTEGRATION"},
    ]
    assert history["city"] == []
    assert "nope" not in history


async def test_wrong_method_on_a_known_path_is_405(client: httpx.AsyncClient) -> None:
    r = await client.put("/crm/v3/owners")
    assert r.status_code == 405
    assert r.json()["category"] == "METHOD_NOT_ALLOWED"


async def test_request_log_keeps_repeated_query_parameters(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await client.get(
        "/crm/v3/objects/contacts", params=[("properties", "email"), ("properties", "city"), ("limit", "5")]
    )
    entry = sandbox.requests[-1]
    assert entry["query"] == {"properties": ["email", "city"], "limit": ["5"]}
    assert (entry["mode"], entry["status"]) == ("direct", 200)

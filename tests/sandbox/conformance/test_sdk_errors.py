"""Error shapes and scope enforcement, checked through the SDK's exceptions and raw bodies.

Sources: HUBSPOT_FACTS §9 (bodies by status), §3 (scopes per endpoint), §9.3 (SDK exception types).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hubspot.crm.objects import ApiException, PublicObjectSearchRequest, SimplePublicObjectInputForCreate
from hubspot.crm.objects.exceptions import ForbiddenException, NotFoundException, UnauthorizedException

from .conftest import MINIMAL_PROPERTIES, Portal, assert_hubspot_error


def _create_error(portal: Portal, object_type: str, properties: dict[str, str]) -> ApiException:
    with pytest.raises(ApiException) as caught:
        portal.sdk().crm.objects.basic_api.create(
            object_type, SimplePublicObjectInputForCreate(properties=properties)
        )
    return caught.value


def _validation_error_names(
    portal: Portal, object_type: str, properties: dict[str, str], name: str
) -> dict[str, Any]:
    error = _create_error(portal, object_type, properties)
    assert error.status == 400
    body: dict[str, Any] = json.loads(error.body)
    assert_hubspot_error(body, category="VALIDATION_ERROR")
    named = [
        e
        for e in body.get("errors", [])
        if name in e.get("context", {}).get("propertyName", []) or name in e.get("message", "")
    ]
    assert named, f"no errors[] entry names {name!r}: {body}"
    return body


def test_unknown_property_is_a_validation_error_naming_it(portal: Portal) -> None:
    # DOC-OBJ: errors[{code: PROPERTY_DOESNT_EXIST, context: {propertyName: [x]}}].
    body = _validation_error_names(
        portal, "companies", {"name": "X", "favorite_color": "blue"}, "favorite_color"
    )

    entry = body["errors"][0]
    assert entry["code"] == "PROPERTY_DOESNT_EXIST"
    assert entry["context"]["propertyName"] == ["favorite_color"]
    assert entry["message"] == 'Property "favorite_color" does not exist'
    assert body["message"].startswith("Property values were not valid: ")


def test_invalid_enumeration_option_is_a_validation_error_naming_the_property(portal: Portal) -> None:
    body = _validation_error_names(
        portal, "contacts", {"email": "a@example.com", "lifecyclestage": "prospect"}, "lifecyclestage"
    )

    assert any(e.get("code") == "INVALID_OPTION" for e in body["errors"]), body


def test_invalid_number_is_a_validation_error_naming_the_property(portal: Portal) -> None:
    _validation_error_names(portal, "deals", {**MINIMAL_PROPERTIES["deals"], "amount": "fifty"}, "amount")


def test_invalid_date_is_a_validation_error_naming_the_property(portal: Portal) -> None:
    body = _validation_error_names(
        portal, "deals", {**MINIMAL_PROPERTIES["deals"], "closedate": "next tuesday"}, "closedate"
    )

    assert any(e.get("code") == "INVALID_DATE" for e in body["errors"]), body


def test_deal_stage_outside_the_pipeline_is_rejected(portal: Portal) -> None:
    # Issue 4: "a deal stage must belong to the deal's pipeline".
    error = _create_error(portal, "deals", {**MINIMAL_PROPERTIES["deals"], "dealstage": "no_such_stage"})

    assert error.status == 400
    assert_hubspot_error(json.loads(error.body), category="VALIDATION_ERROR")
    assert "dealstage" in error.body


def test_unknown_property_on_patch_is_rejected_or_ignored(portal: Portal) -> None:
    # HUBSPOT_FACTS §2.7 / §15.13 [?]: the docs disagree (activity guides: ignored; objects guide: 400).
    created = portal.create("contacts", MINIMAL_PROPERTIES["contacts"])

    response = portal.api(
        "PATCH", f"/crm/v3/objects/contacts/{created['id']}", json={"properties": {"favorite_color": "blue"}}
    )

    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert_hubspot_error(response.json(), category="VALIDATION_ERROR")
        assert "favorite_color" in response.text


def test_duplicate_contact_email_is_a_409_naming_the_existing_id(portal: Portal) -> None:
    # ISS-N545 / ISS-PY51: "Contact already exists. Existing ID: N", category CONFLICT.
    first = portal.create("contacts", {"email": "dup@example.com"})

    error = _create_error(portal, "contacts", {"email": "dup@example.com", "firstname": "Again"})

    assert error.status == 409
    body = json.loads(error.body)
    assert_hubspot_error(body, category="CONFLICT")
    assert body["message"] == f"Contact already exists. Existing ID: {first['id']}"


def test_duplicate_email_check_ignores_case(portal: Portal) -> None:
    first = portal.create("contacts", {"email": "case@example.com"})

    error = _create_error(portal, "contacts", {"email": "CASE@Example.com"})

    assert error.status == 409
    assert re.search(rf"Existing ID: {first['id']}\b", error.body)


def test_missing_record_is_a_404_not_found(portal: Portal) -> None:
    with pytest.raises(NotFoundException) as caught:
        portal.sdk().crm.objects.basic_api.get_by_id("contacts", "987654321")

    assert caught.value.status == 404
    body = json.loads(caught.value.body)
    # The numeric-id 404 body is not fully verified (§9.2, §15.12): check the envelope only.
    assert body.get("status") == "error"
    assert isinstance(body.get("message"), str)
    assert isinstance(body.get("correlationId"), str)


def test_non_numeric_id_is_a_404_object_not_found_with_context(portal: Portal) -> None:
    # ISS-N669: "Object not found.  objectId are usually numeric." with context.id.
    response = portal.api("GET", "/crm/v3/objects/contacts/not-a-number")

    assert response.status_code == 404
    body = response.json()
    assert_hubspot_error(body, category="OBJECT_NOT_FOUND")
    assert body["message"] == "Object not found.  objectId are usually numeric."
    assert body["context"] == {"id": ["not-a-number"]}


def test_patch_of_missing_record_is_a_404(portal: Portal) -> None:
    response = portal.api("PATCH", "/crm/v3/objects/deals/987654321", json={"properties": {"dealname": "x"}})

    assert response.status_code == 404
    assert response.json()["status"] == "error"


def test_bad_token_is_a_401_invalid_authentication(portal: Portal) -> None:
    with pytest.raises(UnauthorizedException) as caught:
        portal.sdk("not-a-real-token").crm.objects.basic_api.get_by_id("contacts", "1")

    body = json.loads(caught.value.body)
    assert_hubspot_error(body, category="INVALID_AUTHENTICATION")
    assert body["message"].startswith("Authentication credentials not found.")


def test_missing_authorization_header_is_a_401(portal: Portal) -> None:
    response = portal.http.get("/crm/v3/owners")

    assert response.status_code == 401
    assert_hubspot_error(response.json(), category="INVALID_AUTHENTICATION")


def _forbidden_scopes(error: ApiException) -> list[str]:
    body = json.loads(error.body)
    assert_hubspot_error(body, category="MISSING_SCOPES")
    assert body["message"].startswith("This app hasn't been granted all required scopes")
    assert body["links"] == {"scopes": "https://developers.hubspot.com/scopes"}
    scopes: list[str] = body["errors"][0]["context"]["requiredGranularScopes"]
    return scopes


def test_search_without_the_read_scope_is_a_403_listing_it(portal: Portal) -> None:
    token = portal.new_token(["crm.objects.contacts.read", "oauth"])

    with pytest.raises(ForbiddenException) as caught:
        portal.sdk(token).crm.objects.search_api.do_search("deals", PublicObjectSearchRequest(limit=1))

    assert "crm.objects.deals.read" in _forbidden_scopes(caught.value)


def test_create_with_only_the_read_scope_is_a_403_listing_the_write_scope(portal: Portal) -> None:
    token = portal.new_token(["crm.objects.companies.read"])

    with pytest.raises(ForbiddenException) as caught:
        portal.sdk(token).crm.objects.basic_api.create(
            "companies", SimplePublicObjectInputForCreate(properties=MINIMAL_PROPERTIES["companies"])
        )

    assert "crm.objects.companies.write" in _forbidden_scopes(caught.value)


@pytest.mark.parametrize("object_type", ["notes", "tasks", "calls", "meetings"])
def test_activities_are_authorized_by_the_contacts_scopes(portal: Portal, object_type: str) -> None:
    # SPEC-NOTES/-TASKS/-CALLS/-MEETINGS: crm.objects.contacts.read / .write.
    allowed = portal.new_token(["crm.objects.contacts.read", "crm.objects.contacts.write"])
    denied = portal.new_token(["crm.objects.companies.read", "crm.objects.companies.write"])

    ok = portal.api(
        "POST",
        f"/crm/v3/objects/{object_type}",
        token=allowed,
        json={"properties": MINIMAL_PROPERTIES[object_type]},
    )
    no = portal.api("POST", f"/crm/v3/objects/{object_type}/search", token=denied, json={})

    assert ok.status_code == 201, ok.text
    assert no.status_code == 403
    assert "crm.objects.contacts.read" in no.json()["errors"][0]["context"]["requiredGranularScopes"]


def test_emails_accept_sales_email_read_as_an_alternative_scope(portal: Portal) -> None:
    # SPEC-EMAILS: read/search need crm.objects.contacts.read OR sales-email-read.
    token = portal.new_token(["sales-email-read"])

    response = portal.api("POST", "/crm/v3/objects/emails/search", token=token, json={})

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/crm/v3/owners/", "crm.objects.owners.read"),
        ("/settings/v3/users/teams", "settings.users.teams.read"),
        ("/settings/v3/users/", "settings.users.read"),
        ("/settings/v3/users/roles", "settings.users.read"),
    ],
)
def test_settings_and_owner_reads_need_their_scope(portal: Portal, path: str, scope: str) -> None:
    token = portal.new_token(["crm.objects.contacts.read"])

    response = portal.api("GET", path, token=token)

    assert response.status_code == 403
    assert scope in response.json()["errors"][0]["context"]["requiredGranularScopes"]


def test_users_accept_crm_objects_users_read_as_an_alternative(portal: Portal) -> None:
    # SPEC-USERS: settings.users.read OR crm.objects.users.read.
    token = portal.new_token(["crm.objects.users.read"])

    assert portal.api("GET", "/settings/v3/users/", token=token).status_code == 200


def test_account_details_need_oauth(portal: Portal) -> None:
    token = portal.new_token(["crm.objects.contacts.read"])

    denied = portal.api("GET", "/account-info/v3/details", token=token)
    allowed = portal.api("GET", "/account-info/v3/details", token=portal.new_token(["oauth"]))

    assert denied.status_code == 403
    assert allowed.status_code == 200


def test_error_responses_are_json_with_a_correlation_id_header(portal: Portal) -> None:
    # HUBSPOT_FACTS §1 "Response headers" [~]: x-hubspot-correlation-id, application/json.
    response = portal.api("GET", "/crm/v3/objects/contacts/not-a-number")

    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("x-hubspot-correlation-id")


def test_revoked_token_is_a_401(portal: Portal) -> None:
    token = portal.new_token(["crm.objects.contacts.read"])
    assert portal.http.post("/_sandbox/revoke", json={"token": token}).status_code == 200

    response = portal.api("POST", "/crm/v3/objects/contacts/search", token=token, json={})

    assert response.status_code == 401
    assert_hubspot_error(response.json())
    assert response.headers.get("x-hubspot-auth-failure") == "401 Unauthorized"

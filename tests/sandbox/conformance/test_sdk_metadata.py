"""Owners, users, roles, teams, pipelines, properties and account details.

Sources: HUBSPOT_FACTS §2.1 (account details), §2.2 (owners), §2.3 (users, roles, teams),
§2.11 and §7.1 (pipelines and the default deal pipeline), §2.12 and §5 (properties), §12.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Portal

TEAM_PORTAL: dict[str, Any] = {
    "roles": [{"ref": "rep", "name": "Sales Rep"}, {"ref": "mgr", "name": "Sales Manager"}],
    "teams": [
        {"ref": "east", "name": "Sales - East", "members": ["alex"], "secondaryMembers": ["sam"]},
        {"ref": "lead", "name": "Leadership", "members": ["sam"]},
    ],
    "owners": [
        {
            "ref": "alex",
            "email": "alex@acme-sales.io",
            "firstName": "Alex",
            "lastName": "Rivera",
            "teams": ["east"],
        },
        {
            "ref": "sam",
            "email": "sam@acme-sales.io",
            "firstName": "Sam",
            "lastName": "Lee",
            "teams": ["lead"],
        },
        {
            "ref": "gone",
            "email": "gone@acme-sales.io",
            "firstName": "Former",
            "lastName": "Rep",
            "archived": True,
        },
    ],
    "users": [
        {"ref": "u_alex", "email": "alex@acme-sales.io", "roleId": "rep"},
        {"ref": "u_sam", "email": "sam@acme-sales.io", "roleId": "mgr"},
    ],
}


@pytest.fixture
def team(portal: Portal) -> dict[str, str]:
    return portal.load(TEAM_PORTAL)


def test_owners_list_only_active_owners_by_default(portal: Portal, team: dict[str, str]) -> None:
    page = portal.sdk().crm.owners.owners_api.get_page()

    assert {o.email for o in page.results} == {"alex@acme-sales.io", "sam@acme-sales.io"}
    alex = next(o for o in page.results if o.email == "alex@acme-sales.io")
    assert alex.id == team["alex"]
    assert alex.type == "PERSON"
    assert alex.archived is False
    assert alex.first_name == "Alex" and alex.last_name == "Rivera"
    assert isinstance(alex.user_id, int)
    assert alex.user_id == alex.user_id_including_inactive
    assert [(t.name, t.primary) for t in alex.teams] == [("Sales - East", True)]


def test_archived_true_lists_only_archived_owners(portal: Portal, team: dict[str, str]) -> None:
    page = portal.sdk().crm.owners.owners_api.get_page(archived=True)

    assert [o.email for o in page.results] == ["gone@acme-sales.io"]
    gone = page.results[0]
    assert gone.archived is True
    # DOC-OWNERS: archived owners have userId null and keep userIdIncludingInactive.
    assert gone.user_id is None
    assert isinstance(gone.user_id_including_inactive, int)


def test_owners_filter_by_email(portal: Portal, team: dict[str, str]) -> None:
    page = portal.sdk().crm.owners.owners_api.get_page(email="sam@acme-sales.io")

    assert [o.id for o in page.results] == [team["sam"]]


def test_owner_by_id(portal: Portal, team: dict[str, str]) -> None:
    owner = portal.sdk().crm.owners.owners_api.get_by_id(int(team["alex"]))

    assert owner.email == "alex@acme-sales.io"


def test_owner_list_is_served_with_and_without_trailing_slash(portal: Portal, team: dict[str, str]) -> None:
    with_slash = portal.api("GET", "/crm/v3/owners/")
    without = portal.api("GET", "/crm/v3/owners")

    assert with_slash.status_code == without.status_code == 200
    assert with_slash.json()["results"] == without.json()["results"]


def test_owners_page_with_limit_and_after(portal: Portal, team: dict[str, str]) -> None:
    api = portal.sdk().crm.owners.owners_api

    first = api.get_page(limit=1)
    second = api.get_page(limit=1, after=first.paging.next.after)

    assert len(first.results) == len(second.results) == 1
    assert first.results[0].id != second.results[0].id
    assert second.paging is None


def test_users_carry_role_and_teams_and_match_owner_user_ids(portal: Portal, team: dict[str, str]) -> None:
    sdk = portal.sdk()
    users = sdk.settings.users.users_api.get_page()
    roles = {r.name: r.id for r in sdk.settings.users.roles_api.get_all().results}
    owners = {o.email: o for o in sdk.crm.owners.owners_api.get_page().results}

    by_email = {u.email: u for u in users.results}
    assert set(by_email) == {"alex@acme-sales.io", "sam@acme-sales.io"}
    alex = by_email["alex@acme-sales.io"]
    assert alex.role_id == roles["Sales Rep"]
    assert alex.role_ids == [roles["Sales Rep"]]
    assert alex.super_admin is False
    # DOC-OWNERS: the owner's userId is the settings user's id (int vs str).
    assert str(owners["alex@acme-sales.io"].user_id) == alex.id


def test_roles_have_id_name_and_requires_billing_write(portal: Portal, team: dict[str, str]) -> None:
    response = portal.api("GET", "/settings/v3/users/roles")

    assert response.status_code == 200
    results = response.json()["results"]
    assert {r["name"] for r in results} == {"Sales Rep", "Sales Manager"}
    for role in results:
        assert isinstance(role["id"], str)
        assert isinstance(role["requiresBillingWrite"], bool)


def test_teams_list_primary_and_secondary_members(portal: Portal, team: dict[str, str]) -> None:
    sdk = portal.sdk()
    teams = {t.name: t for t in sdk.settings.users.teams_api.get_all().results}
    users = {u.email: u.id for u in sdk.settings.users.users_api.get_page().results}

    east = teams["Sales - East"]
    assert east.user_ids == [users["alex@acme-sales.io"]]
    assert east.secondary_user_ids == [users["sam@acme-sales.io"]]
    assert teams["Leadership"].user_ids == [users["sam@acme-sales.io"]]


def test_users_list_is_served_at_the_sdk_trailing_slash_path(portal: Portal, team: dict[str, str]) -> None:
    # The SDK calls /settings/v3/users/ (trailing slash); the product document lists it without.
    with_slash = portal.api("GET", "/settings/v3/users/")
    without = portal.api("GET", "/settings/v3/users")

    assert with_slash.status_code == 200
    assert without.status_code == 200
    assert with_slash.json()["results"] == without.json()["results"]


# --- pipelines -----------------------------------------------------------------------------------

DEFAULT_STAGES = [
    ("appointmentscheduled", "Appointment Scheduled", 0, "0.2", "false"),
    ("qualifiedtobuy", "Qualified To Buy", 1, "0.4", "false"),
    ("presentationscheduled", "Presentation Scheduled", 2, "0.6", "false"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", 3, "0.8", "false"),
    ("contractsent", "Contract Sent", 4, "0.9", "false"),
    ("closedwon", "Closed Won", 5, "1.0", "true"),
    ("closedlost", "Closed Lost", 6, "0.0", "true"),
]


def test_default_deal_pipeline_has_hubspots_stages(portal: Portal) -> None:
    pipelines = portal.sdk().crm.pipelines.pipelines_api.get_all("deals")

    default = next(p for p in pipelines.results if p.id == "default")
    assert default.label == "Sales Pipeline"
    assert default.display_order == 0
    assert default.archived is False
    stages = [
        (s.id, s.label, s.display_order, s.metadata["probability"], s.metadata["isClosed"])
        for s in sorted(default.stages, key=lambda s: s.display_order)
    ]
    assert stages == DEFAULT_STAGES


def test_single_pipeline_and_its_stages(portal: Portal) -> None:
    sdk = portal.sdk()

    pipeline = sdk.crm.pipelines.pipelines_api.get_by_id("deals", "default")
    stages = sdk.crm.pipelines.pipeline_stages_api.get_all("deals", "default")

    assert pipeline.id == "default"
    assert [s.id for s in sorted(stages.results, key=lambda s: s.display_order)] == [
        row[0] for row in DEFAULT_STAGES
    ]
    for stage in stages.results:
        assert isinstance(stage.metadata["probability"], str)


def test_stage_metadata_values_are_strings_on_the_wire(portal: Portal) -> None:
    body = portal.api("GET", "/crm/v3/pipelines/deals/default/stages").json()

    for stage in body["results"]:
        assert all(isinstance(v, str) for v in stage["metadata"].values()), stage
        assert {"id", "label", "displayOrder", "archived", "createdAt", "updatedAt"} <= set(stage)


def test_unknown_pipeline_is_a_404(portal: Portal) -> None:
    response = portal.api("GET", "/crm/v3/pipelines/deals/no-such-pipeline")

    assert response.status_code == 404
    assert response.json()["status"] == "error"


# --- properties ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "object_type", ["contacts", "companies", "deals", "tasks", "notes", "calls", "meetings", "emails"]
)
def test_properties_have_the_required_fields(portal: Portal, object_type: str) -> None:
    props = portal.sdk().crm.properties.core_api.get_all(object_type).results

    names = {p.name for p in props}
    assert "hs_object_id" in names
    for prop in props:
        assert prop.type in {
            "bool",
            "enumeration",
            "date",
            "datetime",
            "string",
            "number",
            "object_coordinates",
            "json",
        }
        assert prop.group_name
        assert prop.options is not None
        if prop.type != "enumeration":
            assert prop.options == []


def test_contact_lifecyclestage_options(portal: Portal) -> None:
    prop = portal.sdk().crm.properties.core_api.get_by_name("contacts", "lifecyclestage")

    assert prop.type == "enumeration"
    assert [(o.value, o.label) for o in sorted(prop.options, key=lambda o: o.display_order)] == [
        ("subscriber", "Subscriber"),
        ("lead", "Lead"),
        ("marketingqualifiedlead", "Marketing Qualified Lead"),
        ("salesqualifiedlead", "Sales Qualified Lead"),
        ("opportunity", "Opportunity"),
        ("customer", "Customer"),
        ("evangelist", "Evangelist"),
        ("other", "Other"),
    ]


@pytest.mark.parametrize(
    ("object_type", "name", "values"),
    [
        (
            "contacts",
            "hs_lead_status",
            {
                "NEW",
                "OPEN",
                "IN_PROGRESS",
                "OPEN_DEAL",
                "UNQUALIFIED",
                "ATTEMPTED_TO_CONTACT",
                "CONNECTED",
                "BAD_TIMING",
            },
        ),
        ("tasks", "hs_task_priority", {"LOW", "MEDIUM", "HIGH"}),
        ("tasks", "hs_task_status", {"NOT_STARTED", "COMPLETED"}),
        ("tasks", "hs_task_type", {"EMAIL", "CALL", "TODO"}),
        ("calls", "hs_call_direction", {"INBOUND", "OUTBOUND"}),
        ("meetings", "hs_meeting_outcome", {"SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"}),
        ("emails", "hs_email_direction", {"EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"}),
        ("emails", "hs_email_status", {"BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"}),
    ],
)
def test_enumeration_options_include_the_documented_values(
    portal: Portal, object_type: str, name: str, values: set[str]
) -> None:
    prop = portal.sdk().crm.properties.core_api.get_by_name(object_type, name)

    assert values <= {o.value for o in prop.options}


@pytest.mark.parametrize(
    ("object_type", "name", "prop_type"),
    [
        ("contacts", "email", "string"),
        ("contacts", "createdate", "datetime"),
        ("deals", "amount", "number"),
        ("deals", "dealstage", "enumeration"),
        ("companies", "annualrevenue", "number"),
        ("tasks", "hs_timestamp", "datetime"),
    ],
)
def test_property_types(portal: Portal, object_type: str, name: str, prop_type: str) -> None:
    assert portal.sdk().crm.properties.core_api.get_by_name(object_type, name).type == prop_type


def test_read_only_system_properties_are_marked(portal: Portal) -> None:
    prop = portal.sdk().crm.properties.core_api.get_by_name("contacts", "hs_object_id")

    assert prop.modification_metadata is not None
    assert prop.modification_metadata.read_only_value is True


# --- account details ----------------------------------------------------------------------------


def test_account_details_have_every_required_field_with_its_type(portal: Portal) -> None:
    # The SDK has no method for this endpoint (HUBSPOT_FACTS §2.1), so plain HTTP.
    response = portal.api("GET", "/account-info/v3/details")

    assert response.status_code == 200
    body = response.json()
    expected_types = {
        "portalId": int,
        "accountType": str,
        "timeZone": str,
        "companyCurrency": str,
        "additionalCurrencies": list,
        "utcOffset": str,
        "utcOffsetMilliseconds": int,
        "uiDomain": str,
        "dataHostingLocation": str,
    }
    for key, kind in expected_types.items():
        assert isinstance(body.get(key), kind), (key, body)
    assert body["accountType"] in {"STANDARD", "DEVELOPER_TEST", "SANDBOX", "APP_DEVELOPER"}


def test_owner_without_teams_has_no_teams_key(portal: Portal) -> None:
    # SPEC-OWNERS / DOC-OWNERS: `teams` is omitted when the owner has no teams.
    refs = portal.load({"owners": [{"ref": "solo", "email": "solo@acme-sales.io", "firstName": "Solo"}]})

    owner = portal.api("GET", f"/crm/v3/owners/{refs['solo']}").json()

    assert "teams" not in owner


def test_owner_by_user_id(portal: Portal, team: dict[str, str]) -> None:
    # SPEC-OWNERS: idProperty=userId looks an owner up by its user id.
    owner = portal.api("GET", f"/crm/v3/owners/{team['alex']}").json()

    by_user = portal.api("GET", f"/crm/v3/owners/{owner['userId']}", params={"idProperty": "userId"})

    assert by_user.status_code == 200
    assert by_user.json()["id"] == team["alex"]


def test_user_by_id_and_by_email(portal: Portal, team: dict[str, str]) -> None:
    # DOC-USERPROV: GET /settings/v3/users/{userId}?idProperty=USER_ID|EMAIL.
    api = portal.sdk().settings.users.users_api

    by_id = api.get_by_id(team["u_alex"])
    by_email = api.get_by_id("alex@acme-sales.io", id_property="EMAIL")

    assert by_id.email == "alex@acme-sales.io"
    assert by_email.id == team["u_alex"]


def test_default_pipeline_was_created_at_the_epoch(portal: Portal) -> None:
    # SPEC-PIPE: "default pipelines will have createdAt = 0".
    body = portal.api("GET", "/crm/v3/pipelines/deals/default").json()

    assert body["createdAt"].startswith("1970-01-01T00:00:00")


def test_dealstage_property_lists_the_pipeline_stages_as_options(portal: Portal) -> None:
    prop = portal.sdk().crm.properties.core_api.get_by_name("deals", "dealstage")

    options = {o.value: o.label for o in prop.options}
    assert {row[0]: row[1] for row in DEFAULT_STAGES}.items() <= options.items()


def test_users_carry_primary_and_secondary_team_ids(portal: Portal, team: dict[str, str]) -> None:
    # SPEC-USERS: PublicUser.primaryTeamId and secondaryTeamIds.
    users = {u["email"]: u for u in portal.api("GET", "/settings/v3/users/").json()["results"]}

    assert users["alex@acme-sales.io"]["primaryTeamId"] == team["east"]
    assert users["sam@acme-sales.io"]["primaryTeamId"] == team["lead"]
    assert users["sam@acme-sales.io"]["secondaryTeamIds"] == [team["east"]]


def test_owner_teams_flag_the_primary_team(portal: Portal, team: dict[str, str]) -> None:
    owner = portal.api("GET", f"/crm/v3/owners/{team['sam']}").json()

    assert sorted((t["id"], t["primary"]) for t in owner["teams"]) == sorted(
        [(team["lead"], True), (team["east"], False)]
    )


def test_property_groups_cover_every_propertys_group(portal: Portal) -> None:
    sdk = portal.sdk()

    groups = {g.name for g in sdk.crm.properties.groups_api.get_all("contacts").results}
    used = {p.group_name for p in sdk.crm.properties.core_api.get_all("contacts").results}

    assert used <= groups


def test_account_utc_offset_fields_agree(portal: Portal) -> None:
    body = portal.api("GET", "/account-info/v3/details").json()

    sign = -1 if body["utcOffset"].startswith("-") else 1
    hours, minutes = body["utcOffset"].lstrip("+-").split(":")
    assert body["utcOffsetMilliseconds"] == sign * (int(hours) * 3600 + int(minutes) * 60) * 1000


def test_owners_page_holds_100_by_default(portal: Portal) -> None:
    # SPEC-OWNERS: `limit` defaults to 100.
    portal.load({"owners": [{"ref": f"o{n}", "email": f"o{n}@acme-sales.io"} for n in range(101)]})

    page = portal.sdk().crm.owners.owners_api.get_page()

    assert len(page.results) == 100
    assert page.paging is not None and page.paging.next.after
    # The SDK's own pager follows paging.next.after to the end.
    assert len(portal.sdk().crm.owners.get_all()) == 101

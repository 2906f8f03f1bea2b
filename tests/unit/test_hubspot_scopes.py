"""The scope table: what each operation needs, the check, and the narrowing of a grant."""

from __future__ import annotations

import pytest

from tools.hubspot import scopes
from tools.hubspot.errors import MissingScopes, NotAllowed
from tools.hubspot.scopes import ScopeGrant, ScopeGrants
from tools.hubspot.types import ACTIVITY_TYPES, OBJECT_TYPES, ObjectType
from tools.scopes_catalog import ALL_SCOPES, REQUIRED_SCOPES


@pytest.mark.parametrize("activity", ACTIVITY_TYPES)
def test_activities_are_authorized_by_the_contacts_scopes(activity: ObjectType) -> None:
    assert scopes.flatten(scopes.requirement("search", activity)) == ["crm.objects.contacts.read"]
    assert scopes.flatten(scopes.requirement("create", activity)) == ["crm.objects.contacts.write"]


@pytest.mark.parametrize(
    ("operation", "scope"),
    [
        ("list_owners", "crm.objects.owners.read"),
        ("list_users", "settings.users.read"),
        ("list_roles", "settings.users.read"),
        ("list_teams", "settings.users.teams.read"),
        ("account_details", "oauth"),
    ],
)
def test_account_wide_operations(operation: scopes.Operation, scope: str) -> None:
    assert scopes.flatten(scopes.requirement(operation)) == [scope]


def test_every_scope_in_the_table_is_one_the_app_requests() -> None:
    named = {s for req in scopes.SCOPE_TABLE.values() for alt in req for s in alt}
    assert named <= set(ALL_SCOPES)


def test_the_required_scopes_authorize_every_operation() -> None:
    for (operation, object_type), req in scopes.SCOPE_TABLE.items():
        assert scopes.missing(req, REQUIRED_SCOPES) == [], (operation, object_type)


def test_merge_is_only_for_companies_and_pipelines_only_for_deals() -> None:
    assert scopes.flatten(scopes.requirement("merge", "companies")) == ["crm.objects.companies.write"]
    with pytest.raises(NotAllowed):
        scopes.requirement("merge", "contacts")
    with pytest.raises(NotAllowed):
        scopes.requirement("list_pipelines", "notes")


def test_check_raises_missing_scopes_with_the_required_list() -> None:
    with pytest.raises(MissingScopes) as info:
        scopes.check("update", "deals", {"crm.objects.deals.read"})
    assert info.value.required == ["crm.objects.deals.write"]
    assert info.value.kind == "missing_scope"


def test_email_content_needs_sales_email_read() -> None:
    granted = {"crm.objects.contacts.read"}
    scopes.check("get_object", "emails", granted, properties=["hs_email_subject"])
    with pytest.raises(MissingScopes) as info:
        scopes.check("get_object", "emails", granted, properties=["hs_email_html"])
    assert info.value.required == ["sales-email-read"]


def test_narrow_drops_the_scopes_hubspot_named() -> None:
    grant = ScopeGrant({"crm.objects.deals.read", "crm.objects.contacts.read"})
    grant.narrow(["crm.schemas.deals.read", "crm.objects.deals.read"], scopes.requirement("search", "deals"))
    assert grant.scopes == {"crm.objects.contacts.read"}


def test_narrow_falls_back_to_the_table_when_hubspot_names_none_of_ours() -> None:
    grant = ScopeGrant({"crm.objects.deals.read", "crm.objects.contacts.read"})
    grant.narrow(["crm.objects.deals.highly_sensitive.read.v2"], scopes.requirement("search", "deals"))
    assert grant.scopes == {"crm.objects.contacts.read"}


def test_grants_start_from_the_initial_scopes_and_are_independent() -> None:
    grants = ScopeGrants(ALL_SCOPES)
    a = grants.get("t1", None)
    a.scopes.discard("oauth")
    assert "oauth" in grants.get("t2", None).scopes
    assert grants.get("t1", None) is a


def test_scopes_for_collects_over_object_types() -> None:
    assert scopes.scopes_for("search", OBJECT_TYPES) == [
        "crm.objects.companies.read",
        "crm.objects.contacts.read",
        "crm.objects.deals.read",
    ]


def test_describe_is_readable() -> None:
    assert scopes.describe(scopes.requirement("list_owners")) == "crm.objects.owners.read"
    assert scopes.describe(scopes.requirement("paragon_me")) == "none"

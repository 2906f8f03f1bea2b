"""Joining HubSpot's owners, users and roles into people, and reading Paragon's credential status."""

from __future__ import annotations

from typing import Any

import pytest

from agent.identity import join_people
from agent.identity.sync import paragon_reports_invalid
from tools.hubspot import Connection
from tools.hubspot.models import Owner, ParagonMe, Role, SettingsUser


def owner(id: str, user_id: int | None, email: str, **kw: Any) -> Owner:
    return Owner.model_validate({"id": id, "userId": user_id, "email": email, **kw})


def test_owners_and_users_are_one_person_by_user_id() -> None:
    people = join_people(
        [owner("10", 1, "a@x.io", firstName="Ann", teams=[{"id": "7"}, {"id": "5", "primary": True}])],
        [],
        [
            SettingsUser.model_validate(
                {"id": "1", "email": "a@x.io", "roleIds": ["r1"], "secondaryTeamIds": ["9"]}
            )
        ],
        [Role(id="r1", name="Sales Rep")],
    )
    (ann,) = people
    assert (ann.hubspot_user_id, ann.owner_id, ann.first_name) == ("1", "10", "Ann")
    assert (ann.role_id, ann.role_name) == ("r1", "Sales Rep")
    assert ann.team_ids == ("5", "7", "9")  # primary team first
    assert not ann.archived


def test_archived_owners_use_the_inactive_user_id_and_active_listing_wins() -> None:
    active = [owner("10", 1, "a@x.io")]
    archived = [
        owner("10", None, "a@x.io", archived=True, userIdIncludingInactive=1),
        owner("20", None, "b@x.io", archived=True, userIdIncludingInactive=2, firstName=""),
    ]
    people = {p.owner_id: p for p in join_people(active, archived, [], [])}
    assert not people["10"].archived
    assert people["20"].archived and people["20"].hubspot_user_id == "2"
    assert people["20"].first_name is None  # blank names are unknown, not a rename


def test_users_without_an_owner_are_people_without_an_owner_id() -> None:
    users = [SettingsUser.model_validate({"id": "3", "email": "c@x.io", "primaryTeamId": "5"})]
    (person,) = join_people([], [], users, [])
    assert (person.owner_id, person.hubspot_user_id, person.team_ids) == (None, "3", ("5",))


def me(hubspot: dict[str, Any] | None, authenticated: bool = True) -> ParagonMe:
    integrations = {"hubspot": hubspot} if hubspot is not None else {}
    return ParagonMe.model_validate({"authenticated": authenticated, "integrations": integrations})


CONN = Connection("t1", "u1", "cred-1")


@pytest.mark.parametrize(
    ("hubspot", "invalid"),
    [
        ({"enabled": True, "credentialId": "cred-1", "credentialStatus": "VALID"}, False),
        ({"enabled": False, "credentialId": "cred-1", "credentialStatus": "PENDING"}, False),
        ({"enabled": False, "credentialId": "cred-1", "credentialStatus": "INVALID"}, True),
        ({"enabled": False, "configuredWorkflows": {}}, True),
        (None, True),
        # Paragon answered about another credential of the user: look ours up in allCredentials.
        (
            {
                "credentialId": "cred-2",
                "credentialStatus": "VALID",
                "allCredentials": [
                    {"id": "cred-2", "status": "VALID"},
                    {"id": "cred-1", "status": "INVALID"},
                ],
            },
            True,
        ),
        ({"credentialId": "cred-2", "credentialStatus": "VALID", "allCredentials": [{"id": "cred-2"}]}, True),
        (
            {
                "credentialId": "cred-2",
                "allCredentials": [{"id": "cred-2", "status": "VALID"}, {"id": "cred-1", "status": "VALID"}],
            },
            False,
        ),
    ],
)
def test_paragon_credential_status(hubspot: dict[str, Any] | None, invalid: bool) -> None:
    assert paragon_reports_invalid(me(hubspot), CONN) is invalid


def test_a_refused_paragon_token_is_not_an_uninstall() -> None:
    assert paragon_reports_invalid(me(None, authenticated=False), CONN) is False

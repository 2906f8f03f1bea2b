"""Object type ids, HUBSPOT_DEFINED association type ids and record links."""

from __future__ import annotations

import pytest

from tools.hubspot.models import AssociationInput
from tools.hubspot.types import OBJECT_TYPE_IDS, association_type_ids, record_url


def test_object_type_ids_match_hubspot() -> None:
    assert OBJECT_TYPE_IDS == {
        "contacts": "0-1",
        "companies": "0-2",
        "deals": "0-3",
        "tasks": "0-27",
        "notes": "0-46",
        "meetings": "0-47",
        "calls": "0-48",
        "emails": "0-49",
    }


@pytest.mark.parametrize(
    ("from_type", "to_type", "unlabeled", "primary"),
    [
        ("contacts", "companies", 279, 1),
        ("companies", "contacts", 280, 2),
        ("deals", "companies", 341, 5),
        ("companies", "deals", 342, 6),
        ("deals", "contacts", 3, None),
        ("contacts", "deals", 4, None),
        ("notes", "contacts", 202, None),
        ("emails", "deals", 210, None),
        ("tasks", "companies", 192, None),
        ("calls", "contacts", 194, None),
        ("meetings", "deals", 212, None),
    ],
)
def test_association_type_ids_follow_the_direction(
    from_type: str, to_type: str, unlabeled: int, primary: int | None
) -> None:
    ids = association_type_ids(from_type, to_type)  # type: ignore[arg-type]
    assert (ids.unlabeled, ids.primary) == (unlabeled, primary)


def test_no_association_between_two_activities() -> None:
    with pytest.raises(KeyError):
        association_type_ids("notes", "tasks")


def test_inline_association_can_be_primary() -> None:
    primary = AssociationInput.default("deals", "companies", "9001", primary=True)
    assert primary.to_wire()["types"] == [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]
    with pytest.raises(ValueError):
        AssociationInput.default("notes", "contacts", "1", primary=True)


def test_record_url_uses_the_contacts_segment_for_every_type() -> None:
    assert record_url("app-eu1.hubspot.com", 123456, "deals", "777") == (
        "https://app-eu1.hubspot.com/contacts/123456/record/0-3/777"
    )

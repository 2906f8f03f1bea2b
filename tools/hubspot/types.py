"""HubSpot object types, their type ids, HUBSPOT_DEFINED association type ids and record URLs.

Facts from HubSpot's docs (CRM object type table, associations v4 type tables, record URLs);
no I/O here, so the agent, the registry and the sandbox can import it freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

ObjectType = Literal["contacts", "companies", "deals", "tasks", "notes", "emails", "meetings", "calls"]
"""The CRM object types the integration supports (plural names, as in HubSpot's paths)."""

OBJECT_TYPES: Final[tuple[ObjectType, ...]] = get_args(ObjectType)

ACTIVITY_TYPES: Final[tuple[ObjectType, ...]] = ("tasks", "notes", "emails", "meetings", "calls")
"""Engagements: records logged against contacts, companies and deals."""

OBJECT_TYPE_IDS: Final[dict[ObjectType, str]] = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tasks": "0-27",
    "notes": "0-46",
    "meetings": "0-47",
    "calls": "0-48",
    "emails": "0-49",
}

_SINGULAR: Final[dict[ObjectType, str]] = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "tasks": "task",
    "notes": "note",
    "emails": "email",
    "meetings": "meeting",
    "calls": "call",
}


def is_object_type(value: str) -> bool:
    """True when ``value`` is one of the supported plural object type names."""
    return value in OBJECT_TYPE_IDS


def singular(object_type: ObjectType) -> str:
    """HubSpot's singular name (``contact``), used by search's ``associations.<type>`` filter."""
    return _SINGULAR[object_type]


@dataclass(frozen=True, slots=True)
class AssociationTypeIds:
    """The HUBSPOT_DEFINED type ids from one object type to another.

    Attributes:
        unlabeled: The default ("most generic") type, the one ``PUT .../associations/default/...``
            creates and the one to send inline on create.
        primary: The "Primary" type where HubSpot defines one (contact/deal → company), else None.
    """

    unlabeled: int
    primary: int | None = None


def _ids(unlabeled: int, primary: int | None = None) -> AssociationTypeIds:
    return AssociationTypeIds(unlabeled, primary)


# Keyed (from, to): the direction matters, an inline association on create must use the id
# defined from the object being created to its target.
ASSOCIATION_TYPE_IDS: Final[dict[tuple[ObjectType, ObjectType], AssociationTypeIds]] = {
    ("contacts", "contacts"): _ids(449),
    ("contacts", "companies"): _ids(279, primary=1),
    ("contacts", "deals"): _ids(4),
    ("contacts", "calls"): _ids(193),
    ("contacts", "emails"): _ids(197),
    ("contacts", "meetings"): _ids(199),
    ("contacts", "notes"): _ids(201),
    ("contacts", "tasks"): _ids(203),
    ("companies", "contacts"): _ids(280, primary=2),
    ("companies", "companies"): _ids(450),
    ("companies", "deals"): _ids(342, primary=6),
    ("companies", "calls"): _ids(181),
    ("companies", "emails"): _ids(185),
    ("companies", "meetings"): _ids(187),
    ("companies", "notes"): _ids(189),
    ("companies", "tasks"): _ids(191),
    ("deals", "contacts"): _ids(3),
    ("deals", "companies"): _ids(341, primary=5),
    ("deals", "deals"): _ids(451),
    ("deals", "calls"): _ids(205),
    ("deals", "emails"): _ids(209),
    ("deals", "meetings"): _ids(211),
    ("deals", "notes"): _ids(213),
    ("deals", "tasks"): _ids(215),
    ("calls", "contacts"): _ids(194),
    ("calls", "companies"): _ids(182),
    ("calls", "deals"): _ids(206),
    ("emails", "contacts"): _ids(198),
    ("emails", "companies"): _ids(186),
    ("emails", "deals"): _ids(210),
    ("meetings", "contacts"): _ids(200),
    ("meetings", "companies"): _ids(188),
    ("meetings", "deals"): _ids(212),
    ("notes", "contacts"): _ids(202),
    ("notes", "companies"): _ids(190),
    ("notes", "deals"): _ids(214),
    ("tasks", "contacts"): _ids(204),
    ("tasks", "companies"): _ids(192),
    ("tasks", "deals"): _ids(216),
}


def association_type_ids(from_type: ObjectType, to_type: ObjectType) -> AssociationTypeIds:
    """The HUBSPOT_DEFINED type ids from ``from_type`` to ``to_type``.

    Raises:
        KeyError: HubSpot defines no association between the two (e.g. note → task).
    """
    try:
        return ASSOCIATION_TYPE_IDS[(from_type, to_type)]
    except KeyError:
        raise KeyError(f"HubSpot defines no association from {from_type} to {to_type}") from None


def record_url(ui_domain: str, portal_id: int | str, object_type: ObjectType, object_id: str) -> str:
    """The HubSpot web link of a record.

    The path segment is literally ``contacts`` for every object type; ``ui_domain`` comes from
    the account details (``app.hubspot.com``, ``app-eu1.hubspot.com``).
    """
    type_id = OBJECT_TYPE_IDS[object_type]
    return f"https://{ui_domain}/contacts/{portal_id}/record/{type_id}/{object_id}"

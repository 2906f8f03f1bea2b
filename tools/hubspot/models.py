"""Typed request and response bodies of the HubSpot endpoints the integration uses.

Shapes follow HubSpot's OpenAPI specs and official SDK models. Response models accept extra
fields (HubSpot adds fields over time) and treat most fields as optional, as HubSpot's error
handling guide advises. Python names are snake_case; the wire names are camelCase aliases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from tools.hubspot.types import ObjectType, association_type_ids


class _Wire(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, unknown fields kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class _Request(BaseModel):
    """Base of request bodies: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def to_wire(self) -> dict[str, Any]:
        """The JSON body HubSpot expects."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


# --------------------------------------------------------------------------- account, people


class AccountDetails(_Wire):
    """``GET /account-info/v3/details``."""

    portal_id: int
    account_type: str | None = None
    time_zone: str | None = None
    company_currency: str | None = None
    additional_currencies: list[str] = Field(default_factory=list)
    utc_offset: str | None = None
    utc_offset_milliseconds: int | None = None
    ui_domain: str = "app.hubspot.com"
    data_hosting_location: str | None = None


class OwnerTeam(_Wire):
    """A team an owner belongs to."""

    id: str
    name: str | None = None
    primary: bool = False


class Owner(_Wire):
    """A CRM owner (``GET /crm/v3/owners``). Assign records with ``id``, not ``user_id``."""

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    user_id: int | None = None
    user_id_including_inactive: int | None = None
    type: str = "PERSON"
    archived: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    teams: list[OwnerTeam] = Field(default_factory=list)


class SettingsUser(_Wire):
    """A HubSpot user (``GET /settings/v3/users``); its ``id`` is an owner's ``userId``."""

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role_id: str | None = None
    role_ids: list[str] = Field(default_factory=list)
    primary_team_id: str | None = None
    secondary_team_ids: list[str] = Field(default_factory=list)
    super_admin: bool = False


class Role(_Wire):
    """A permission role (``GET /settings/v3/users/roles``)."""

    id: str
    name: str | None = None
    requires_billing_write: bool = False


class Team(_Wire):
    """A team (``GET /settings/v3/users/teams``)."""

    id: str
    name: str | None = None
    user_ids: list[str] = Field(default_factory=list)
    secondary_user_ids: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------- CRM records


class AssociatedId(_Wire):
    """One associated record in a v3 record's ``associations`` block."""

    id: str
    type: str | None = None


class AssociationBlock(_Wire):
    """``associations[<toType>]`` of a v3 record read with ``associations=``."""

    results: list[AssociatedId] = Field(default_factory=list)


class CrmObject(_Wire):
    """A CRM record (HubSpot's ``SimplePublicObject``): every property value is a string or null."""

    id: str
    properties: dict[str, str | None] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    archived: bool = False
    archived_at: datetime | None = None
    associations: dict[str, AssociationBlock] | None = None


# --------------------------------------------------------------------------- search


FilterOperator = Literal[
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
]


class Filter(_Request):
    """One search filter. Values are strings (dates as epoch-millisecond strings)."""

    property_name: str
    operator: FilterOperator
    value: str | None = None
    high_value: str | None = None
    values: list[str] | None = None


class FilterGroup(_Request):
    """Filters AND-ed together; groups are OR-ed."""

    filters: list[Filter] = Field(default_factory=list)


class Sort(_Request):
    """A sort rule (HubSpot applies one)."""

    property_name: str
    direction: Literal["ASCENDING", "DESCENDING"] = "DESCENDING"


class SearchRequest(_Request):
    """``POST /crm/v3/objects/{type}/search`` body. The client checks HubSpot's rules before sending."""

    filter_groups: list[FilterGroup] = Field(default_factory=list)
    query: str | None = None
    sorts: list[Sort] = Field(default_factory=list)
    properties: list[str] = Field(default_factory=list)
    limit: int = 10
    after: str | None = None

    @field_validator("after", mode="before")
    @classmethod
    def _after_as_str(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    def to_wire(self) -> dict[str, Any]:
        """The JSON body, without empty lists: ``properties: []`` is not the same as "the defaults"."""
        return {k: v for k, v in super().to_wire().items() if v != []}


class NextPage(_Wire):
    """``paging.next``."""

    after: str
    link: str | None = None


class Paging(_Wire):
    """``paging``: absent on the last page."""

    next: NextPage | None = None


class SearchPage(_Wire):
    """One page of search results."""

    total: int = 0
    results: list[CrmObject] = Field(default_factory=list)
    paging: Paging | None = None

    @property
    def next_after(self) -> str | None:
        """The ``after`` of the next page, or None on the last page."""
        return self.paging.next.after if self.paging and self.paging.next else None


class SearchResult(BaseModel):
    """Every page of a search, up to HubSpot's 10,000-result cap.

    Attributes:
        total: HubSpot's count of matching records (may exceed ``len(results)``).
        results: The records fetched.
        truncated: True when more records match than could be fetched.
    """

    total: int
    results: list[CrmObject]
    truncated: bool = False


# --------------------------------------------------------------------------- associations


AssociationCategory = Literal["HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"]


class AssociationSpec(_Request):
    """An association type: category + type id (direction matters)."""

    association_category: AssociationCategory = "HUBSPOT_DEFINED"
    association_type_id: int


class AssociationTarget(_Request):
    """``to`` of an inline association."""

    id: str


class AssociationInput(_Request):
    """An inline association sent with a create."""

    to: AssociationTarget
    types: list[AssociationSpec]

    @classmethod
    def default(
        cls, from_type: ObjectType, to_type: ObjectType, to_id: str, *, primary: bool = False
    ) -> AssociationInput:
        """The unlabeled HUBSPOT_DEFINED association (or the primary one) from ``from_type`` to a record.

        Raises:
            KeyError: HubSpot defines no association between the two types.
            ValueError: ``primary`` was asked where HubSpot defines no primary type.
        """
        ids = association_type_ids(from_type, to_type)
        type_id = ids.unlabeled
        if primary:
            if ids.primary is None:
                raise ValueError(f"HubSpot defines no primary association from {from_type} to {to_type}")
            type_id = ids.primary
        return cls(to=AssociationTarget(id=to_id), types=[AssociationSpec(association_type_id=type_id)])


class CreateRequest(_Request):
    """``POST /crm/v3/objects/{type}`` body."""

    properties: dict[str, str]
    associations: list[AssociationInput] = Field(default_factory=list)


class UpdateRequest(_Request):
    """``PATCH /crm/v3/objects/{type}/{id}`` body."""

    properties: dict[str, str]


class MergeRequest(_Request):
    """``POST /crm/v3/objects/companies/merge`` body."""

    primary_object_id: str
    object_id_to_merge: str


class AssociationType(_Wire):
    """One type of a v4 association (``typeId`` is stable, labels are not)."""

    category: str
    type_id: int
    label: str | None = None


class AssociatedObject(_Wire):
    """One associated record from the v4 associations read."""

    to_object_id: str
    association_types: list[AssociationType] = Field(default_factory=list)

    @field_validator("to_object_id", mode="before")
    @classmethod
    def _id_as_str(cls, value: object) -> object:
        # HubSpot's spec says string; its docs' examples show a JSON number. Accept both.
        return str(value) if isinstance(value, int) else value


class DefaultAssociationResult(_Wire):
    """``PUT .../associations/default/...`` answer (a batch response)."""

    status: str
    results: list[dict[str, Any]] = Field(default_factory=list)
    num_errors: int | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)


# --------------------------------------------------------------------------- pipelines, properties


class PipelineStage(_Wire):
    """A pipeline stage; ``metadata`` holds strings (``probability``, ``isClosed``)."""

    id: str
    label: str
    display_order: int = 0
    archived: bool = False
    metadata: dict[str, str] = Field(default_factory=dict)


class Pipeline(_Wire):
    """A pipeline with its stages."""

    id: str
    label: str
    display_order: int = 0
    archived: bool = False
    stages: list[PipelineStage] = Field(default_factory=list)


class PropertyOption(_Wire):
    """An enumeration option: ``value`` is what the API stores, ``label`` what people see."""

    label: str
    value: str
    hidden: bool = False
    display_order: int | None = None
    description: str | None = None


class Property(_Wire):
    """A property definition (``GET /crm/v3/properties/{type}``)."""

    name: str
    label: str
    type: str
    field_type: str
    group_name: str | None = None
    description: str | None = None
    options: list[PropertyOption] = Field(default_factory=list)
    hidden: bool = False
    hubspot_defined: bool | None = None
    calculated: bool | None = None
    has_unique_value: bool | None = None
    modification_metadata: dict[str, Any] | None = None

    @property
    def read_only(self) -> bool:
        """True when HubSpot does not let API writes set this property."""
        return bool((self.modification_metadata or {}).get("readOnlyValue")) or bool(self.calculated)


# --------------------------------------------------------------------------- Paragon


class ParagonIntegration(_Wire):
    """``integrations.hubspot`` of Paragon's ``/sdk/me``."""

    enabled: bool = False
    credential_id: str | None = None
    credential_status: str | None = None
    provider_id: str | None = None
    all_credentials: list[dict[str, Any]] = Field(default_factory=list)


class ParagonMe(_Wire):
    """Paragon's ``GET /projects/{id}/sdk/me``: the connected user and their integrations."""

    authenticated: bool = False
    user_id: str | None = None
    integrations: dict[str, ParagonIntegration] = Field(default_factory=dict)

    @property
    def hubspot(self) -> ParagonIntegration | None:
        """The HubSpot integration's state, if Paragon lists it."""
        return self.integrations.get("hubspot")

"""The identity store's interface and records: connections, user mappings and teams.

A *mapping* ties one HubSpot person (settings user id and/or CRM owner id) of a tenant's portal to
Alysio: its cached HubSpot identifiers, profile, role and teams, and (once the person has used
Alysio) the Alysio user id. The database enforces one mapping per tenant and HubSpot user id and one
per tenant and owner id, so concurrent syncs cannot map a person twice. Mappings are never removed:
archived people get ``deleted_at`` and are restored when they come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

ConnectionStatus = Literal["active", "deauthorized"]


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """One tenant's HubSpot connection (a Paragon credential).

    Attributes:
        id: Alysio's id for the connection (what ``connection uninstalled ID`` takes).
        tenant_id: The Alysio workspace.
        user_id: The Alysio user whose Paragon token reaches the credential (the installer).
        credential_id: Paragon credential id (``X-Paragon-Credential``), if known.
        portal_id: The HubSpot portal (hub) id, once read.
        scopes: Scopes the connection is believed to hold.
        status: ``active`` or ``deauthorized`` (uninstalled: every request is refused before sending).
        status_reason: Why the status last changed (``uninstalled``, ``paragon_invalid``, ...).
        created_at: When the connection was registered.
        updated_at: When it last changed.
        last_sync_at: When the last sync of its people finished.
    """

    id: str
    tenant_id: str
    user_id: str
    credential_id: str | None
    portal_id: int | None
    scopes: tuple[str, ...]
    status: ConnectionStatus
    status_reason: str | None
    created_at: datetime
    updated_at: datetime
    last_sync_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether requests for this connection may be sent."""
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class Person:
    """What HubSpot says about one person, joined from the owners, users and roles lists.

    Attributes:
        hubspot_user_id: The settings user id (an owner's ``userId``/``userIdIncludingInactive``).
        owner_id: The CRM owner id (what ``hubspot_owner_id`` holds).
        email: The HubSpot login email.
        first_name: First name.
        last_name: Last name.
        role_id: The permission role id.
        role_name: The permission role's name.
        team_ids: Team ids, the primary team first.
        archived: HubSpot marks the owner archived or the user removed.
    """

    hubspot_user_id: str | None
    owner_id: str | None
    email: str | None
    first_name: str | None = None
    last_name: str | None = None
    role_id: str | None = None
    role_name: str | None = None
    team_ids: tuple[str, ...] = ()
    archived: bool = False


@dataclass(frozen=True, slots=True)
class UserMapping:
    """A stored mapping between a HubSpot person and Alysio.

    Attributes:
        id: Row id (stable for the life of the mapping).
        tenant_id: The Alysio workspace.
        alysio_user_id: The Alysio user, once known (bound the first time they say "me").
        hubspot_user_id: Cached settings user id.
        owner_id: Cached CRM owner id.
        email: Email as HubSpot last reported it.
        first_name: First name.
        last_name: Last name.
        role_id: Permission role id.
        role_name: Permission role name.
        team_ids: Team ids, the primary team first.
        synced_at: When a sync last wrote HubSpot's values into the mapping.
        deleted_at: When it was soft-deleted (archived in HubSpot or the connection uninstalled).
    """

    id: int
    tenant_id: str
    alysio_user_id: str | None
    hubspot_user_id: str | None
    owner_id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    role_id: str | None
    role_name: str | None
    team_ids: tuple[str, ...]
    synced_at: datetime | None
    deleted_at: datetime | None

    @property
    def name(self) -> str:
        """ "First Last", else the email, else the owner or user id."""
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        return full or self.email or self.owner_id or self.hubspot_user_id or str(self.id)

    @property
    def deleted(self) -> bool:
        """Whether the mapping is soft-deleted."""
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """What HubSpot says about one team (``GET /settings/v3/users/teams``).

    HubSpot's teams API has no parent team: ``parent_id`` is never filled by a sync.
    """

    team_id: str
    name: str | None
    user_ids: tuple[str, ...] = ()
    secondary_user_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TeamRecord:
    """A stored team.

    Attributes:
        tenant_id: The Alysio workspace.
        team_id: HubSpot's team id.
        name: Team name.
        parent_id: Parent team id, only from a source that has one (HubSpot's API does not).
        user_ids: Primary members (HubSpot user ids).
        secondary_user_ids: Additional members (HubSpot user ids).
        synced_at: When a sync last wrote HubSpot's values.
        deleted_at: When the team disappeared from HubSpot.
    """

    tenant_id: str
    team_id: str
    name: str | None
    parent_id: str | None
    user_ids: tuple[str, ...]
    secondary_user_ids: tuple[str, ...]
    synced_at: datetime | None
    deleted_at: datetime | None


@dataclass(slots=True)
class SyncCounts:
    """What one reconciliation did."""

    created: int = 0
    updated: int = 0
    soft_deleted: int = 0
    restored: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        return {
            "created": self.created,
            "updated": self.updated,
            "soft_deleted": self.soft_deleted,
            "restored": self.restored,
            "unchanged": self.unchanged,
        }


PIPELINES_KIND = "pipelines:deals"
"""The metadata kind under which a tenant's deal pipelines (with their stages) are kept."""


class IdentityStore(Protocol):
    """Storage of connections, mappings and teams (SQLite now, Postgres later).

    Every ``reconcile_*`` runs in one write transaction, so concurrent syncs of a tenant serialize
    and the second sees the first's result.
    """

    async def aclose(self) -> None:
        """Release the database."""
        ...

    # connections

    async def register_connection(
        self,
        tenant_id: str,
        user_id: str,
        credential_id: str | None,
        *,
        scopes: tuple[str, ...] = (),
        now: datetime,
    ) -> ConnectionRecord:
        """The connection of ``tenant_id`` and ``credential_id``, created (active) if new."""
        ...

    async def get_connection(self, connection_id: str) -> ConnectionRecord | None:
        """A connection by id."""
        ...

    async def find_connection(self, tenant_id: str, credential_id: str | None) -> ConnectionRecord | None:
        """A connection by tenant and Paragon credential id."""
        ...

    async def list_connections(
        self, *, tenant_id: str | None = None, status: ConnectionStatus | None = None
    ) -> list[ConnectionRecord]:
        """Connections, optionally of one tenant and/or status."""
        ...

    async def update_connection(
        self,
        connection_id: str,
        *,
        now: datetime,
        status: ConnectionStatus | None = None,
        status_reason: str | None = None,
        portal_id: int | None = None,
        scopes: tuple[str, ...] | None = None,
        last_sync_at: datetime | None = None,
    ) -> ConnectionRecord:
        """Change a connection's status, portal id, scopes or last sync time (None keeps a value).

        Raises:
            KeyError: No such connection.
        """
        ...

    # mappings

    async def mappings(self, tenant_id: str, *, include_deleted: bool = False) -> list[UserMapping]:
        """The tenant's mappings (live ones only unless ``include_deleted``)."""
        ...

    async def reconcile_people(self, tenant_id: str, people: list[Person], *, now: datetime) -> SyncCounts:
        """Make the tenant's mappings match ``people`` (HubSpot's full list), in one transaction."""
        ...

    async def soft_delete_mappings(self, tenant_id: str, *, now: datetime) -> int:
        """Soft-delete every live mapping of the tenant; returns how many."""
        ...

    async def bind_alysio_user(self, mapping_id: int, alysio_user_id: str) -> UserMapping:
        """Record that ``alysio_user_id`` is this mapping's person (moved from any other mapping)."""
        ...

    # teams

    async def teams(self, tenant_id: str, *, include_deleted: bool = False) -> list[TeamRecord]:
        """The tenant's teams."""
        ...

    async def reconcile_teams(self, tenant_id: str, teams: list[TeamInfo], *, now: datetime) -> SyncCounts:
        """Make the tenant's teams match ``teams`` (parents are kept: HubSpot has none)."""
        ...

    # portal metadata (pipelines and stages, property definitions), synced with the people

    async def save_metadata(self, tenant_id: str, kind: str, body: Any, *, now: datetime) -> None:
        """Keep a piece of the portal's metadata (``kind``: ``pipelines:deals``...) as JSON."""
        ...

    async def metadata(self, tenant_id: str, kind: str) -> tuple[Any, datetime] | None:
        """A piece of the portal's metadata and when it was synced, if kept."""
        ...

    async def set_team_parent(self, tenant_id: str, team_id: str, parent_id: str | None) -> TeamRecord:
        """Set a team's parent from a source that has one (an admin's configuration).

        Raises:
            KeyError: No such team.
            ValueError: The parent is unknown or would make a cycle.
        """
        ...

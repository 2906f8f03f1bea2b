"""Sync a tenant's HubSpot owners, users, roles and teams into the identity store.

One sync reads every page of: active owners, archived owners, settings users, roles and teams (five
list endpoints, about ``n / 100`` requests each; never one request per person), joins owners and
users into :class:`~agent.identity.store.Person` rows (an owner's ``userId`` is the user's ``id``)
and reconciles them in one transaction. A list the connection has no scope for is skipped and
reported (teams need ``settings.users.teams.read``); owners are required.

Before reading, Paragon's ``/sdk/me`` is asked for the credential's status: ``INVALID`` (or the
proxy answering "Integration not enabled for user.") is an uninstall, which deauthorizes the
connection and stops here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from agent.identity.connections import (
    ConnectionDeauthorized,
    is_uninstall_signal,
    mark_uninstalled,
    tenant_connection,
)
from agent.identity.store import PIPELINES_KIND, IdentityStore, Person, SyncCounts, TeamInfo
from tools.hubspot import Connection, HubSpotClient, HubSpotError, MissingScopes, NotAllowed
from tools.hubspot.models import Owner, ParagonMe, Role, SettingsUser, Team

log = logging.getLogger("agent.identity")

Clock = Callable[[], datetime]
T = TypeVar("T")


def utc_now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


@dataclass(slots=True)
class SyncReport:
    """What one sync of a connection did.

    Attributes:
        tenant_id: The tenant.
        connection_id: The stored connection.
        people: Counts for user mappings.
        teams: Counts for teams, or None when the team part was skipped.
        skipped: Parts not synced, each with the reason (a missing scope).
        finished_at: When the sync finished.
    """

    tenant_id: str
    connection_id: str
    people: SyncCounts
    teams: SyncCounts | None
    skipped: list[str] = field(default_factory=list)
    finished_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the CLI's ``--json``)."""
        return {
            "tenant_id": self.tenant_id,
            "connection_id": self.connection_id,
            **self.people.as_dict(),
            "teams": self.teams.as_dict() if self.teams is not None else None,
            "skipped": list(self.skipped),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def _uid(value: int | str | None) -> str | None:
    return str(value) if value is not None and str(value) else None


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def join_people(
    active_owners: list[Owner],
    archived_owners: list[Owner],
    users: list[SettingsUser],
    roles: list[Role],
) -> list[Person]:
    """One :class:`Person` per HubSpot person: owners joined to users by ``userId``.

    An owner listed both active and archived counts as active; a user with no owner is a person
    without an owner id (HubSpot's settings users list holds only active users).
    """
    role_names = {r.id: r.name for r in roles}
    users_by_id = {u.id: u for u in users}
    seen_owners: set[str] = set()
    people: list[Person] = []
    for owner in [*active_owners, *archived_owners]:
        if owner.id in seen_owners:
            continue
        seen_owners.add(owner.id)
        user_id = _uid(owner.user_id) or _uid(owner.user_id_including_inactive)
        user = users_by_id.pop(user_id, None) if user_id else None
        role_id = (user.role_id or next(iter(user.role_ids), None)) if user else None
        owner_teams = sorted(owner.teams, key=lambda t: not t.primary)
        people.append(
            Person(
                hubspot_user_id=user_id,
                owner_id=owner.id,
                email=(owner.email or (user.email if user else None)) or None,
                first_name=owner.first_name or (user.first_name if user else None) or None,
                last_name=owner.last_name or (user.last_name if user else None) or None,
                role_id=role_id,
                role_name=role_names.get(role_id) if role_id else None,
                team_ids=_unique(
                    [
                        *(t.id for t in owner_teams),
                        *((user.primary_team_id, *user.secondary_team_ids) if user else ()),
                    ]
                ),
                archived=owner.archived,
            )
        )
    for user in users_by_id.values():
        role_id = user.role_id or next(iter(user.role_ids), None)
        people.append(
            Person(
                hubspot_user_id=user.id,
                owner_id=None,
                email=user.email,
                first_name=user.first_name or None,
                last_name=user.last_name or None,
                role_id=role_id,
                role_name=role_names.get(role_id) if role_id else None,
                team_ids=_unique([user.primary_team_id, *user.secondary_team_ids]),
            )
        )
    return people


def team_infos(teams: list[Team]) -> list[TeamInfo]:
    """Stored form of HubSpot's teams (which carry no parent)."""
    return [
        TeamInfo(
            team_id=t.id,
            name=t.name,
            user_ids=tuple(t.user_ids),
            secondary_user_ids=tuple(t.secondary_user_ids),
        )
        for t in teams
    ]


async def _optional(read: Awaitable[T], part: str, skipped: list[str]) -> T | None:
    """Run an optional read; a missing scope skips the part (reported) instead of failing the sync."""
    try:
        return await read
    except MissingScopes as exc:
        scopes = ", ".join(exc.required) or "a scope"
        skipped.append(f"{part}: the connection lacks {scopes}")
        return None


def paragon_reports_invalid(me: ParagonMe, conn: Connection) -> bool:
    """Whether Paragon reports the connection's HubSpot credential gone or ``INVALID``."""
    if not me.authenticated:
        return False  # our token was refused: a configuration problem, not an uninstall
    hubspot = me.hubspot
    if hubspot is None or hubspot.credential_id is None:
        return True  # HubSpot is not connected for this user at all
    if conn.credential_id and hubspot.credential_id != conn.credential_id:
        statuses = {str(c.get("id")): c.get("status") for c in hubspot.all_credentials}
        return statuses.get(conn.credential_id) in (None, "INVALID")
    return hubspot.credential_status == "INVALID"


def _portal_id(me: ParagonMe) -> int | None:
    hubspot = me.hubspot
    data = (hubspot.model_extra or {}).get("providerData") if hubspot is not None else None
    value = data.get("portalId") if isinstance(data, dict) else None
    if value is None and hubspot is not None:
        value = hubspot.provider_id
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


class IdentitySync:
    """Runs syncs for the service: one connection on demand, or every active one on a schedule.

    Args:
        store: The identity store.
        client: The HubSpot client (its scope checks and rate limiter apply).
        clock: UTC now; tests inject one.
        installer: The Alysio user whose Paragon credential the tenant's connection is, from the
            configuration (``ALYSIO_USER_ID`` of the service): recorded as the installer when a
            sync first registers the connection, whoever's turn asked for that sync. None: the
            user of the connection being synced, for callers that sync as the installer
            (``alysio-agent sync``, tests).
    """

    def __init__(
        self,
        store: IdentityStore,
        client: HubSpotClient,
        *,
        clock: Clock = utc_now,
        installer: str | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self._clock = clock
        self.installer = installer

    async def sync(self, conn: Connection) -> SyncReport:
        """Sync one connection's people and teams (the tenant's connection ``conn`` goes through).

        The connection is registered (active) the first time, with the configured installer as its
        user; a known one is read as its installer, so a teammate's turn that needs a refresh
        neither becomes the installer nor reads with credentials that are not theirs.

        Raises:
            ReconnectRequired: The connection is deauthorized (uninstalled), or Paragon now says so
                (then it is marked deauthorized first). Nothing is read from HubSpot.
            MissingScopes: The connection cannot read owners.
            HubSpotError: Any other HubSpot failure (the store is left as it was).
        """
        record = await tenant_connection(self.store, conn.tenant_id, conn.credential_id)
        if record is None:
            record = await self.store.register_connection(
                conn.tenant_id,
                self.installer or conn.user_id,
                conn.credential_id,
                scopes=tuple(sorted(self.client.grant_for(conn).scopes)),
                now=self._clock(),
            )
        if not record.active:
            raise ConnectionDeauthorized(record.id)
        # Read as the user who installed the connection: Paragon credentials belong to one
        # connected user, and another user's token (a refresh asked for by a teammate) could not
        # use it, which must not look like an uninstall.
        conn = Connection(record.tenant_id, record.user_id, record.credential_id)
        portal_id: int | None = None
        try:
            try:
                me = await self.client.paragon_me(conn)
            except NotAllowed:  # direct mode: no Paragon to ask
                me = None
            if me is not None:
                if paragon_reports_invalid(me, conn):
                    await mark_uninstalled(self.store, record.id, reason="paragon_invalid", now=self._clock())
                    raise ConnectionDeauthorized(record.id)
                portal_id = _portal_id(me)
            skipped: list[str] = []
            # Sequential on purpose: the rate limiter paces them anyway, and a failure stops the
            # sync before anything is written.
            active = await self.client.list_owners(conn, archived=False)
            archived = await self.client.list_owners(conn, archived=True)
            users = await _optional(self.client.list_users(conn), "users and roles", skipped)
            roles = (
                await _optional(self.client.list_roles(conn), "roles", skipped) if users is not None else None
            )
            teams = await _optional(self.client.list_teams(conn), "teams", skipped)
            # Supporting metadata read with the people, so a turn needs no read for it (stages).
            pipelines = await _optional(self.client.list_pipelines(conn, "deals"), "deal pipelines", skipped)
        except HubSpotError as exc:
            if is_uninstall_signal(exc):
                await mark_uninstalled(self.store, record.id, reason="proxy_not_enabled", now=self._clock())
            raise
        people = join_people(active, archived, users or [], roles or [])
        now = self._clock()
        people_counts = await self.store.reconcile_people(conn.tenant_id, people, now=now)
        team_counts = (
            await self.store.reconcile_teams(conn.tenant_id, team_infos(teams), now=now)
            if teams is not None
            else None
        )
        if pipelines is not None:
            await self.store.save_metadata(
                conn.tenant_id, PIPELINES_KIND, [p.model_dump(mode="json") for p in pipelines], now=now
            )
        finished = self._clock()
        await self.store.update_connection(
            record.id,
            now=finished,
            portal_id=portal_id,
            scopes=tuple(sorted(self.client.grant_for(conn).scopes)),  # narrowed by any 403 meanwhile
            last_sync_at=finished,
        )
        report = SyncReport(conn.tenant_id, record.id, people_counts, team_counts, skipped, finished)
        log.info("identity sync %s: %s", record.id, report.as_dict())
        return report

    async def sync_all(self) -> list[SyncReport]:
        """Sync every active connection (what the service schedules); deauthorized ones are not touched.

        A failing connection is logged and skipped so one tenant cannot stop the others.
        """
        reports: list[SyncReport] = []
        for record in await self.store.list_connections(status="active"):
            conn = Connection(record.tenant_id, record.user_id, record.credential_id)
            try:
                reports.append(await self.sync(conn))
            except HubSpotError as exc:
                log.warning("identity sync of %s failed: %s (%s)", record.id, exc.message, exc.kind)
        return reports

"""Who "me", "Sam", "priya@acme-sales.io" or "my team" is, from the identity store.

:class:`IdentityLookup` implements the graph's ``OwnerLookup`` (``agent.owners``) on synced
mappings instead of a per-process owners list: "me" is the Alysio user's own mapping (bound by
email the first time, then by the cached Alysio user id, so a HubSpot email change keeps working),
names and emails match live mappings with an owner id. On a miss it refreshes from HubSpot once
(a sync, at most once per ``refresh_interval`` per tenant), then answers plainly: a user HubSpot
does not know gets "There is no HubSpot user for …", and nothing shared changes (the refresh
reads as the connection's installer, never as them).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from agent.identity.store import IdentityStore, UserMapping
from agent.identity.sync import Clock, IdentitySync, utc_now
from agent.owners import ME_WORDS, AmbiguousOwner, OwnerMatcher, OwnerNotFound
from tools.hubspot import Connection
from tools.hubspot.models import Owner, OwnerTeam

NO_OWNER_MESSAGE = "You have no HubSpot owner in this portal."
"""What :class:`NoHubSpotOwner` says when it is not given the user's email."""


def no_user_message(email: str) -> str:
    """The answer for an email HubSpot does not list as a user or owner of the portal."""
    return f"There is no HubSpot user for {email} in this portal."


MAPPING_MATCHER: OwnerMatcher[UserMapping] = OwnerMatcher(
    owner_id=lambda m: m.owner_id, email=lambda m: m.email, name=lambda m: m.name
)
"""The owner matcher over identity mappings (``IdentityLookup`` passes the live ones)."""


class NoHubSpotOwner(OwnerNotFound):
    """The Alysio user has no (live) HubSpot owner in the connected portal.

    Args:
        email: The user's email (named in the message when given).
        user_without_owner: HubSpot lists them as a user, but they own no CRM records (no owner).
    """

    def __init__(self, email: str = "", *, user_without_owner: bool = False) -> None:
        if not email:
            message = NO_OWNER_MESSAGE
        elif user_without_owner:
            message = f"{email} is a HubSpot user but not a HubSpot owner in this portal, so no records can be theirs."
        else:
            message = no_user_message(email)
        super().__init__(message)
        self.email = email
        self.user_without_owner = user_without_owner


def as_owner(mapping: UserMapping) -> Owner:
    """The mapping as the client's ``Owner`` model (what the graph works with)."""
    if mapping.owner_id is None:
        raise ValueError("mapping has no owner id")
    raw = mapping.hubspot_user_id
    user_id = int(raw) if raw is not None and raw.isdigit() else None
    return Owner(
        id=mapping.owner_id,
        email=mapping.email,
        first_name=mapping.first_name,
        last_name=mapping.last_name,
        user_id=None if mapping.deleted else user_id,
        user_id_including_inactive=user_id,
        archived=mapping.deleted,
        teams=[OwnerTeam(id=t, primary=i == 0) for i, t in enumerate(mapping.team_ids)],
    )


class IdentityLookup:
    """``OwnerLookup`` backed by the identity store, refreshing from HubSpot on a miss.

    Args:
        store: The identity store.
        sync: Runs a sync of one connection (the refresh).
        clock: UTC now (refresh spacing); tests inject one.
        refresh_interval: Minimum time between two refreshes of a tenant, so a run of misses
            (a typo repeated, a stranger's name) costs one sync, not one per miss.
    """

    def __init__(
        self,
        store: IdentityStore,
        sync: IdentitySync,
        *,
        clock: Clock = utc_now,
        refresh_interval: timedelta = timedelta(seconds=30),
    ) -> None:
        self._store = store
        self._sync = sync
        self._clock = clock
        self._interval = refresh_interval
        self._refreshed: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def _refresh(self, conn: Connection) -> bool:
        """Sync the connection unless that happened within the interval; True when it ran."""
        lock = self._locks.setdefault(conn.tenant_id, asyncio.Lock())
        async with lock:
            now = self._clock().timestamp()
            last = self._refreshed.get(conn.tenant_id)
            if last is not None and now - last < self._interval.total_seconds():
                return False
            await self._sync.sync(conn)
            self._refreshed[conn.tenant_id] = self._clock().timestamp()
            return True

    async def _mappings(self, conn: Connection, *, include_deleted: bool = False) -> list[UserMapping]:
        """The tenant's mappings; a tenant never synced is synced first."""
        found = await self._store.mappings(conn.tenant_id, include_deleted=True)
        if not found and await self._refresh(conn):
            found = await self._store.mappings(conn.tenant_id, include_deleted=True)
        return found if include_deleted else [m for m in found if not m.deleted]

    async def _find_me(self, conn: Connection, user_email: str) -> UserMapping | None:
        mappings = await self._mappings(conn)
        for m in mappings:
            if m.alysio_user_id == conn.user_id:
                return m
        email = user_email.strip().lower()
        for m in mappings:
            if email and (m.email or "").lower() == email:
                return await self._store.bind_alysio_user(m.id, conn.user_id)
        return None

    async def me(self, conn: Connection, *, user_email: str) -> UserMapping:
        """The Alysio user's own live mapping with an owner id.

        Raises:
            NoHubSpotOwner: None, even after one refresh from HubSpot.
        """
        mine = await self._find_me(conn, user_email)
        if (mine is None or mine.owner_id is None) and await self._refresh(conn):
            mine = await self._find_me(conn, user_email)
        if mine is None or mine.owner_id is None:
            raise NoHubSpotOwner(user_email.strip(), user_without_owner=mine is not None)
        return mine

    async def people(self, conn: Connection, *, include_deleted: bool = False) -> list[UserMapping]:
        """The tenant's mappings (live ones unless ``include_deleted``); a tenant never synced is synced first."""
        return await self._mappings(conn, include_deleted=include_deleted)

    async def person(self, conn: Connection, email: str) -> UserMapping | None:
        """The live mapping (user and/or owner) with this email, case-insensitively, if any.

        A tenant never synced is synced first (as the connection's installer); a miss is not
        refreshed, so an unknown email costs no request once the tenant has been synced.
        """
        wanted = email.strip().lower()
        return next((m for m in await self.people(conn) if (m.email or "").lower() == wanted), None)

    async def resolve(self, conn: Connection, text: str, *, user_email: str) -> Owner:
        """The owner ``text`` names ("me", a name, an email or an owner id).

        Raises:
            OwnerNotFound: Nobody matches after one refresh, or the words fit several owners
                equally (``NoHubSpotOwner`` for "me").
        """
        words = text.strip().lower()
        if words in ME_WORDS:
            return as_owner(await self.me(conn, user_email=user_email))
        try:
            return as_owner(MAPPING_MATCHER.match(await self._mappings(conn), text))
        except AmbiguousOwner:
            raise
        except OwnerNotFound:
            if not await self._refresh(conn):
                raise
        return as_owner(MAPPING_MATCHER.match(await self._mappings(conn), text))

    async def label(self, conn: Connection, owner_id: str) -> str:
        """A person's name for an owner id, archived owners included (the id itself when unknown)."""
        for m in await self._store.mappings(conn.tenant_id, include_deleted=True):
            if m.owner_id == owner_id:
                return m.name
        return owner_id

    async def team_owner_ids(self, conn: Connection, *, user_email: str) -> list[str]:
        """Owner ids of everyone in the user's teams (primary and secondary), the user included.

        Membership comes from the owners' and users' team ids, which HubSpot returns with the
        owners and users scopes, so "my team" works without ``settings.users.teams.read``.

        Raises:
            NoHubSpotOwner: The user has no HubSpot owner (after one refresh).
        """
        mine = await self.me(conn, user_email=user_email)
        teams = set(mine.team_ids)
        if not teams:
            return [mine.owner_id] if mine.owner_id else []
        return [
            m.owner_id for m in await self._mappings(conn) if m.owner_id and teams.intersection(m.team_ids)
        ]

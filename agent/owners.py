"""Who "me", "Sam" or "priya@acme-sales.io" is in HubSpot: owner ids from the portal's owners.

The owners list is read once per connection and cached (one ``GET /crm/v3/owners`` however often
"me" is used). The service built from the settings uses ``agent.identity.IdentityLookup`` (the
synced identity store) behind the same interface; this directory is the fallback for a ``Deps``
built by hand.
"""

from __future__ import annotations

from typing import Protocol

from rapidfuzz import fuzz, process

from tools.hubspot import Connection, HubSpotClient
from tools.hubspot.models import Owner

ME_WORDS = frozenset({"me", "my", "mine", "myself", "i"})
TEAM_WORDS = frozenset({"my team", "my team's", "our team", "our team's", "team", "my teams", "our teams"})
"""An owner condition with one of these values means the owners of the user's teams."""
_MIN_SCORE = 80.0


class OwnerNotFound(LookupError):
    """No owner matches the words (or several match equally well)."""


class OwnerLookup(Protocol):
    """The interface the graph uses; an identity store can implement it too."""

    async def resolve(self, conn: Connection, text: str, *, user_email: str) -> Owner:
        """The owner ``text`` names ("me", a name, an email)."""
        ...

    async def label(self, conn: Connection, owner_id: str) -> str:
        """A person's name for an owner id (the id itself when unknown)."""
        ...

    async def team_owner_ids(self, conn: Connection, *, user_email: str) -> list[str]:
        """Owner ids of everyone sharing a team with the user, the user included."""
        ...


def is_team_words(text: str) -> bool:
    """Whether an owner value means "my team" rather than one person."""
    return " ".join(text.strip().lower().split()) in TEAM_WORDS


def owner_name(owner: Owner) -> str:
    """ "First Last", else the email, else the id."""
    name = " ".join(p for p in (owner.first_name, owner.last_name) if p)
    return name or owner.email or owner.id


class OwnerDirectory:
    """Owners of each connection's portal, cached per connection for the life of the process.

    Args:
        client: The HubSpot client.
    """

    def __init__(self, client: HubSpotClient) -> None:
        self._client = client
        self._cache: dict[str, list[Owner]] = {}

    async def owners(self, conn: Connection) -> list[Owner]:
        """The portal's active owners (one request per connection, then cached)."""
        key = conn.portal_key
        if key not in self._cache:
            self._cache[key] = await self._client.list_owners(conn)
        return self._cache[key]

    def forget(self, conn: Connection) -> None:
        """Drop the cached owners of a connection (after owners changed in HubSpot)."""
        self._cache.pop(conn.portal_key, None)

    async def resolve(self, conn: Connection, text: str, *, user_email: str) -> Owner:
        """The owner ``text`` names.

        Raises:
            OwnerNotFound: Nobody matches, or the words fit several owners equally.
        """
        owners = await self.owners(conn)
        words = text.strip().lower()
        if words in ME_WORDS:
            words = user_email.lower()
        if "@" in words:
            for owner in owners:
                if (owner.email or "").lower() == words:
                    return owner
            raise OwnerNotFound(f"No HubSpot owner has the email {words}.")
        if words.isdigit():
            for owner in owners:
                if owner.id == words:
                    return owner
        names = {o.id: owner_name(o).lower() for o in owners}
        ranked = process.extract(words, names, scorer=fuzz.WRatio, limit=2)
        if not ranked or ranked[0][1] < _MIN_SCORE:
            raise OwnerNotFound(f"No HubSpot owner is called {text!r}.")
        if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
            raise OwnerNotFound(f"Several HubSpot owners could be {text!r}; use their email.")
        best_id = ranked[0][2]
        return next(o for o in owners if o.id == best_id)

    async def label(self, conn: Connection, owner_id: str) -> str:
        """A person's name for an owner id (the id itself when unknown)."""
        for owner in await self.owners(conn):
            if owner.id == owner_id:
                return owner_name(owner)
        return owner_id

    async def team_owner_ids(self, conn: Connection, *, user_email: str) -> list[str]:
        """Owner ids of everyone sharing a team with the user (from the owners' ``teams``), the user included.

        Raises:
            OwnerNotFound: The user has no HubSpot owner.
        """
        me = await self.resolve(conn, "me", user_email=user_email)
        teams = {t.id for t in me.teams}
        if not teams:
            return [me.id]
        return [o.id for o in await self.owners(conn) if teams.intersection(t.id for t in o.teams)]

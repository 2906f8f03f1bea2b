"""Who "me", "Sam" or "priya@acme-sales.io" is in HubSpot: owner ids from the portal's owners.

The owners list is read once per connection and cached (one ``GET /crm/v3/owners`` however often
"me" is used). The service built from the settings uses ``agent.identity.IdentityLookup`` (the
synced identity store) behind the same interface; this directory is the fallback for a ``Deps``
built by hand. Both find the owner words name with one :class:`OwnerMatcher`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from rapidfuzz import fuzz, process

from tools.hubspot import Connection, HubSpotClient
from tools.hubspot.models import Owner

ME_WORDS = frozenset({"me", "my", "mine", "myself", "i"})
TEAM_WORDS = frozenset({"my team", "my team's", "our team", "our team's", "team", "my teams", "our teams"})
"""An owner condition with one of these values means the owners of the user's teams."""
MIN_NAME_SCORE = 80.0
"""The rapidfuzz ``WRatio`` (0-100) a name needs to name an owner."""


class OwnerNotFound(LookupError):
    """No owner matches the words (or several match equally well)."""


class AmbiguousOwner(OwnerNotFound):
    """The words fit several owners equally well (their email tells them apart; a refresh would not)."""


PersonT = TypeVar("PersonT")


@dataclass(frozen=True)
class OwnerMatcher(Generic[PersonT]):
    """Finds the owner some words name among people of any shape (``Owner``, an identity mapping).

    Pure: no I/O, no state; the accessors say where a person keeps the fields compared.

    Attributes:
        owner_id: The person's HubSpot owner id (None or empty: not an owner, never matched).
        email: Their email (compared exactly, case-insensitively).
        name: Their display name (ranked against the words, and named in an ambiguity).
        min_score: The ``WRatio`` a name needs.
    """

    owner_id: Callable[[PersonT], str | None]
    email: Callable[[PersonT], str | None]
    name: Callable[[PersonT], str]
    min_score: float = MIN_NAME_SCORE

    def match(self, people: Iterable[PersonT], text: str, *, me_email: str | None = None) -> PersonT:
        """The owner ``text`` names: "me" (when ``me_email`` is given), an email, an owner id or a name.

        An email must match exactly; digits that are an owner id pick that owner; otherwise the
        best-ranked name wins when it scores at least ``min_score`` and no other name scores the same.

        Args:
            people: Who may be meant; those without an owner id are skipped.
            text: The words ("me", "Priya", "priya@acme-sales.io", "75480062").
            me_email: The user's email, which "me", "my", ... stand for (None: no such words).

        Raises:
            AmbiguousOwner: Several names fit equally well (the message names them).
            OwnerNotFound: Nobody matches.
        """
        owners = [p for p in people if self.owner_id(p)]
        words = text.strip().lower()
        if me_email is not None and words in ME_WORDS:
            words = me_email.lower()
        if "@" in words:
            for person in owners:
                if (self.email(person) or "").lower() == words:
                    return person
            raise OwnerNotFound(f"No HubSpot owner has the email {words}.")
        if words.isdigit():
            for person in owners:
                if self.owner_id(person) == words:
                    return person
        names = [self.name(p).lower() for p in owners]
        ranked = process.extract(words, names, scorer=fuzz.WRatio, limit=None)
        if not ranked or ranked[0][1] < self.min_score:
            raise OwnerNotFound(f"No HubSpot owner is called {text!r}.")
        tied = [owners[index] for _, score, index in ranked if score == ranked[0][1]]
        if len(tied) > 1:
            raise AmbiguousOwner(
                f"Several HubSpot owners could be {text!r} ({self._list(tied)}); use their email."
            )
        return tied[0]

    def _list(self, people: list[PersonT]) -> str:
        shown = []
        for person in people:
            email = self.email(person)
            shown.append(f"{self.name(person)} <{email}>" if email else self.name(person))
        return ", ".join(shown)


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


OWNER_MATCHER: OwnerMatcher[Owner] = OwnerMatcher(
    owner_id=lambda o: o.id, email=lambda o: o.email, name=owner_name
)
"""The matcher over the client's ``Owner`` models."""


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
            OwnerNotFound: Nobody matches (``AmbiguousOwner``: the words fit several owners equally).
        """
        return OWNER_MATCHER.match(await self.owners(conn), text, me_email=user_email)

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

"""Who a turn comes from: an Alysio user's whole identity (id, email, name), from the identity store.

A channel acting for someone named only by email (``alysio-agent chat --user EMAIL``) takes the
whole identity from the store's mapping of that email, so that approvals (checked by user id *and*
email), conversations (owned by tenant and user) and the audit log all see that person, never the
configured user with someone else's email. An email the store does not know is refused
(:class:`UnknownUser`) before anything is sent or changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from agent.identity.lookup import IdentityLookup
from agent.identity.store import UserMapping
from tools.hubspot import Connection


@dataclass(frozen=True, slots=True)
class UserIdentity:
    """An Alysio user as a turn's context needs them.

    Attributes:
        user_id: The Alysio user id (the Paragon token's ``sub``; approvals and threads are theirs).
        email: Their email.
        name: Their display name ("" when unknown).
    """

    user_id: str
    email: str
    name: str = ""


class UnknownUser(LookupError):
    """The identity store has no live HubSpot user or owner with this email.

    Attributes:
        email: The email asked for.
        tenant_id: The workspace whose store was asked.
    """

    def __init__(self, email: str, tenant_id: str) -> None:
        super().__init__(
            f"There is no HubSpot user for {email} in workspace {tenant_id} (as of its last sync)."
        )
        self.email = email
        self.tenant_id = tenant_id


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def local_user_id(email: str) -> str:
    """A stable Alysio user id for an email that has none: ``jordan.lee@acme-sales.io`` → ``u-jordan-lee``."""
    return f"u-{_slug(email.split('@', 1)[0]) or 'user'}"


def identity_of(mapping: UserMapping, email: str, taken: Iterable[str] = ()) -> UserIdentity:
    """The identity of a mapped person.

    Args:
        mapping: Their mapping.
        email: The email they were named by (used when HubSpot lists none).
        taken: Alysio user ids other people's mappings already hold.

    Returns:
        The mapping's Alysio user id when it has one; else :func:`local_user_id`, or, when another
        person already holds that, an id made of the whole email (so two people never share one).
    """
    address = mapping.email or email.strip()
    name = " ".join(p for p in (mapping.first_name, mapping.last_name) if p)
    if mapping.alysio_user_id:
        return UserIdentity(mapping.alysio_user_id, address, name)
    user_id = local_user_id(address)
    if user_id in set(taken):
        user_id = f"u-{_slug(address)}"
    return UserIdentity(user_id, address, name)


async def identity_for_email(lookup: IdentityLookup, conn: Connection, email: str) -> UserIdentity:
    """The whole identity of the person the tenant's identity store maps to ``email``.

    Args:
        lookup: The identity lookup (a tenant never synced is synced first).
        conn: The tenant's connection as its installer (the sync reads as them).
        email: The email, matched case-insensitively.

    Raises:
        UnknownUser: No live mapping has this email (nothing was changed).
    """
    mapping = await lookup.person(conn, email)
    if mapping is None:
        raise UnknownUser(email.strip(), conn.tenant_id)
    others = await lookup.people(conn, include_deleted=True)
    taken = [m.alysio_user_id for m in others if m.alysio_user_id and m.id != mapping.id]
    return identity_of(mapping, email, taken)

"""HubSpot users, owners and teams: the identity store, its sync, "me"/"my team" resolution and uninstall.

Import from here: ``from agent.identity import SqliteIdentityStore, IdentitySync, IdentityLookup``.
"""

from __future__ import annotations

from agent.identity.connections import (
    ConnectionDeauthorized,
    ConnectionGuard,
    GuardedClient,
    guard_client,
    is_uninstall_signal,
    mark_uninstalled,
    reconnect,
)
from agent.identity.lookup import NO_OWNER_MESSAGE, IdentityLookup, NoHubSpotOwner, as_owner
from agent.identity.sqlite import SqliteIdentityStore, lazy_store
from agent.identity.store import (
    ConnectionRecord,
    ConnectionStatus,
    IdentityStore,
    Person,
    SyncCounts,
    TeamInfo,
    TeamRecord,
    UserMapping,
)
from agent.identity.sync import IdentitySync, SyncReport, join_people, team_infos
from agent.owners import AmbiguousOwner

__all__ = [
    "NO_OWNER_MESSAGE",
    "AmbiguousOwner",
    "ConnectionDeauthorized",
    "ConnectionGuard",
    "ConnectionRecord",
    "ConnectionStatus",
    "GuardedClient",
    "IdentityLookup",
    "IdentityStore",
    "IdentitySync",
    "NoHubSpotOwner",
    "Person",
    "SqliteIdentityStore",
    "SyncCounts",
    "SyncReport",
    "TeamInfo",
    "TeamRecord",
    "UserMapping",
    "as_owner",
    "guard_client",
    "is_uninstall_signal",
    "join_people",
    "lazy_store",
    "mark_uninstalled",
    "reconnect",
    "team_infos",
]

"""HubSpot users, owners and teams: the identity store, its sync, "me"/"my team" resolution and uninstall.

Import from here: ``from agent.identity import SqliteIdentityStore, IdentitySync, IdentityLookup``.
"""

from __future__ import annotations

from agent.identity.connections import (
    DEAUTHORIZED_MESSAGE,
    NOT_CONNECTED_MESSAGE,
    ConnectionDeauthorized,
    ConnectionGuard,
    GuardedClient,
    guard_client,
    is_uninstall_signal,
    mark_uninstalled,
    reconnect,
    tenant_connection,
)
from agent.identity.lookup import NO_OWNER_MESSAGE, IdentityLookup, NoHubSpotOwner, as_owner, no_user_message
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
from agent.identity.users import UnknownUser, UserIdentity, identity_for_email, identity_of, local_user_id
from agent.owners import AmbiguousOwner

__all__ = [
    "DEAUTHORIZED_MESSAGE",
    "NOT_CONNECTED_MESSAGE",
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
    "UnknownUser",
    "UserIdentity",
    "UserMapping",
    "as_owner",
    "guard_client",
    "identity_for_email",
    "identity_of",
    "is_uninstall_signal",
    "join_people",
    "lazy_store",
    "local_user_id",
    "mark_uninstalled",
    "no_user_message",
    "reconnect",
    "team_infos",
    "tenant_connection",
]

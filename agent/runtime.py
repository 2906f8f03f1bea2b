"""Builders from the settings: the HubSpot client for the mode, the planner, checkpointer, audit log
and the identity store ("me"/"my team" and the uninstall guard), and who a turn comes from.

The configured user (``ALYSIO_USER_ID``) is the Paragon user who connected HubSpot for the tenant:
the identity store records them as the connection's installer, whoever chats first. Someone else
acting through the same process (``chat --user EMAIL``) gets their own whole identity
(:func:`user_for_email`).

The sandbox (``tools.local``, and with it Starlette) is imported only when sandbox mode is chosen,
so a production (paragon or direct) process never loads it.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from agent.audit import AuditLog, SqliteAuditLog, audit_hook
from agent.context import AgentContext
from agent.identity import (
    ConnectionGuard,
    IdentityLookup,
    IdentitySync,
    SqliteIdentityStore,
    UserIdentity,
    guard_client,
    identity_for_email,
    lazy_store,
    local_user_id,
)
from agent.identity.commands import SANDBOX_CREDENTIAL_ID, store_path
from agent.ledger import MemoryWriteLedger, SqliteWriteLedger, WriteLedger
from agent.nodes.deps import Deps
from agent.owners import OwnerLookup
from agent.planners.base import Planner
from agent.resolve import PipelineCache
from agent.service import AgentService
from tools.hubspot import Connection, HubSpotClient, HubSpotClientConfig
from tools.settings import Settings, load_settings

if TYPE_CHECKING:
    from tools.local import LocalPortal

SANDBOX_KEY_FILE = "sandbox-paragon-key.pem"
"""The sandbox's Paragon signing key, kept in the data directory (mode 0600) beside its portal."""


def build_planner(settings: Settings) -> Planner:
    """The planner the settings choose (``offline`` unless a model key is set or ``openai`` is chosen)."""
    if settings.planner_name == "openai":
        from agent.planners.openai import OpenAIPlanner, build_chat_model

        return OpenAIPlanner(build_chat_model(settings))
    from agent.planners.offline import OfflinePlanner

    return OfflinePlanner()


def build_audit(settings: Settings) -> AuditLog:
    """The SQLite audit log at ``Settings.storage_path("audit")``."""
    return SqliteAuditLog(settings.storage_path("audit"))


@dataclass
class Client:
    """A HubSpot client and, in sandbox mode, the in-process portal it talks to.

    Attributes:
        client: The HubSpot client.
        portal: The in-process sandbox portal (sandbox mode only).
        scopes: The scopes sandbox connections are made with.
    """

    client: HubSpotClient
    portal: LocalPortal | None = None
    scopes: tuple[str, ...] = ()

    def credential_for(self, user_id: str) -> str | None:
        """The Paragon credential id the turns of ``user_id`` carry (None: the proxy picks theirs).

        Outside sandbox mode always None. In sandbox mode the installer (the configured user)
        uses the portal's fixed credential, the identity store's connection; anyone else is
        connected in the in-process portal with a credential of their own, as each person connects
        HubSpot through Paragon, and carries none, as in paragon mode.
        """
        if self.portal is None:
            return None
        installer = self.portal.connection
        if user_id == installer.user_id:
            return installer.credential_id
        self.portal.sandbox.add_connection(
            user_id, credential_id=f"{SANDBOX_CREDENTIAL_ID}-{user_id}", scopes=self.scopes
        )
        return None

    async def aclose(self) -> None:
        await self.client.aclose()


def build_client(
    settings: Settings,
    *,
    audit: AuditLog | None = None,
    clock: Callable[[], datetime] | None = None,
    fixture: str = "demo",
    sandbox_state: Path | None = None,
) -> Client:
    """The client for ``settings.hubspot_mode``; sandbox mode opens the in-process demo portal.

    Args:
        settings: The settings.
        audit: Records every request when given.
        clock: UTC now for the sandbox and the client (tests).
        fixture: The sandbox portal to load.
        sandbox_state: SQLite file keeping the sandbox portal across runs (None: a fresh portal).
    """
    hook = audit_hook(audit) if audit is not None else None
    if settings.hubspot_mode == "sandbox":
        from tools.local import open_local_portal  # the sandbox only when it is used

        if sandbox_state is not None:
            sandbox_state.parent.mkdir(parents=True, exist_ok=True)
        portal = open_local_portal(
            fixture=fixture,
            user_id=settings.user_id,
            tenant_id=settings.tenant_id,
            scopes=settings.hubspot_scopes,
            connected=False,
            settings=settings,
            request_hook=hook,
            clock=clock,
            state_path=sandbox_state,
            # Beside the kept portal, the data directory keeps the key its tokens are signed with.
            key_path=sandbox_state.with_name(SANDBOX_KEY_FILE) if sandbox_state is not None else None,
        )
        # One fixed credential id, the one `alysio-agent sync` and `connection ...` use, so the
        # identity store sees the same connection on every run.
        portal.sandbox.add_connection(
            settings.user_id, credential_id=SANDBOX_CREDENTIAL_ID, scopes=settings.hubspot_scopes
        )
        portal = replace(
            portal, connection=Connection(settings.tenant_id, settings.user_id, SANDBOX_CREDENTIAL_ID)
        )
        return Client(portal.client, portal, tuple(settings.hubspot_scopes))
    return Client(HubSpotClient(HubSpotClientConfig.from_settings(settings), request_hook=hook))


def configured_user(settings: Settings) -> UserIdentity:
    """The configured user (``ALYSIO_USER_ID``, ``_EMAIL``, ``_NAME``): the connection's installer."""
    return UserIdentity(settings.user_id, settings.user_email, settings.user_name)


async def user_for_email(settings: Settings, owners: OwnerLookup | None, email: str | None) -> UserIdentity:
    """Who acts when a channel names a user by email (``chat --user EMAIL``).

    The configured user for their own email (or none). In sandbox mode anyone, with a local id
    derived from the email. In paragon and direct modes the whole identity of the person the
    identity store maps to the email (:func:`agent.identity.identity_for_email`; a tenant never
    synced is synced first, as the installer).

    Args:
        settings: The settings.
        owners: The service's owner lookup (``AgentService.deps.owners``); must be the identity
            store's in paragon and direct modes.
        email: The email, or None for the configured user.

    Raises:
        UnknownUser: Paragon or direct mode, and the store does not know the email.
        HubSpotError: The first sync of the tenant failed.
    """
    configured = configured_user(settings)
    if email is None or email.strip().lower() == settings.user_email.strip().lower():
        return configured
    if settings.hubspot_mode == "sandbox":
        return UserIdentity(local_user_id(email), email.strip())
    if not isinstance(owners, IdentityLookup):
        raise TypeError("acting as another user needs the identity store's lookup")
    return await identity_for_email(owners, Connection(settings.tenant_id, settings.user_id), email)


def context_for(
    settings: Settings, client: Client, *, user: UserIdentity | None = None, **overrides: Any
) -> AgentContext:
    """The runtime context of ``user`` (default: the configured one), with the sandbox portal's id for links."""
    user = user or configured_user(settings)
    portal_id: int | None = None
    if client.portal is not None:
        portal_id = int(str(client.portal.sandbox.portal.account["portalId"]))
    base: dict[str, Any] = {
        "tenant_id": settings.tenant_id,
        "user_id": user.user_id,
        "user_email": user.email,
        "user_name": user.name,
        "credential_id": client.credential_for(user.user_id),
        "granted_scopes": frozenset(settings.hubspot_scopes),
        "timezone": settings.user_timezone,
        "portal_id": portal_id,
    }
    base.update(overrides)
    return AgentContext(**base)


@asynccontextmanager
async def sqlite_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """The SQLite checkpointer at ``Settings.storage_path("checkpoints")``."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = settings.storage_path("checkpoints")
    path.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        yield saver


@asynccontextmanager
async def open_identity(settings: Settings, *, persist: bool = True) -> AsyncIterator[SqliteIdentityStore]:
    """The identity store at ``{data_dir}/identity.sqlite`` (a private in-memory one unless ``persist``)."""
    store = await SqliteIdentityStore.open(store_path(settings) if persist else ":memory:")
    try:
        yield store
    finally:
        await store.aclose()


@asynccontextmanager
async def open_ledger(settings: Settings, persist: bool = True) -> AsyncIterator[WriteLedger]:
    """The write ledger at ``Settings.storage_path("ledger")`` (in memory unless ``persist``)."""
    ledger: WriteLedger
    if persist:
        ledger = await SqliteWriteLedger.open(settings.storage_path("ledger"))
    else:
        ledger = MemoryWriteLedger()
    try:
        yield ledger
    finally:
        await ledger.aclose()


@asynccontextmanager
async def open_service(
    settings: Settings | None = None,
    *,
    planner: Planner | None = None,
    persist: bool = True,
    sandbox_state: Path | None = None,
) -> AsyncIterator[tuple[AgentService, Client]]:
    """A ready service from the settings (SQLite checkpoints and audit unless ``persist`` is False).

    Every request passes the uninstall guard of the identity store, and "me", names and "my team"
    resolve from its synced mappings (a tenant never synced is synced on first use, registering
    the configured user as the connection's installer).

    Args:
        settings: The settings (default: loaded from the environment).
        planner: The planner (default: the one the settings choose).
        persist: Keep conversations, the audit log and the identity store in ``data_dir``.
        sandbox_state: In sandbox mode, the SQLite file keeping the portal across runs.
    """
    settings = settings or load_settings()
    audit = build_audit(settings) if persist else None
    client = build_client(settings, sandbox_state=sandbox_state)  # the service attaches the audit hook
    try:
        ttl = timedelta(hours=settings.confirmation_ttl_hours)
        chosen = planner or build_planner(settings)
        async with (
            open_identity(settings, persist=persist) as store,
            open_ledger(settings, persist) as ledger,
        ):
            guarded = guard_client(client.client, ConnectionGuard(store))
            owners = IdentityLookup(store, IdentitySync(store, guarded, installer=settings.user_id))
            options: dict[str, Any] = {
                "confirmation_ttl": ttl,
                "owners": owners,
                "pipelines": PipelineCache(guarded, store=store),
                "ledger": ledger,
                "max_writes": settings.max_writes_per_approval,
                "write_lease_seconds": settings.write_lease_seconds,
            }
            if persist:
                async with sqlite_checkpointer(settings) as saver:
                    yield AgentService(guarded, chosen, checkpointer=saver, audit=audit, **options), client
            else:
                yield AgentService(guarded, chosen, **options), client
    finally:
        await client.aclose()
        if audit is not None:
            await audit.aclose()


def settle_after_startup() -> None:
    """Keep what start-up built out of the garbage collector's full collections (``gc.freeze``).

    Imports and start-up leave about 200,000 long-lived objects (modules, classes, pydantic
    schemas, the sandbox portal) that every full collection would traverse again, stalling a
    turn for 40-100 ms; frozen, they are never scanned again. Nothing is collected first: that
    would cost one such full collection before the first reply to free about 1% of them (the
    little start-up garbage stays). Call once, when the process is ready to serve; the
    collector is on afterwards (start-up may run with it off, as ``alysio-agent chat`` does).
    """
    gc.freeze()
    gc.enable()


def default_deps() -> Deps:
    """Dependencies from the settings, for the module-level graph (LangGraph Server).

    Like :func:`open_service`: the client passes the uninstall guard and owners resolve from the
    identity store, which opens on first use (this runs synchronously, inside the server's loop).
    """
    settings = load_settings()
    store = lazy_store(store_path(settings))
    guarded = guard_client(build_client(settings).client, ConnectionGuard(store))
    return Deps(
        guarded,
        build_planner(settings),
        confirmation_ttl=timedelta(hours=settings.confirmation_ttl_hours),
        owners=IdentityLookup(store, IdentitySync(store, guarded, installer=settings.user_id)),
        pipelines=PipelineCache(guarded, store=store),
    )

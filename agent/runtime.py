"""Builders from the settings: the HubSpot client for the mode, the planner, checkpointer, audit log
and the identity store ("me"/"my team" and the uninstall guard).

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
    guard_client,
    lazy_store,
)
from agent.identity.commands import SANDBOX_CREDENTIAL_ID, store_path
from agent.ledger import MemoryWriteLedger, SqliteWriteLedger, WriteLedger
from agent.nodes.deps import Deps
from agent.planners.base import Planner
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
    """A HubSpot client and, in sandbox mode, the in-process portal it talks to."""

    client: HubSpotClient
    portal: LocalPortal | None = None

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
        return Client(portal.client, portal)
    return Client(HubSpotClient(HubSpotClientConfig.from_settings(settings), request_hook=hook))


def context_for(settings: Settings, client: Client, **overrides: Any) -> AgentContext:
    """The runtime context of the configured user (the sandbox portal's id for record links)."""
    portal_id: int | None = None
    credential_id: str | None = None
    if client.portal is not None:
        portal_id = int(str(client.portal.sandbox.portal.account["portalId"]))
        credential_id = client.portal.connection.credential_id
    base: dict[str, Any] = {
        "tenant_id": settings.tenant_id,
        "user_id": settings.user_id,
        "user_email": settings.user_email,
        "user_name": settings.user_name,
        "credential_id": credential_id,
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
    resolve from its synced mappings (a tenant never synced is synced on first use).

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
            owners = IdentityLookup(store, IdentitySync(store, guarded))
            options: dict[str, Any] = {
                "confirmation_ttl": ttl,
                "owners": owners,
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
        owners=IdentityLookup(store, IdentitySync(store, guarded)),
    )

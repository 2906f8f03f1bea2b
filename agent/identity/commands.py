"""``alysio-agent sync`` and ``alysio-agent connection ...``: the identity commands' implementation.

The store lives at ``{data_dir}/identity.sqlite``. ``sync`` runs against the configured HubSpot
mode; sandbox mode syncs the demo portal in-process, under one fixed Paragon credential id so that
repeated runs (and ``connection uninstalled``) refer to the same connection.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.table import Table

from agent.identity.connections import ConnectionDeauthorized, mark_uninstalled, reconnect
from agent.identity.sqlite import SqliteIdentityStore
from agent.identity.store import ConnectionRecord
from agent.identity.sync import IdentitySync, SyncReport
from tools.hubspot import (
    Connection,
    HubSpotClient,
    HubSpotClientConfig,
    HubSpotError,
    MissingScopes,
    ReconnectRequired,
)
from tools.settings import Settings, load_settings

SANDBOX_CREDENTIAL_ID = "sandbox-hubspot"
"""The credential id sandbox-mode syncs use (a fresh in-process portal each run)."""

T = TypeVar("T")
out = Console()
err = Console(stderr=True)


def _emit_json(value: object) -> None:
    # One plain line, not Rich's pretty form: --json output is for programs.
    sys.stdout.write(json.dumps(value) + "\n")


def store_path(settings: Settings) -> Path:
    """Where the identity store's SQLite file lives."""
    return (settings.data_dir / "identity.sqlite").expanduser()


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[SqliteIdentityStore]:
    """The identity store of these settings, closed on exit."""
    store = await SqliteIdentityStore.open(store_path(settings))
    try:
        yield store
    finally:
        await store.aclose()


async def _sync(settings: Settings, tenant_id: str) -> SyncReport:
    async with open_store(settings) as store:
        if settings.hubspot_mode == "sandbox":
            from tools.local import open_local_portal  # the sandbox only when it is used

            portal = open_local_portal(
                "demo",
                user_id=settings.user_id,
                tenant_id=tenant_id,
                scopes=settings.hubspot_scopes,
                connected=False,
                settings=settings,
            )
            portal.sandbox.add_connection(
                settings.user_id, credential_id=SANDBOX_CREDENTIAL_ID, scopes=settings.hubspot_scopes
            )
            client: HubSpotClient = portal.client
            conn = Connection(tenant_id, settings.user_id, SANDBOX_CREDENTIAL_ID)
        else:
            client = HubSpotClient(HubSpotClientConfig.from_settings(settings))
            known = await store.list_connections(tenant_id=tenant_id)
            # Reuse the registered connection (its installer and credential) when there is one.
            conn = (
                Connection(tenant_id, known[0].user_id, known[0].credential_id)
                if known
                else Connection(tenant_id, settings.user_id)
            )
        try:
            return await IdentitySync(store, client, installer=settings.user_id).sync(conn)
        finally:
            await client.aclose()


def _run(work: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await work()

    return asyncio.run(main())


def _counts_table(report: SyncReport) -> Table:
    table = Table(title=f"Sync of {report.tenant_id} ({report.connection_id})")
    table.add_column("")
    for name in ("created", "updated", "soft-deleted", "restored", "unchanged"):
        table.add_column(name, justify="right")
    rows = [("users and owners", report.people)]
    if report.teams is not None:
        rows.append(("teams", report.teams))
    for label, counts in rows:
        table.add_row(label, *(str(v) for v in counts.as_dict().values()))
    return table


def run_sync(*, tenant: str | None, as_json: bool) -> int:
    """``alysio-agent sync``: sync, print the counts; 0 on success, 1 on a HubSpot error."""
    settings = load_settings()
    tenant_id = tenant or settings.tenant_id
    try:
        report = _run(lambda: _sync(settings, tenant_id))
    except HubSpotError as exc:
        if as_json:
            _emit_json({"error": exc.to_dict()})
        else:
            err.print(f"[red]{exc.message}[/red] {_command_line_action(exc, settings)}", soft_wrap=True)
        return 1
    if as_json:
        _emit_json(report.as_dict())
        return 0
    out.print(_counts_table(report))
    for note in report.skipped:
        err.print(f"[yellow]skipped[/yellow] {note}")
    return 0


def _command_line_action(exc: HubSpotError, settings: Settings) -> str:
    """What to run or set to fix ``exc``, instead of the Alysio UI's settings page its action names."""
    if isinstance(exc, ConnectionDeauthorized):
        return (
            f"Once HubSpot is connected again, run `alysio-agent connection reconnected {exc.connection_id}`."
        )
    if isinstance(exc, MissingScopes):
        return f"Grant {', '.join(exc.required) or 'the missing scopes'} (ALYSIO_HUBSPOT_SCOPES), then sync again."
    if isinstance(exc, ReconnectRequired):
        if settings.hubspot_mode == "direct":
            return "Set ALYSIO_HUBSPOT_ACCESS_TOKEN to a valid private-app token, then sync again."
        return "Reconnect HubSpot through Paragon as the installer (ALYSIO_USER_ID), then sync again."
    return exc.user_action


def _connection_dict(record: ConnectionRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "tenant_id": record.tenant_id,
        "user_id": record.user_id,
        "credential_id": record.credential_id,
        "portal_id": record.portal_id,
        "status": record.status,
        "status_reason": record.status_reason,
        "last_sync_at": record.last_sync_at.isoformat() if record.last_sync_at else None,
    }


def run_connection_status(connection_id: str, *, uninstalled: bool, as_json: bool) -> int:
    """``connection uninstalled|reconnected ID``: 0 when done, 1 for an unknown id."""
    settings = load_settings()

    async def change() -> ConnectionRecord | None:
        async with open_store(settings) as store:
            try:
                if uninstalled:
                    return await mark_uninstalled(store, connection_id)
                return await reconnect(store, connection_id)
            except KeyError:
                return None

    record = _run(change)
    if record is None:
        err.print(f"[red]No connection {connection_id!r}.[/red] See: alysio-agent connection list")
        return 1
    if as_json:
        _emit_json(_connection_dict(record))
    elif uninstalled:
        out.print(
            f"{record.id} is deauthorized: HubSpot requests for it are refused, its syncs stopped and "
            "its mappings soft-deleted."
        )
    else:
        out.print(f"{record.id} is active again; the next sync restores its mappings.")
    return 0


def run_connection_list(*, as_json: bool) -> int:
    """``connection list``: every known connection and its status."""
    settings = load_settings()

    async def listing() -> list[ConnectionRecord]:
        async with open_store(settings) as store:
            return await store.list_connections()

    records = _run(listing)
    if as_json:
        _emit_json([_connection_dict(r) for r in records])
        return 0
    table = Table(title="HubSpot connections")
    for column in ("id", "tenant", "credential", "portal", "status", "last sync"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            r.id,
            r.tenant_id,
            r.credential_id or "",
            str(r.portal_id or ""),
            r.status if r.active else f"{r.status} ({r.status_reason})",
            r.last_sync_at.isoformat(timespec="seconds") if r.last_sync_at else "never",
        )
    out.print(table)
    return 0

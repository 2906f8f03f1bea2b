"""Connection lifecycle: uninstall, reconnect, and the guard that refuses requests for a removed connection.

Paragon reports an uninstall to the browser (the Connect SDK's ``onIntegrationUninstall``), not to
servers, so the chat backend tells the service (:func:`mark_uninstalled`, ``alysio-agent connection
uninstalled ID``, later ``POST /connections/{id}/uninstalled``). The service also treats as an
uninstall what it can see itself: ``credentialStatus: INVALID`` from Paragon's ``/sdk/me`` and the
proxy's "Integration not enabled for user." (see :func:`is_uninstall_signal`).

A deauthorized connection is refused *before* anything is sent (:class:`ConnectionGuard`, and
:class:`GuardedClient` which applies it to every client operation), scheduled syncs skip it, and its
tenant's mappings are soft-deleted. :func:`reconnect` makes it active again; the next sync restores
the mappings of people HubSpot still lists.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from agent.identity.store import ConnectionRecord, IdentityStore
from tools.hubspot import Connection, HubSpotClient, HubSpotError, ReconnectRequired

NOT_CONNECTED_MESSAGE = "HubSpot is not connected for this user."
"""The client's message for Paragon's "Integration not enabled for user." (``tools.hubspot.errors``)."""
DEAUTHORIZED_MESSAGE = (
    "HubSpot was disconnected from Alysio for this workspace, so nothing was sent to HubSpot."
)
""":class:`ConnectionDeauthorized`'s message (channels tell it apart from a user's own missing connection)."""
_PARAGON_NOT_ENABLED_CATEGORY = "PARAGON_11002"


class ConnectionDeauthorized(ReconnectRequired):
    """The connection was uninstalled: nothing is sent to HubSpot until the user reconnects."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(DEAUTHORIZED_MESSAGE, category="DEAUTHORIZED")
        self.connection_id = connection_id


def is_uninstall_signal(exc: BaseException) -> bool:
    """Whether an error means the integration is gone (the proxy's "Integration not enabled for user.").

    A plain 401 from HubSpot is not one: Paragon may refresh the token, and ``/sdk/me`` says whether
    the credential is really ``INVALID``.
    """
    return isinstance(exc, ReconnectRequired) and (
        exc.category == _PARAGON_NOT_ENABLED_CATEGORY or exc.message == NOT_CONNECTED_MESSAGE
    )


async def mark_uninstalled(
    store: IdentityStore,
    connection_id: str,
    *,
    reason: str = "uninstalled",
    now: datetime | None = None,
) -> ConnectionRecord:
    """Deauthorize a connection: refuse its requests, stop its syncs, soft-delete its mappings.

    The tenant's mappings are soft-deleted when no other connection of the tenant stays active
    (mappings belong to the tenant's portal). Calling it again changes nothing.

    Args:
        store: The identity store.
        connection_id: The connection (``ConnectionRecord.id``).
        reason: Why: ``uninstalled`` (the chat backend said so), ``paragon_invalid``,
            ``proxy_not_enabled``.
        now: The time (UTC); default now.

    Raises:
        KeyError: No such connection.
    """
    now = now or datetime.now(UTC)
    record = await store.get_connection(connection_id)
    if record is None:
        raise KeyError(connection_id)
    if record.active:
        record = await store.update_connection(
            connection_id, now=now, status="deauthorized", status_reason=reason
        )
    others = await store.list_connections(tenant_id=record.tenant_id, status="active")
    if not others:
        await store.soft_delete_mappings(record.tenant_id, now=now)
    return record


async def reconnect(
    store: IdentityStore, connection_id: str, *, now: datetime | None = None
) -> ConnectionRecord:
    """Make a deauthorized connection active again (the user reconnected HubSpot).

    Mappings stay soft-deleted until the next sync restores those HubSpot still lists.

    Raises:
        KeyError: No such connection.
    """
    now = now or datetime.now(UTC)
    if await store.get_connection(connection_id) is None:
        raise KeyError(connection_id)
    return await store.update_connection(connection_id, now=now, status="active", status_reason="reconnected")


async def tenant_connection(
    store: IdentityStore, tenant_id: str, credential_id: str | None
) -> ConnectionRecord | None:
    """The stored connection a request of ``tenant_id`` with ``credential_id`` goes through, if known.

    Without a credential id the Paragon proxy picks the calling user's own connection, so the
    tenant's only (or first active) connection stands for it: that is the connection the guard
    checks and a sync reads through, whichever user of the tenant is asking.
    """
    record = await store.find_connection(tenant_id, credential_id)
    if record is not None or credential_id is not None:
        return record
    known = await store.list_connections(tenant_id=tenant_id)
    active = [r for r in known if r.active]
    return active[0] if active else (known[0] if known else None)


class ConnectionGuard:
    """Refuses requests for deauthorized connections, before anything is sent.

    Args:
        store: The identity store holding the connections' status.
    """

    def __init__(self, store: IdentityStore) -> None:
        self.store = store

    async def record_for(self, conn: Connection) -> ConnectionRecord | None:
        """The stored connection ``conn`` uses, if the store knows it (see :func:`tenant_connection`)."""
        return await tenant_connection(self.store, conn.tenant_id, conn.credential_id)

    async def ensure_active(self, conn: Connection) -> None:
        """Return when requests for ``conn`` may be sent; a connection the store never saw may.

        Raises:
            ConnectionDeauthorized: The connection was uninstalled (a ``ReconnectRequired``, so the
                agent shows the reconnect message).
        """
        record = await self.record_for(conn)
        if record is not None and not record.active:
            raise ConnectionDeauthorized(record.id)

    async def note_failure(self, conn: Connection, exc: BaseException) -> None:
        """Deauthorize ``conn`` when ``exc`` says the integration is gone."""
        if not is_uninstall_signal(exc):
            return
        record = await self.record_for(conn)
        # Paragon's answer is about the calling user's credentials: only the installer's own
        # "not enabled" means this connection is gone; anyone else's (a chat user who never
        # connected HubSpot, or one HubSpot does not know) changes nothing shared.
        if record is not None and record.user_id == conn.user_id:
            await mark_uninstalled(self.store, record.id, reason="proxy_not_enabled")


class GuardedClient:
    """A :class:`HubSpotClient` whose every operation on a connection passes the guard first.

    Any coroutine method whose first argument is a :class:`Connection` is wrapped: a deauthorized
    connection raises :class:`ConnectionDeauthorized` with nothing sent, and an uninstall signal
    from the proxy deauthorizes the connection before the error propagates. Everything else is the
    wrapped client's own attribute. Use :func:`guard_client` to get it typed as the client.
    """

    def __init__(self, client: HubSpotClient, guard: ConnectionGuard) -> None:
        self._client = client
        self._guard = guard

    @property
    def inner(self) -> HubSpotClient:
        """The wrapped client."""
        return self._client

    def __setattr__(self, name: str, value: Any) -> None:
        # Settings made on the stand-in (the service chains its audit hook this way) must reach
        # the real client, or they would silently do nothing.
        if name in ("_client", "_guard"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._client, name, value)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(attr):
            return attr
        return self._wrap(attr)

    def _wrap(self, method: Callable[..., Any]) -> Callable[..., Any]:
        guard = self._guard

        @functools.wraps(method)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            conn = args[0] if args else kwargs.get("conn")
            if not isinstance(conn, Connection):
                return await method(*args, **kwargs)
            await guard.ensure_active(conn)
            try:
                return await method(*args, **kwargs)
            except HubSpotError as exc:
                await guard.note_failure(conn, exc)
                raise

        return guarded


def guard_client(client: HubSpotClient, guard: ConnectionGuard) -> HubSpotClient:
    """``client`` with :class:`ConnectionGuard` in front of every operation (typed as the client)."""
    # A duck-typed stand-in: the same operations with the same signatures, each guarded.
    return cast(HubSpotClient, GuardedClient(client, guard))

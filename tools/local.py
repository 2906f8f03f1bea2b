"""An in-process HubSpot portal for the sandbox mode: the sandbox app plus a client wired to it.

The client talks to the sandbox exactly as it talks to Paragon in production: it signs a Paragon
user token (with the key pair the sandbox made), calls the proxy path shape and reads raw
responses, only the transport is ``httpx.ASGITransport`` instead of the network. Tests, the eval
harness and ``alysio-agent chat`` (with no settings) all start here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tools.hubspot import Connection, HubSpotClient, HubSpotClientConfig, RequestHook
from tools.paragon import trust_signing_key
from tools.sandbox import Sandbox, SandboxApp, create_app
from tools.sandbox.auth import key_pair_file
from tools.scopes_catalog import ALL_SCOPES
from tools.settings import Settings, load_settings

# A nominal loopback origin: nothing listens there, the ASGI transport answers in-process.
LOCAL_ORIGIN = "http://127.0.0.1:8765"


@dataclass
class LocalPortal:
    """A sandbox portal and a client connected to it as one Alysio user."""

    app: SandboxApp
    client: HubSpotClient
    connection: Connection

    @property
    def sandbox(self) -> Sandbox:
        return self.app.sandbox

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> LocalPortal:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def open_local_portal(
    fixture: str | Path | dict[str, Any] = "demo",
    *,
    user_id: str = "u-alex",
    tenant_id: str = "t-local",
    scopes: Iterable[str] = ALL_SCOPES,
    connected: bool = True,
    clock: Callable[[], datetime] | None = None,
    settings: Settings | None = None,
    request_hook: RequestHook | None = None,
    sleep: Any = None,
    state_path: Path | None = None,
    paragon_keys: tuple[str, str] | None = None,
    key_path: Path | None = None,
    credential_id: str | None = None,
) -> LocalPortal:
    """Build an in-process sandbox portal and a client acting as ``user_id`` through its Paragon proxy.

    Args:
        fixture: The portal to load: ``"demo"``, ``"empty"``, a YAML path or a ``portal:`` block.
        user_id: The Alysio user (the Paragon token's ``sub``).
        tenant_id: The Alysio tenant of the connection.
        scopes: Scopes the HubSpot connection was granted (the sandbox enforces them, and the client
            starts from the same set so its own check runs first).
        connected: False leaves the user without a HubSpot connection (Paragon answers
            "Integration not enabled for user.").
        clock: Shared clock (UTC datetimes) for the sandbox and the client.
        settings: Base settings; mode and URLs are overridden to point at the sandbox.
        request_hook: Passed to the client (the audit log).
        sleep: Async sleep for both sides (tests pass a fake so retries and limits never wait).
        state_path: SQLite file that keeps the sandbox portal across restarts.
        paragon_keys: ``(private PEM, public PEM)`` of the Paragon signing key; None makes a new
            pair. Runs of many portals (the eval harness) share one pair, since making a key
            costs more than a whole case.
        key_path: Keep the Paragon key pair in this file (made once, mode 0600) instead of making
            a new pair: a data directory's chat reuses its key at every start.
        credential_id: The connection's credential id (default: a new one); processes that share a
            ``state_path`` and continue each other's conversations pass the same one.
    """
    granted = tuple(scopes)
    if paragon_keys is None and key_path is not None:
        paragon_keys = key_pair_file(key_path)
    private_pem, public_pem = paragon_keys if paragon_keys is not None else (None, None)
    app = create_app(
        fixture, clock=clock, sleep=sleep, state_path=state_path, paragon_public_key_pem=public_pem
    )
    sandbox = app.sandbox
    signing_key = private_pem or sandbox.paragon_private_key_pem
    assert signing_key is not None  # create_app made the pair when none was given
    trust_signing_key(signing_key)  # made by this code, never supplied: parsed once, without the slow check
    if connected:
        credential_id = sandbox.add_connection(user_id, credential_id=credential_id, scopes=granted)
    base = settings or load_settings()
    local_settings = base.model_copy(
        update={
            "hubspot_mode": "sandbox",
            "paragon_project_id": sandbox.project_id,
            "paragon_proxy_url": LOCAL_ORIGIN,
            "paragon_api_url": LOCAL_ORIGIN,
        }
    )
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = lambda: clock().timestamp()
    if sleep is not None:
        extra["sleep"] = sleep
    config = HubSpotClientConfig.from_settings(
        local_settings, signing_key_pem=signing_key, granted_scopes=granted
    )
    client = HubSpotClient(config, transport=httpx.ASGITransport(app=app), request_hook=request_hook, **extra)
    connection = Connection(tenant_id=tenant_id, user_id=user_id, credential_id=credential_id)
    return LocalPortal(app=app, client=client, connection=connection)

"""``alysio-agent sandbox``: serve the sandbox over HTTP with uvicorn.

It binds to loopback unless told otherwise: its admin API (``/_sandbox/``) has no authentication
and serves the Paragon signing key (``GET /_sandbox/paragon``), so anyone who reaches it can act as
any user. Another address needs ``allow_remote`` and is served with a warning.
"""

from __future__ import annotations

import socket
from pathlib import Path

import uvicorn
from rich.console import Console
from rich.markup import escape

from tools.sandbox.app import SandboxApp, create_app
from tools.sandbox.loader import FixtureError
from tools.sandbox.persistence import StateFileError
from tools.scopes_catalog import ALL_SCOPES
from tools.settings import is_loopback_address

MAX_PORT = 65535


class SandboxStartError(ValueError):
    """The sandbox cannot start as asked; the message names the option and the problem."""


def remote_warning(host: str, port: int) -> str:
    """What to say when the sandbox is served on an address other machines may reach."""
    return (
        f"the sandbox at {host}:{port} may be reachable from other machines; its admin API (/_sandbox/) "
        "has no authentication and serves the Paragon signing key (GET /_sandbox/paragon), so anyone "
        "who reaches it can act as any user"
    )


def check_address(host: str, port: int, *, allow_remote: bool) -> str | None:
    """Check the address to bind before anything is loaded.

    Args:
        host: Interface to bind.
        port: TCP port.
        allow_remote: Whether an address other than loopback was asked for explicitly.

    Returns:
        The warning to print for a non-loopback address, or None.

    Raises:
        SandboxStartError: The port is out of range, the host is not loopback and
            ``allow_remote`` is False, or the host does not resolve.
    """
    if not 1 <= port <= MAX_PORT:
        raise SandboxStartError(f"--port must be from 1 to {MAX_PORT}, got {port}")
    if is_loopback_address(host):
        return None
    if not allow_remote:
        raise SandboxStartError(
            f"--host {host} is not a loopback address; the sandbox's admin API serves the Paragon signing "
            "key, so add --allow-remote to serve it there anyway"
        )
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise SandboxStartError(f"--host {host} cannot be used: {exc}") from None
    return remote_warning(host, port)


def build(*, fixture: str, token: str | None, state: Path | None) -> tuple[SandboxApp, str]:
    """The app and the token to print (``token`` made valid with every listed scope, or a fresh one).

    Raises:
        SandboxStartError: The fixture or the state file cannot be used.
    """
    source: str | Path = fixture if fixture in ("demo", "empty") else Path(fixture)
    try:
        app = create_app(source, state_path=state)
    except FixtureError as exc:
        raise SandboxStartError(f"--fixture: {exc}") from None
    except StateFileError as exc:
        raise SandboxStartError(f"--state: {exc}") from None
    value = app.sandbox.create_token(ALL_SCOPES, token)
    return app, value


def serve(
    *,
    host: str,
    port: int,
    fixture: str,
    token: str | None,
    state: Path | None,
    allow_remote: bool = False,
) -> None:
    """Serve the sandbox until interrupted, after printing its base URL and token.

    Args:
        host: Interface to bind (loopback by default).
        port: TCP port.
        fixture: ``demo``, ``empty`` or a YAML file holding a portal block.
        token: A token to make valid with every scope; a random one is made when None.
        state: SQLite file keeping the portal across restarts.
        allow_remote: Serve on a non-loopback ``host`` (with a warning on stderr).

    Raises:
        SandboxStartError: See :func:`check_address` and :func:`build`; nothing is served.
    """
    warning = check_address(host, port, allow_remote=allow_remote)
    app, value = build(fixture=fixture, token=token, state=state)
    if warning is not None:
        Console(stderr=True, soft_wrap=True).print(f"[yellow]Warning:[/yellow] {escape(warning)}")
    console = Console(soft_wrap=True)  # URLs and the token stay on one line each
    base_url = f"http://{host}:{port}"
    console.print(f"HubSpot sandbox at [bold]{base_url}[/bold]")
    console.print(f"Token: [bold]{value}[/bold]")
    console.print(f"Paragon proxy: {base_url}/projects/{app.sandbox.project_id}/sdk/proxy/hubspot/")
    uvicorn.run(app, host=host, port=port, log_level="warning")

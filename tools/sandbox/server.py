"""``alysio-agent sandbox``: serve the sandbox over HTTP with uvicorn."""

from __future__ import annotations

from pathlib import Path

import uvicorn
from rich.console import Console

from tools.sandbox.app import SandboxApp, create_app
from tools.scopes_catalog import ALL_SCOPES


def build(*, fixture: str, token: str | None, state: Path | None) -> tuple[SandboxApp, str]:
    """The app and the token to print (``token`` made valid with every listed scope, or a fresh one)."""
    source: str | Path = fixture if fixture in ("demo", "empty") else Path(fixture)
    app = create_app(source, state_path=state)
    value = app.sandbox.create_token(ALL_SCOPES, token)
    return app, value


def serve(*, host: str, port: int, fixture: str, token: str | None, state: Path | None) -> None:
    """Serve the sandbox until interrupted, after printing its base URL and token.

    Args:
        host: Interface to bind (loopback by default).
        port: TCP port.
        fixture: ``demo``, ``empty`` or a YAML file holding a portal block.
        token: A token to make valid with every scope; a random one is made when None.
        state: SQLite file keeping the portal across restarts.
    """
    app, value = build(fixture=fixture, token=token, state=state)
    console = Console()
    base_url = f"http://{host}:{port}"
    console.print(f"HubSpot sandbox at [bold]{base_url}[/bold]")
    console.print(f"Token: [bold]{value}[/bold]")
    console.print(f"Paragon proxy: {base_url}/projects/{app.sandbox.project_id}/sdk/proxy/hubspot/")
    uvicorn.run(app, host=host, port=port, log_level="warning")

"""``alysio-agent``: the command line (Typer + Rich).

Each command imports its implementation lazily so that ``--help`` stays fast and a
command whose part is not built yet says so plainly instead of failing on import.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tools.settings import SettingsError

app = typer.Typer(
    name="alysio-agent",
    help="Alysio's HubSpot agent: ask about and change your HubSpot CRM in plain language.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


class ToolsFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def chat() -> None:
    """Chat with the agent (against the built-in sandbox portal by default)."""
    err_console.print(
        "[yellow]alysio-agent chat is not built yet[/yellow]: the agent graph is the next issue. "
        "Meanwhile `alysio-agent sandbox` serves the local HubSpot portal and "
        "`alysio-agent tools` lists what the agent will be able to do."
    )
    raise typer.Exit(code=2)


@app.command()
def tools(
    format: Annotated[ToolsFormat, typer.Option("--format", "-f", help="table, json or markdown")] = ToolsFormat.table,
) -> None:
    """List the HubSpot tools the agent can use, with their scopes and endpoints."""
    from tools.registry import render_tools

    render_tools(format.value)


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8765,
    fixture: Annotated[str, typer.Option(help="demo, empty, or a YAML file holding a portal block")] = "demo",
    token: Annotated[str | None, typer.Option(help="Make this token valid with every scope the integration lists")] = None,
    state: Annotated[Path | None, typer.Option(help="Keep the portal in this SQLite file across restarts")] = None,
) -> None:
    """Serve the local HubSpot + Paragon sandbox over HTTP."""
    from tools.sandbox.server import serve

    serve(host=host, port=port, fixture=fixture, token=token, state=state)


def main() -> None:
    """Console-script entry point: settings problems are reported by name, never as a traceback."""
    try:
        app()
    except SettingsError as exc:
        err_console.print(f"[red]Configuration error[/red]: {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()

"""``alysio-agent``: the command line (Typer + Rich).

Each command imports its implementation lazily so that ``--help`` stays fast and a
command whose part is not built yet says so plainly instead of failing on import. Bad input (a
setting, an option, a file) is reported in one line naming the problem, never as a traceback;
every file the process creates is readable by its owner only (:mod:`tools.datadir`).
"""

from __future__ import annotations

import gc
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from tools.datadir import restrict_new_files

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="alysio-agent",
    help="Alysio's HubSpot agent: ask about and change your HubSpot CRM in plain language.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
EXIT_USAGE = 2


def err_console() -> Console:
    """Rich on stderr, made when an error is shown (Rich is not imported for a command that works)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def escape(text: str) -> str:
    """``text`` with Rich markup made literal."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def fail(message: str, *, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``Error: <message>`` on one line of stderr and exit with ``code``."""
    err_console().print(f"[red]Error:[/red] {escape(' '.join(message.split()))}")
    raise typer.Exit(code=code)


class ToolsFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class HubSpotMode(StrEnum):
    paragon = "paragon"
    direct = "direct"
    sandbox = "sandbox"


class PlannerChoice(StrEnum):
    offline = "offline"
    openai = "openai"


def _check_email(value: str | None) -> str | None:
    if value is not None and (
        "@" not in value or value.startswith("@") or value.endswith("@") or " " in value
    ):
        raise typer.BadParameter(f"{value!r} is not an email address")
    return value


def _check_thread(value: str | None) -> str | None:
    from adapters.cli.chat import THREAD_ID

    if value is not None and not THREAD_ID.fullmatch(value):
        raise typer.BadParameter("a thread id is 1-128 letters, digits, '.', '_', ':' or '-'")
    return value


@app.command()
def chat(
    hubspot: Annotated[
        HubSpotMode | None,
        typer.Option("--hubspot", help="paragon, direct or sandbox (default: ALYSIO_HUBSPOT_MODE)"),
    ] = None,
    planner: Annotated[
        PlannerChoice | None,
        typer.Option("--planner", help="offline or openai (default: openai when a key is set)"),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", metavar="EMAIL", help="Act as this user", callback=_check_email)
    ] = None,
    thread: Annotated[
        str | None,
        typer.Option(
            "--thread",
            metavar="ID",
            help="Continue this conversation (default: a new one)",
            callback=_check_thread,
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="With piped input: one JSON object per event and line")
    ] = False,
) -> None:
    """Chat with the agent (the built-in sandbox portal and the offline planner by default)."""
    # Start-up builds a great deal and frees little: no collections until the session is open,
    # then what it built is frozen out of every later one (agent.runtime.settle_after_startup).
    gc.disable()
    try:
        from adapters.cli.chat import ChatOptions, run_chat
        from agent.runtime import settle_after_startup

        options = ChatOptions(
            hubspot=hubspot.value if hubspot else None,
            planner=planner.value if planner else None,
            user=user,
            thread=thread,
            json=json_output,
        )
        code = run_chat(options, on_ready=settle_after_startup)
    finally:
        gc.enable()
    raise typer.Exit(code=code)


@app.command()
def tools(
    format: Annotated[
        ToolsFormat, typer.Option("--format", "-f", help="table, json or markdown")
    ] = ToolsFormat.table,
) -> None:
    """List the HubSpot tools the agent can use, with their scopes and endpoints."""
    from tools.registry import render_tools

    render_tools(format.value)


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (1-65535)")] = 8765,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow a --host other than loopback (the admin API serves the Paragon signing key)",
        ),
    ] = False,
    fixture: Annotated[str, typer.Option(help="demo, empty, or a YAML file holding a portal block")] = "demo",
    token: Annotated[
        str | None, typer.Option(help="Make this token valid with every scope the integration lists")
    ] = None,
    state: Annotated[
        Path | None, typer.Option(help="Keep the portal in this SQLite file across restarts")
    ] = None,
) -> None:
    """Serve the local HubSpot + Paragon sandbox over HTTP."""
    from tools.sandbox.server import SandboxStartError, serve

    try:
        serve(host=host, port=port, fixture=fixture, token=token, state=state, allow_remote=allow_remote)
    except SandboxStartError as exc:
        fail(str(exc))


@app.command()
def audit(
    thread: Annotated[str | None, typer.Option("--thread", help="Only this conversation (thread id)")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only this Alysio user id")] = None,
    json_lines: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    limit: Annotated[int, typer.Option(help="Show at most this many, newest last", min=1)] = 200,
) -> None:
    """Show the audit log: every HubSpot request the agent made, who approved writes, and what changed."""
    import sqlite3

    from agent.audit import show_audit
    from tools.settings import load_settings

    try:
        show_audit(thread_id=thread, user_id=user, as_json=json_lines, limit=limit)
    except sqlite3.Error as exc:
        fail(f"cannot read the audit log {load_settings().storage_path('audit')}: {exc}", code=1)


class EvalMode(StrEnum):
    offline = "offline"
    replay = "replay"
    record = "record"


@app.command("eval")
def eval_(
    cases: Annotated[Path, typer.Option("--cases", metavar="DIR", help="Directory of case files")] = Path(
        "evals/cases"
    ),
    mode: Annotated[
        EvalMode, typer.Option("--mode", help="offline (no model), replay (cassettes) or record")
    ] = EvalMode.offline,
    synthetic: Annotated[
        bool,
        typer.Option(
            "--synthetic", help="With --mode record: fill in cassette requests from their written responses"
        ),
    ] = False,
    repeat: Annotated[int, typer.Option("--repeat", metavar="K", help="Runs per case (pass^k)", min=1)] = 1,
    keyword: Annotated[
        str | None, typer.Option("-k", metavar="SUBSTRING", help="Only cases whose id contains this")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Only cases with this tag (repeatable)")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", metavar="PATH", help="Write PATH.json and PATH.md")
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", metavar="N", help="Worker processes running cases side by side", min=1)
    ] = 4,
) -> None:
    """Run the evaluation suite against fresh sandbox portals and report; exit 1 when a case fails."""
    from agent.runtime import settle_after_startup
    from evals.command import EvalRequest, run_eval

    request = EvalRequest(
        cases=cases,
        mode=mode.value,
        synthetic=synthetic,
        repeat=repeat,
        keyword=keyword,
        tags=tuple(tag or ()),
        report=report,
        jobs=jobs,
    )
    code, _ = run_eval(request, on_ready=settle_after_startup)
    raise typer.Exit(code=code)


@app.command()
def sync(
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="The tenant to sync (default: ALYSIO_TENANT_ID)")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the counts as one JSON object")] = False,
) -> None:
    """Sync HubSpot users, owners and teams into the identity store (the configured HubSpot mode)."""
    from agent.identity.commands import run_sync

    raise typer.Exit(code=run_sync(tenant=tenant, as_json=json_output))


connection_app = typer.Typer(help="HubSpot connections: list them, mark one uninstalled or reconnected.")
app.add_typer(connection_app, name="connection")


@connection_app.command("list")
def connection_list(
    json_output: Annotated[bool, typer.Option("--json", help="One JSON list")] = False,
) -> None:
    """List the known HubSpot connections and their status."""
    from agent.identity.commands import run_connection_list

    raise typer.Exit(code=run_connection_list(as_json=json_output))


@connection_app.command("uninstalled")
def connection_uninstalled(
    connection_id: Annotated[str, typer.Argument(metavar="ID", help="The connection id")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the connection as JSON")] = False,
) -> None:
    """The user uninstalled HubSpot: refuse its requests, stop its syncs, soft-delete its mappings."""
    from agent.identity.commands import run_connection_status

    raise typer.Exit(code=run_connection_status(connection_id, uninstalled=True, as_json=json_output))


@connection_app.command("reconnected")
def connection_reconnected(
    connection_id: Annotated[str, typer.Argument(metavar="ID", help="The connection id")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the connection as JSON")] = False,
) -> None:
    """The user reconnected HubSpot: make the connection active again."""
    from agent.identity.commands import run_connection_status

    raise typer.Exit(code=run_connection_status(connection_id, uninstalled=False, as_json=json_output))


def main() -> None:
    """Console-script entry point: settings problems are reported by name, never as a traceback.

    Every file and directory the command creates is its owner's only (umask ``077``).
    """
    restrict_new_files()
    try:
        app()
    except ValueError as exc:
        # Only a command that read the settings imported them (``tools`` and ``--help`` do not).
        settings = sys.modules.get("tools.settings")
        if settings is None or not isinstance(exc, settings.SettingsError):
            raise
        err_console().print(f"[red]Configuration error[/red]: {escape(str(exc))}")
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()

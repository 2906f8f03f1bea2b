"""How ``alysio-agent chat`` shows a turn's events: Rich on a terminal, plain text or JSON lines on a pipe.

:class:`JsonRenderer` writes ``Event.to_json_line()`` per event and line (what scripts read),
:class:`PlainRenderer` the event's text prefixed by its kind, and :class:`RichRenderer` colours,
record links and each pending confirmation as one table per write.

An error's next step is worded for the command line by :class:`CliSteps`: the command that fixes
it (``alysio-agent connection reconnected``, ``ALYSIO_HUBSPOT_SCOPES``...), never the Alysio UI's
settings page the service's own wording names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO, Any, Protocol

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.events import ErrorInfo, Event
from agent.identity.connections import DEAUTHORIZED_MESSAGE, NOT_CONNECTED_MESSAGE
from tools.hubspot.types import is_object_type, singular

RECONNECTED = "`alysio-agent connection reconnected <id>`"
LISTED = "`alysio-agent connection list`"


@dataclass(frozen=True)
class CliSteps:
    """Words an error's next step (``ErrorInfo.next_step``) as what to run or set on the command line.

    Attributes:
        mode: The HubSpot mode (``paragon``, ``direct``, ``sandbox``), when known.
    """

    mode: str | None = None

    def action(self, info: ErrorInfo) -> str | None:
        """The next step for the command line; the error's own action when it names no settings page."""
        if info.next_step == "reconnect":
            return self._reconnect(info.message)
        if info.next_step == "reauthorize":
            return self._reauthorize(info.scopes)
        return info.action

    def say(self, text: str, info: ErrorInfo | None) -> str:
        """An error event's text with its action replaced by the command-line one."""
        if info is None:
            return text
        action = self.action(info)
        if action == info.action:
            return text
        if info.action and text.endswith(info.action):
            text = text[: -len(info.action)].rstrip()
        return f"{text} {action}" if action else text

    def _reconnect(self, message: str) -> str:
        if message == DEAUTHORIZED_MESSAGE:
            return f"Once HubSpot is connected again, run {RECONNECTED} ({LISTED} shows the id)."
        if message == NOT_CONNECTED_MESSAGE:
            # Paragon: this user has no HubSpot connection of their own; the workspace's is untouched.
            return f"Connect HubSpot for this user through Paragon, then try again ({LISTED} shows the workspace's connection)."
        if self.mode == "direct":
            return "Set ALYSIO_HUBSPOT_ACCESS_TOKEN to a valid private-app token, then check it with `alysio-agent sync`."
        if self.mode == "paragon":
            return "Reconnect HubSpot through Paragon, then check the connection with `alysio-agent sync`."
        return f"Check the connection with {LISTED}; {RECONNECTED} makes one marked uninstalled active again."

    def _reauthorize(self, scopes: list[str]) -> str:
        named = ", ".join(scopes) or "the missing scopes"
        how = {
            "paragon": f"Reconnect HubSpot through Paragon approving {named} and add them to ALYSIO_HUBSPOT_SCOPES",
            "direct": f"Add {named} to the private app's scopes in HubSpot and to ALYSIO_HUBSPOT_SCOPES",
            "sandbox": f"Add {named} to ALYSIO_HUBSPOT_SCOPES",
        }.get(self.mode or "", f"Grant {named} (ALYSIO_HUBSPOT_SCOPES lists what the connection holds)")
        return f"{how}, then start the chat again."


class Renderer(Protocol):
    """Shows a turn's events on one channel of the terminal."""

    def events(self, events: list[Event]) -> None:
        """Show the events of one turn."""
        ...


class JsonRenderer:
    """One JSON object per event and line (``Event.to_json_line``), flushed at once for pipes.

    An error's ``text`` and ``error.action`` carry the command-line next step (:class:`CliSteps`);
    ``error.next_step`` keeps the code.
    """

    def __init__(self, out: IO[str], steps: CliSteps | None = None) -> None:
        self._out = out
        self._steps = steps or CliSteps()

    def events(self, events: list[Event]) -> None:
        for event in events:
            line = event.to_json_line()
            if event.error is not None:
                line["text"] = self._steps.say(event.text, event.error)
                line["error"]["action"] = self._steps.action(event.error)
            self._out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._out.flush()


class PlainRenderer:
    """Plain text for pipes without ``--json``: the event's text, prefixed by its kind."""

    def __init__(self, out: IO[str], steps: CliSteps | None = None) -> None:
        self._out = out
        self._steps = steps or CliSteps()

    def events(self, events: list[Event]) -> None:
        for event in events:
            if event.type == "error":
                kind = event.error.kind if event.error else "error"
                self._out.write(f"error ({kind}): {self._steps.say(event.text, event.error)}\n")
            elif event.type == "confirm":
                self._out.write(
                    f"confirm: {event.text}\nReply yes to approve, no to cancel, or say what to change.\n"
                )
            else:
                self._out.write(f"{event.type}: {event.text}\n")
            for write in event.writes:
                self._out.write(
                    f"  {write.op} {write.object_type} {write.id}"
                    + (f" {write.url}" if write.url else "")
                    + "\n"
                )
        self._out.flush()


def _singular(object_type: Any) -> str:
    name = str(object_type or "record")
    return singular(name) if is_object_type(name) else name  # type: ignore[arg-type]


def _cell(value: Any) -> str:
    return "" if value in (None, "") else escape(str(value))


def confirmation_tables(pending: dict[str, Any]) -> list[Table]:
    """One table per write of a pending confirmation: each field, old → new for updates."""
    tables: list[Table] = []
    for step in pending.get("steps", []):
        op = str(step.get("op", "change"))
        kind = _singular(step.get("object_type"))
        label = step.get("label") or ""
        title = f"{op.capitalize()} {kind}" + (f" {label}" if label and op != "create" else "")
        table = Table(title=escape(title), title_justify="left", show_lines=False)
        table.add_column("Field", style="bold")
        if op == "update":
            table.add_column("Now", style="dim")
        table.add_column("New" if op == "update" else "Value", style="green")
        for change in step.get("changes", []):
            row = [_cell(change.get("property"))]
            if op == "update":
                row.append(_cell(change.get("old")) or "(empty)")
            row.append(_cell(change.get("display", change.get("new"))))
            table.add_row(*row)
        links = [
            f"{_singular(a.get('object_type'))} {a.get('label', '')}" for a in step.get("associations", [])
        ]
        if step.get("merge_from"):
            links.append(f"merges {step['merge_from'].get('label', '')} into this company")
        if links:
            cells = ["linked to"] + ([""] if op == "update" else []) + [escape("; ".join(links))]
            table.add_row(*cells, style="cyan")
        tables.append(table)
    return tables


class RichRenderer:
    """The terminal: colours, record links, confirmations as tables, candidates as a numbered list."""

    def __init__(self, console: Console, steps: CliSteps | None = None) -> None:
        self._console = console
        self._steps = steps or CliSteps()

    def events(self, events: list[Event]) -> None:
        for event in events:
            if event.type == "confirm" and event.pending:
                self.confirmation(event.pending)
            elif event.type == "clarify":
                self._console.print(f"[yellow]?[/yellow] {escape(event.text)}")
            elif event.type == "error":
                kind = event.error.kind if event.error else "error"
                text = self._steps.say(event.text, event.error)
                self._console.print(f"[red]✗ {escape(kind)}[/red] {escape(text)}")
            else:
                self._console.print(escape(event.text))
            for write in event.writes:
                # The reply's text already spells the URL out; here the id is the clickable link.
                record = f"[link={write.url}]{write.id}[/link]" if write.url else write.id
                self._console.print(f"  [green]✓[/green] {write.op} {_singular(write.object_type)} {record}")

    def confirmation(self, pending: dict[str, Any]) -> None:
        """The pending confirmation: its question, a table per write and when it expires."""
        self._console.print(
            f"[bold]{escape(str(pending.get('question', 'Shall I make this change?')))}[/bold]"
        )
        tables = confirmation_tables(pending)
        if not tables:
            self._console.print(escape(str(pending.get("summary", ""))))
        for table in tables:
            self._console.print(table)
        if pending.get("expires_at"):
            self._console.print(
                f"[dim]Waiting for your approval until {escape(str(pending['expires_at']))}.[/dim]"
            )

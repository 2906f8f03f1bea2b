"""``alysio-agent chat``: the agent in a terminal, or driven line by line from a pipe.

On a terminal the turn's events are rendered with Rich: a spinner while the turn runs, a
confirmation as a table per write with an approve / edit / cancel prompt. With stdin piped, each
input line is one user turn; ``--json`` prints each event as one JSON object per line (exactly
``type, text, writes, pending, error``) and everything else (the start line, notices) goes to
stderr, so scripts read stdout as data.

The session runs on one :class:`asyncio.Runner` and reads input synchronously between turns, so
Ctrl-C at the prompt leaves cleanly and Ctrl-C during a turn cancels only that turn: the
conversation stays in the checkpoint and a write that was in flight is reconciled by the
service on the next message (never sent twice). How events are shown is
:mod:`adapters.cli.render`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from rich.console import Console
from rich.markup import escape

from adapters.cli.render import CliSteps, JsonRenderer, PlainRenderer, Renderer, RichRenderer
from agent.context import AgentContext
from agent.events import ErrorInfo, Event
from agent.identity.users import UnknownUser, UserIdentity
from agent.service import Incoming
from tools.datadir import make_private, secure_data_dir
from tools.hubspot import HubSpotError
from tools.redact import RedactingFilter
from tools.settings import Settings, load_settings

log = logging.getLogger(__name__)

HubSpotChoice = Literal["paragon", "direct", "sandbox"]
PlannerChoice = Literal["offline", "openai"]

THREAD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
EXIT_INTERRUPTED = 130
EXIT_UNKNOWN_USER = 2  # as for any other unusable option

HELP = """Type what you want to do in HubSpot, for example:
  Create a new deal for Acme Corp, 50k
  Which of my deals close this month?
  Log a call with Jane Doe: discussed pricing
Every change is shown for approval first; nothing is ever deleted.
Commands: /help (this text), /pending (what is waiting for you), /thread (this conversation's id), /quit.
Ctrl-C stops the current turn; Ctrl-D or /quit leaves."""

COMMANDS = ("/help", "/pending", "/thread", "/quit", "/exit")


class ChatService(Protocol):
    """What the chat needs of :class:`agent.service.AgentService`."""

    async def handle(self, thread_id: str, ctx: AgentContext, incoming: Incoming) -> list[Event]:
        """Handle one user turn and return what to say."""
        ...

    async def pending(self, thread_id: str, ctx: AgentContext) -> dict[str, Any] | None:
        """What the thread waits for, if anything (only its owner sees it)."""
        ...


@dataclass(frozen=True)
class ChatOptions:
    """The command line of ``alysio-agent chat`` (None: from the settings).

    Attributes:
        hubspot: ``--hubspot``: which HubSpot connection (``ALYSIO_HUBSPOT_MODE``).
        planner: ``--planner``: offline or the model planner (``ALYSIO_PLANNER``).
        user: ``--user``: act as the user with this email (default: the configured user).
        thread: ``--thread``: continue this conversation; a new one when None.
        json: ``--json``: one JSON object per event and line on stdout.
    """

    hubspot: HubSpotChoice | None = None
    planner: PlannerChoice | None = None
    user: str | None = None
    thread: str | None = None
    json: bool = False


@dataclass
class ChatSession:
    """An open conversation: the service, who is asking, and the thread."""

    service: ChatService
    ctx: AgentContext
    thread_id: str
    description: str

    async def send(self, incoming: Incoming) -> list[Event]:
        """One user turn."""
        return await self.service.handle(self.thread_id, self.ctx, incoming)

    async def pending(self) -> dict[str, Any] | None:
        """What the conversation waits for."""
        return await self.service.pending(self.thread_id, self.ctx)


def chat_settings(options: ChatOptions) -> Settings:
    """The settings with the command line's HubSpot mode and planner applied.

    ``--user`` does not change them: the configured user stays the Paragon user who connected
    HubSpot (the connection's installer); who chats is :func:`agent.runtime.user_for_email`'s
    answer, resolved when the session opens.

    Raises:
        SettingsError: A setting is missing or malformed (named by its variable).
    """
    overrides: dict[str, object] = {}
    if options.hubspot is not None:
        overrides["hubspot_mode"] = options.hubspot
    if options.planner is not None:
        overrides["planner"] = options.planner
    return load_settings(**overrides)


def describe(settings: Settings, thread_id: str, *, resumed: bool, user: UserIdentity | None = None) -> str:
    """The one start line: where HubSpot is, which planner, as whom (default: the configured user), which thread."""
    where = {
        "sandbox": "the built-in sandbox HubSpot portal (demo data)",
        "paragon": "HubSpot through Paragon",
        "direct": "HubSpot directly (private-app token)",
    }[settings.hubspot_mode]
    planner = (
        f"the model planner ({settings.openai_model})"
        if settings.planner_name == "openai"
        else "the offline planner"
    )
    user = user or UserIdentity(settings.user_id, settings.user_email, settings.user_name)
    who = f"{user.name} <{user.email}>" if user.name else user.email
    verb = "Continuing" if resumed else "Started"
    return f"Using {where} and {planner}, as {who}. {verb} conversation {thread_id}; /help for help."


def sandbox_state_path(settings: Settings) -> Path:
    """Where sandbox mode keeps its portal across chat runs: ``{data_dir}/sandbox.sqlite``."""
    return (settings.data_dir / "sandbox.sqlite").expanduser()


@asynccontextmanager
async def open_session(settings: Settings, options: ChatOptions) -> AsyncIterator[ChatSession]:
    """Open the service from the settings (SQLite checkpoints and audit log) for one conversation.

    ``--user EMAIL`` acts as that person, with their whole identity (see
    :func:`agent.runtime.user_for_email`).

    Raises:
        UnknownUser: Paragon or direct mode, and the identity store does not know ``--user``.
    """
    from agent.runtime import context_for, open_service, user_for_email

    thread_id = options.thread or uuid.uuid4().hex[:12]
    # The sandbox portal lives beside the conversations, so `--thread ID` finds the records its
    # earlier runs created.
    sandbox_state = sandbox_state_path(settings) if settings.hubspot_mode == "sandbox" else None
    async with open_service(settings, sandbox_state=sandbox_state) as (service, client):
        user = await user_for_email(settings, service.deps.owners, options.user)
        ctx = context_for(settings, client, user=user, channel="cli")
        yield ChatSession(
            service=service,
            ctx=ctx,
            thread_id=thread_id,
            description=describe(settings, thread_id, resumed=options.thread is not None, user=user),
        )


# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlashCommand:
    """A slash command typed by the user (``/help``)."""

    name: str


Parsed = Incoming | SlashCommand | None


def parse_line(line: str) -> Parsed:
    """What one input line asks for: a message, a slash command, or nothing (an empty line)."""
    text = line.strip()
    if not text:
        return None
    if text.startswith("/") and re.fullmatch(r"/[A-Za-z?]+", text.split()[0]):
        return SlashCommand(text.split()[0].lower())
    return Incoming(text=text)


_APPROVE = {"y", "yes", "approve", "a"}
_REJECT = {"n", "no", "cancel", "c", "reject"}
_EDIT = {"e", "edit"}


def parse_edits(text: str) -> dict[str, str] | None:
    """``amount=60000, closedate=2026-04-30`` → ``{"amount": "60000", ...}``; None when malformed."""
    edits: dict[str, str] = {}
    for part in re.split(r"[;,]\s*(?=[A-Za-z_][A-Za-z0-9_]*\s*=)", text.strip()):
        name, sep, value = part.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()) or not value.strip():
            return None
        edits[name.strip()] = value.strip()
    return edits or None


# --- the session driver -----------------------------------------------------------------------


ReadLine = Callable[[str], str]
"""Reads one line (without its newline); raises EOFError at the end, KeyboardInterrupt on Ctrl-C."""


@dataclass
class ChatIO:
    """Where the chat reads and writes.

    Attributes:
        read_line: The input.
        renderer: Shows events.
        notes: Start line, help and notices (stderr when piped, so stdout stays data).
        interactive: A person at a terminal (Rich prompts, the spinner, approve/edit/cancel).
    """

    read_line: ReadLine
    renderer: Renderer
    notes: Console
    interactive: bool


def piped_lines(stream: IO[str]) -> ReadLine:
    """Read lines from a pipe; EOFError at its end."""
    lines: Iterator[str] = iter(stream)

    def read(prompt: str) -> str:
        try:
            return next(lines).rstrip("\r\n")
        except StopIteration:
            raise EOFError from None

    return read


class ChatDriver:
    """Runs the conversation loop on one event loop, one turn at a time."""

    def __init__(self, io: ChatIO, runner: asyncio.Runner, session: ChatSession) -> None:
        self._io = io
        self._runner = runner
        self._session = session

    def loop(self) -> int:
        """Read and handle input until EOF, /quit or Ctrl-C at the prompt.

        Returns:
            The exit code: 0, or 130 when a piped session was interrupted.
        """
        io = self._io
        while True:
            try:
                line = io.read_line("[bold cyan]you ›[/bold cyan] " if io.interactive else "")
            except EOFError:
                return 0
            except KeyboardInterrupt:
                io.notes.print()
                return 0
            parsed = parse_line(line)
            if parsed is None:
                if not io.interactive:
                    io.notes.print("[dim](empty line skipped)[/dim]")
                continue
            if isinstance(parsed, SlashCommand):
                if parsed.name in ("/quit", "/exit"):
                    return 0
                self._command(parsed)
                continue
            code = self._turn(parsed)
            if code is not None:
                return code

    def _command(self, command: SlashCommand) -> None:
        notes = self._io.notes
        if command.name in ("/help", "/?"):
            notes.print(escape(HELP))
        elif command.name == "/thread":
            notes.print(
                f"Conversation {self._session.thread_id} (continue it with --thread {self._session.thread_id})."
            )
        elif command.name == "/pending":
            pending = self._runner.run(self._session.pending())
            if pending is None:
                notes.print("Nothing is waiting for you.")
            elif pending.get("kind") == "confirm" and isinstance(self._io.renderer, RichRenderer):
                self._io.renderer.confirmation(pending)
            else:
                notes.print(escape(str(pending.get("question") or pending)))
                if pending.get("summary"):
                    notes.print(escape(str(pending["summary"])))
        else:
            notes.print(
                f"[yellow]Unknown command {escape(command.name)}.[/yellow] Commands: {', '.join(COMMANDS[:-1])}."
            )

    def _run_turn(self, incoming: Incoming) -> list[Event]:
        if self._io.interactive:
            with self._io.notes.status("Working on it…", spinner="dots"):
                return self._runner.run(self._session.send(incoming))
        return self._runner.run(self._session.send(incoming))

    def _turn(self, incoming: Incoming) -> int | None:
        """Handle one input; on a terminal, follow a confirmation with its prompt."""
        next_input: Incoming | None = incoming
        while next_input is not None:
            try:
                events = self._run_turn(next_input)
            except KeyboardInterrupt:
                self._io.notes.print(
                    "[yellow]Interrupted.[/yellow] The conversation is kept; a change that was being written "
                    "is checked and finished on your next message, never written twice."
                )
                return None if self._io.interactive else EXIT_INTERRUPTED
            except Exception:  # the service answers errors as events; this is a last resort, not a traceback
                log.exception("chat turn failed")
                self._io.notes.print(
                    "[red]Something went wrong on our side.[/red] Your conversation is kept; try again."
                )
                return None
            self._io.renderer.events(events)
            next_input = None
            confirm = next((e for e in events if e.type == "confirm"), None)
            if confirm is not None and self._io.interactive:
                answer = self._ask_approval()
                if isinstance(answer, int):
                    return answer
                next_input = answer
        return None

    def _ask_approval(self) -> Incoming | int | None:
        """Approve / edit / cancel, or any other message; None when the user typed nothing."""
        io = self._io
        while True:
            try:
                raw = io.read_line(
                    "[bold]Approve?[/bold] [green]y[/green]es / [yellow]e[/yellow]dit / [red]n[/red]o › "
                )
            except EOFError:
                return 0
            except KeyboardInterrupt:
                io.notes.print("\nLeft without answering; the change is still waiting (/pending shows it).")
                return 0
            word = raw.strip().lower()
            if word in _APPROVE:
                return Incoming(action="approve")
            if word in _REJECT:
                return Incoming(action="reject")
            if word in _EDIT:
                edits = self._ask_edits()
                if edits is not None:
                    return Incoming(edit=edits)
                continue
            parsed = parse_line(raw)
            if parsed is None:
                io.notes.print("[dim]Type y to approve, e to edit, n to cancel, or say what to change.[/dim]")
                continue
            if isinstance(parsed, SlashCommand):
                if parsed.name in ("/quit", "/exit"):
                    return 0
                self._command(parsed)
                continue
            return parsed

    def _ask_edits(self) -> dict[str, str] | None:
        io = self._io
        while True:
            try:
                raw = io.read_line(
                    "Change (e.g. [bold]amount=60000, closedate=2026-04-30[/bold]; empty to go back) › "
                )
            except (EOFError, KeyboardInterrupt):
                return None
            if not raw.strip():
                return None
            edits = parse_edits(raw)
            if edits is not None:
                return edits
            io.notes.print("[yellow]Write each change as field=value, separated by commas.[/yellow]")


def _configure_logging(settings: Settings) -> Path | None:
    """Send log records to ``{data_dir}/chat.log`` so tracebacks never reach the conversation.

    The data directory is made its owner's only (``0700``, its files ``0600``) and every record
    passes :class:`~tools.redact.RedactingFilter`, so no credential an upstream quoted is written.

    Returns:
        The log file, or None when it cannot be written (records are then dropped).
    """
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    path = settings.data_dir.expanduser() / "chat.log"
    try:
        secure_data_dir(settings)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
        make_private(path)
    except OSError:
        root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    return path


def make_io(
    options: ChatOptions,
    *,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    steps: CliSteps | None = None,
) -> ChatIO:
    """Terminal or pipe, decided by whether stdin is a terminal (``--json`` always reads lines).

    ``steps`` words an error's next step as the command that fixes it (for the HubSpot mode).
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    steps = steps or CliSteps()
    if stdin.isatty() and not options.json:
        console = Console(file=stdout, highlight=False)
        return ChatIO(
            read_line=lambda prompt: console.input(prompt),
            renderer=RichRenderer(console, steps),
            notes=console,
            interactive=True,
        )
    notes = Console(stderr=True, highlight=False, soft_wrap=True)
    renderer: Renderer = JsonRenderer(stdout, steps) if options.json else PlainRenderer(stdout, steps)
    read = piped_lines(stdin) if not stdin.isatty() else (lambda prompt: input())
    return ChatIO(read_line=read, renderer=renderer, notes=notes, interactive=False)


def run_chat(
    options: ChatOptions,
    *,
    io: ChatIO | None = None,
    session_factory: Callable[[Settings, ChatOptions], Any] = open_session,
    log_to_file: bool = True,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Run ``alysio-agent chat`` to the end of input.

    Args:
        options: The command line.
        io: Where to read and write (the process's terminal or pipes by default).
        session_factory: Opens the conversation (an async context manager of
            :class:`ChatSession`); tests pass one with a fake service.
        log_to_file: Route the process's logging to ``{data_dir}/chat.log`` (off in tests, which
            keep their own log capture).
        on_ready: Called once the session is open, before the first turn (the CLI settles the
            garbage collector there: :func:`agent.runtime.settle_after_startup`).

    Returns:
        The process exit code.

    Raises:
        SettingsError: A setting is missing or malformed (the CLI prints it by name).
    """
    if options.thread is not None and not THREAD_ID.fullmatch(options.thread):
        raise ValueError("--thread must be 1-128 letters, digits, '.', '_', ':' or '-'")
    settings = chat_settings(options)
    steps = CliSteps(mode=settings.hubspot_mode)
    io = io or make_io(options, steps=steps)
    log_path = _configure_logging(settings) if log_to_file else None
    with asyncio.Runner() as runner:
        stack = AsyncExitStack()
        try:
            session: ChatSession = runner.run(stack.enter_async_context(session_factory(settings, options)))
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except UnknownUser as exc:
            # Refused before anything is sent or changed: one line naming the email and the fix.
            io.notes.print(
                f"[red]{escape(str(exc))}[/red] If they were added to HubSpot since, run "
                "`alysio-agent sync`, then try again."
            )
            return EXIT_UNKNOWN_USER
        except HubSpotError as exc:  # the first sync (to find --user) failed: say what fixes it
            log.warning("could not open the chat session: %s (%s)", exc.message, exc.kind)
            text = steps.say(f"{exc.message} {exc.user_action}", ErrorInfo.from_error(exc))
            io.notes.print(f"[red]Could not start the chat:[/red] {escape(text)}")
            return 1
        except Exception as exc:
            log.exception("could not open the chat session")
            where = f" (details in {log_path})" if log_path else ""
            io.notes.print(
                f"[red]Could not start the chat:[/red] {escape(str(exc) or type(exc).__name__)}{where}"
            )
            return 1
        if on_ready is not None:
            on_ready()
        try:
            io.notes.print(escape(session.description))
            code = ChatDriver(io, runner, session).loop()
            if io.interactive or code:
                io.notes.print(
                    f"[dim]Conversation saved: alysio-agent chat --thread {session.thread_id}[/dim]"
                )
            return code
        finally:
            try:
                runner.run(stack.aclose())
            except (Exception, KeyboardInterrupt):
                log.exception("closing the chat session failed")

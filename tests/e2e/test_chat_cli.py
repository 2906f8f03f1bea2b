"""``alysio-agent chat`` driven with a fake service: piped lines, JSON events, bad input, Ctrl-C, the terminal."""

from __future__ import annotations

import asyncio
import io
import json
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from adapters.cli.app import app
from adapters.cli.chat import (
    EXIT_INTERRUPTED,
    ChatIO,
    ChatOptions,
    ChatSession,
    chat_settings,
    parse_edits,
    run_chat,
)
from adapters.cli.render import JsonRenderer, PlainRenderer, RichRenderer
from agent.context import AgentContext
from agent.events import ErrorInfo, Event, WriteDone
from agent.runtime import user_for_email
from agent.service import Incoming
from tools.scopes_catalog import ALL_SCOPES
from tools.settings import Settings, SettingsError

PENDING = {
    "kind": "confirm",
    "question": "Shall I make this change in HubSpot?",
    "summary": "Create deal: dealname = Acme Corp deal",
    "steps": [
        {
            "op": "create",
            "object_type": "deals",
            "label": "Acme Corp deal",
            "associations": [{"object_type": "companies", "id": "16", "label": "Acme Corp"}],
            "changes": [
                {"property": "dealname", "old": None, "new": "Acme Corp deal", "display": "Acme Corp deal"},
                {"property": "amount", "old": None, "new": "50000", "display": "$50,000"},
            ],
        },
        {
            "op": "update",
            "object_type": "companies",
            "label": "Acme Corp",
            "associations": [],
            "changes": [{"property": "industry", "old": "Retail", "new": "SOFTWARE", "display": "Software"}],
        },
    ],
    "expires_at": "2026-03-03T15:00:00Z",
}
CONFIRM = Event(type="confirm", text="Shall I make this change in HubSpot?\nCreate deal", pending=PENDING)
DONE = Event(
    type="reply",
    text="Done: created deal Acme Corp deal.",
    writes=[
        WriteDone(
            op="create",
            object_type="deals",
            id="977",
            url="https://app.hubspot.com/contacts/1/record/0-3/977",
        )
    ],
)
CTX = AgentContext(
    tenant_id="t-demo",
    user_id="u-alex",
    user_email="alex@acme-sales.io",
    granted_scopes=frozenset(ALL_SCOPES),
)

Answerer = Callable[[Incoming], Any]


class FakeService:
    """Answers turns from a function of the input and records what it received."""

    def __init__(self, answer: Answerer | None = None, pending: dict[str, Any] | None = None) -> None:
        self.answer = answer or (lambda incoming: [Event(type="reply", text=f"echo {incoming.text}")])
        self.received: list[tuple[str, Incoming]] = []
        self._pending = pending
        self.closed = False

    async def handle(self, thread_id: str, ctx: AgentContext, incoming: Incoming) -> list[Event]:
        self.received.append((thread_id, incoming))
        result = self.answer(incoming)
        if asyncio.iscoroutine(result):
            result = await result
        assert isinstance(result, list)
        return result

    async def pending(self, thread_id: str, ctx: AgentContext) -> dict[str, Any] | None:
        return self._pending


def factory_for(service: FakeService) -> Callable[[Settings, ChatOptions], Any]:
    @asynccontextmanager
    async def open_fake(settings: Settings, options: ChatOptions) -> AsyncIterator[ChatSession]:
        try:
            yield ChatSession(service, CTX, options.thread or "t-new", "Using the fake portal.")
        finally:
            service.closed = True

    return open_fake


def lines(*items: str) -> Callable[[str], str]:
    queue = list(items)

    def read(prompt: str) -> str:
        if not queue:
            raise EOFError
        item = queue.pop(0)
        if item == "<ctrl-c>":
            raise KeyboardInterrupt
        return item

    return read


class Piped:
    """A piped session: events on ``out``, notices on ``err``."""

    def __init__(self, *input_lines: str, json_output: bool = True) -> None:
        self.out = io.StringIO()
        self.err = io.StringIO()
        renderer = JsonRenderer(self.out) if json_output else PlainRenderer(self.out)
        self.io = ChatIO(
            read_line=lines(*input_lines),
            renderer=renderer,
            notes=Console(file=self.err, width=200, highlight=False),
            interactive=False,
        )

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.getvalue().splitlines()]


def run(service: FakeService, chat_io: ChatIO, options: ChatOptions | None = None) -> int:
    return run_chat(
        options or ChatOptions(json=True), io=chat_io, session_factory=factory_for(service), log_to_file=False
    )


def confirm_then_done(incoming: Incoming) -> list[Event]:
    return [CONFIRM] if incoming.text and incoming.text.startswith("Create") else [DONE]


def test_piped_json_prints_each_event_as_one_line_with_exactly_the_contract_keys() -> None:
    service = FakeService(confirm_then_done)
    piped = Piped("Create a new deal for Acme Corp", "yes")

    assert run(service, piped.io) == 0

    events = piped.events()
    assert [e["type"] for e in events] == ["confirm", "reply"]
    assert all(list(e) == ["type", "text", "writes", "pending", "error"] for e in events)
    assert events[0]["pending"]["steps"][0]["changes"][1]["new"] == "50000"
    assert events[1]["writes"][0]["id"] == "977"
    assert [(t, i.text) for t, i in service.received] == [
        ("t-new", "Create a new deal for Acme Corp"),
        ("t-new", "yes"),
    ]
    assert "Using the fake portal." in piped.err.getvalue()  # the start line stays off stdout
    assert service.closed


def test_piped_lines_are_sent_as_text_even_yes_and_no() -> None:
    service = FakeService()
    piped = Piped("no", "  yes  ")

    run(service, piped.io)

    assert [i for _, i in service.received] == [Incoming(text="no"), Incoming(text="yes")]


def test_empty_lines_are_skipped_with_a_note_and_no_turn() -> None:
    service = FakeService()
    piped = Piped("", "   ", "hello")

    assert run(service, piped.io) == 0

    assert [i.text for _, i in service.received] == ["hello"]
    assert piped.err.getvalue().count("empty line skipped") == 2


def test_unknown_slash_command_is_reported_and_not_sent() -> None:
    service = FakeService()
    piped = Piped("/foo", "hello")

    run(service, piped.io)

    assert "Unknown command /foo" in piped.err.getvalue()
    assert "/help" in piped.err.getvalue()
    assert [i.text for _, i in service.received] == ["hello"]


def test_help_lists_the_commands_and_quit_stops_reading() -> None:
    service = FakeService()
    piped = Piped("/help", "/quit", "never sent")

    assert run(service, piped.io) == 0

    assert "/pending" in piped.err.getvalue() and "/quit" in piped.err.getvalue()
    assert service.received == []
    assert piped.out.getvalue() == ""


def test_pending_shows_what_waits_without_a_turn() -> None:
    service = FakeService(pending=PENDING)
    piped = Piped("/pending", "/thread")

    run(service, piped.io, ChatOptions(json=True, thread="t-42"))

    assert "Create deal: dealname = Acme Corp deal" in piped.err.getvalue()
    assert "--thread t-42" in piped.err.getvalue()
    assert service.received == []


def test_a_message_starting_with_a_slash_and_more_is_still_a_command_word_only() -> None:
    service = FakeService()
    piped = Piped("/pending now please")

    run(service, piped.io)

    assert "Nothing is waiting for you." in piped.err.getvalue()


def test_thread_option_continues_that_conversation() -> None:
    service = FakeService()

    run(service, Piped("hi").io, ChatOptions(json=True, thread="abc-123"))

    assert service.received[0][0] == "abc-123"


def test_plain_piped_output_names_each_event_and_the_written_records() -> None:
    service = FakeService(confirm_then_done)
    piped = Piped("Create a deal", "yes", json_output=False)

    run(service, piped.io, ChatOptions())

    out = piped.out.getvalue()
    assert out.startswith("confirm: Shall I make this change in HubSpot?")
    assert "Reply yes to approve" in out
    assert "reply: Done: created deal Acme Corp deal." in out
    assert "create deals 977 https://app.hubspot.com/contacts/1/record/0-3/977" in out


def test_errors_are_printed_with_their_kind() -> None:
    error = Event(
        type="error",
        text="Reconnect HubSpot.",
        error=ErrorInfo(kind="reconnect", message="Reconnect HubSpot."),
    )
    piped = Piped("hi", json_output=False)

    run(FakeService(lambda incoming: [error]), piped.io, ChatOptions())

    # The command line adds the command that fixes it (the service gave no action of its own).
    assert piped.out.getvalue() == (
        "error (reconnect): Reconnect HubSpot. Check the connection with `alysio-agent connection list`; "
        "`alysio-agent connection reconnected <id>` makes one marked uninstalled active again.\n"
    )


@pytest.fixture(autouse=True)
def ctrl_c_reaches_python() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt during each test here, however pytest was started.

    A background job (``cmd &`` in a non-interactive shell, ``nohup``) inherits SIGINT ignored;
    ``asyncio.Runner`` then installs no handler and the Ctrl-C these tests raise would never end the turn.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def interrupt_turn(incoming: Incoming) -> Any:
    async def interrupted() -> list[Event]:
        if incoming.text == "slow":
            signal.raise_signal(signal.SIGINT)  # what Ctrl-C does; the runner cancels this turn
            await asyncio.Event().wait()  # never set: only the cancellation ends this turn
        return [Event(type="reply", text=f"echo {incoming.text}")]

    return interrupted()


def test_ctrl_c_mid_turn_in_a_pipe_stops_with_a_clear_message_and_closes_the_session() -> None:
    service = FakeService(interrupt_turn)
    piped = Piped("first", "slow", "never sent")

    assert run(service, piped.io) == EXIT_INTERRUPTED

    assert [i.text for _, i in service.received] == ["first", "slow"]
    assert "Interrupted." in piped.err.getvalue() and "never written twice" in piped.err.getvalue()
    assert "Traceback" not in piped.err.getvalue() + piped.out.getvalue()
    assert service.closed


def test_an_unexpected_failure_is_a_message_and_the_session_goes_on() -> None:
    def fail_once(incoming: Incoming) -> list[Event]:
        if incoming.text == "boom":
            raise RuntimeError("database is locked")
        return [Event(type="reply", text="fine")]

    service = FakeService(fail_once)
    piped = Piped("boom", "again")

    assert run(service, piped.io) == 0

    assert "Something went wrong on our side" in piped.err.getvalue()
    assert "database is locked" not in piped.err.getvalue()
    assert [e["text"] for e in piped.events()] == ["fine"]


def test_a_session_that_cannot_open_is_one_clear_line_and_exit_1() -> None:
    @asynccontextmanager
    async def broken(settings: Settings, options: ChatOptions) -> AsyncIterator[ChatSession]:
        raise OSError("unable to open database file")
        yield  # pragma: no cover

    piped = Piped("hi")

    code = run_chat(ChatOptions(json=True), io=piped.io, session_factory=broken, log_to_file=False)

    assert code == 1
    assert "Could not start the chat: unable to open database file" in piped.err.getvalue()
    assert "Traceback" not in piped.err.getvalue()


# --- the terminal ----------------------------------------------------------------------------


class Terminal:
    def __init__(self, *typed: str) -> None:
        self.buffer = io.StringIO()
        console = Console(
            file=self.buffer, width=120, force_terminal=True, color_system=None, highlight=False
        )
        self.io = ChatIO(
            read_line=lines(*typed), renderer=RichRenderer(console), notes=console, interactive=True
        )

    @property
    def text(self) -> str:
        return self.buffer.getvalue()


def test_terminal_shows_the_confirmation_as_tables_and_approve_sends_the_button_press() -> None:
    service = FakeService(confirm_then_done)
    term = Terminal("Create a new deal for Acme Corp", "y")

    assert run(service, term.io, ChatOptions()) == 0

    assert [i for _, i in service.received] == [
        Incoming(text="Create a new deal for Acme Corp"),
        Incoming(action="approve"),
    ]
    out = term.text
    assert "Create deal" in out and "dealname" in out and "$50,000" in out
    assert "linked to" in out and "company Acme Corp" in out
    assert "Update company Acme Corp" in out and "Retail" in out and "Software" in out
    assert "2026-03-03T15:00:00Z" in out
    assert "✓ create deal 977" in out
    assert "alysio-agent chat --thread t-new" in out


def test_terminal_edit_sends_field_values_and_cancel_rejects() -> None:
    answers = iter([[CONFIRM], [CONFIRM], [Event(type="reply", text="Cancelled.")]])
    service = FakeService(lambda incoming: next(answers))
    term = Terminal("Create a deal", "e", "amount 60000", "amount=60000, closedate=2026-04-30", "n")

    run(service, term.io, ChatOptions())

    assert [i for _, i in service.received] == [
        Incoming(text="Create a deal"),
        Incoming(edit={"amount": "60000", "closedate": "2026-04-30"}),
        Incoming(action="reject"),
    ]
    assert "Write each change as field=value" in term.text


def test_terminal_other_text_at_the_approval_prompt_is_a_message() -> None:
    answers = iter([[CONFIRM], [DONE]])
    service = FakeService(lambda incoming: next(answers))

    run(service, Terminal("Create a deal", "make it 60k").io, ChatOptions())

    assert service.received[1][1] == Incoming(text="make it 60k")


def test_terminal_ctrl_c_mid_turn_keeps_the_session_and_ctrl_c_at_the_prompt_leaves() -> None:
    service = FakeService(interrupt_turn)
    term = Terminal("slow", "after", "<ctrl-c>", "never sent")

    assert run(service, term.io, ChatOptions()) == 0

    assert [i.text for _, i in service.received] == ["slow", "after"]
    assert "Interrupted." in term.text and "echo after" in term.text
    assert "Traceback" not in term.text


def test_terminal_eof_at_the_approval_prompt_leaves_the_change_pending() -> None:
    service = FakeService(confirm_then_done)

    assert run(service, Terminal("Create a deal").io, ChatOptions()) == 0

    assert len(service.received) == 1


# --- options and settings --------------------------------------------------------------------


def test_no_settings_means_the_sandbox_and_the_offline_planner_as_the_demo_user() -> None:
    settings = chat_settings(ChatOptions())

    assert (settings.hubspot_mode, settings.planner_name) == ("sandbox", "offline")
    assert (settings.user_id, settings.user_email) == ("u-alex", "alex@acme-sales.io")


def test_user_option_acts_as_that_user_with_a_local_id_in_sandbox_mode() -> None:
    settings = chat_settings(ChatOptions(user="jordan.lee@acme-sales.io"))
    user = asyncio.run(user_for_email(settings, None, "jordan.lee@acme-sales.io"))

    assert (user.user_id, user.email, user.name) == ("u-jordan-lee", "jordan.lee@acme-sales.io", "")
    # The settings keep the configured user: the connection's installer.
    assert (settings.user_id, settings.user_email) == ("u-alex", "alex@acme-sales.io")


def test_choosing_paragon_without_its_settings_names_the_missing_variables() -> None:
    with pytest.raises(SettingsError, match=r"ALYSIO_PARAGON_PROJECT_ID.*ALYSIO_PARAGON_SIGNING_KEY"):
        chat_settings(ChatOptions(hubspot="paragon"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "not-an-email"], "not an email address"),
        (["--thread", "bad id!"], "a thread id is"),
        (["--hubspot", "carrier-pigeon"], "carrier-pigeon"),
    ],
)
def test_cli_rejects_malformed_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["chat", *args])

    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount=60000", {"amount": "60000"}),
        ("amount = 60000, closedate=2026-04-30", {"amount": "60000", "closedate": "2026-04-30"}),
        ("dealname=Acme, phase two; amount=1", {"dealname": "Acme, phase two", "amount": "1"}),
        ("amount 60000", None),
        ("=5", None),
        ("amount=", None),
        ("", None),
    ],
)
def test_parse_edits(text: str, expected: dict[str, str] | None) -> None:
    assert parse_edits(text) == expected

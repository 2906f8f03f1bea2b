"""``alysio-agent chat`` in sandbox mode keeps the portal across runs, so a continued thread finds its records."""

from __future__ import annotations

from pathlib import Path

from adapters.cli.chat import ChatOptions, open_session, sandbox_state_path
from agent.runtime import SANDBOX_KEY_FILE
from agent.service import Incoming
from tools.settings import load_settings


async def test_a_record_created_in_one_chat_run_is_found_by_the_next_run_of_the_thread(
    tmp_path: Path,
) -> None:
    settings = load_settings(data_dir=tmp_path, hubspot_mode="sandbox", planner="offline")
    async with open_session(settings, ChatOptions(thread="th-keep")) as first:
        await first.service.handle(
            first.thread_id, first.ctx, Incoming(text="add contact Wendy Okonjo, wendy.okonjo@example.org")
        )
        events = await first.service.handle(first.thread_id, first.ctx, Incoming(text="yes"))
        assert [e.type for e in events][-1] == "reply" and events[-1].writes, events
    assert sandbox_state_path(settings).exists()
    key = (tmp_path / SANDBOX_KEY_FILE).read_text()  # made once for the data directory ...
    async with open_session(settings, ChatOptions(thread="th-keep")) as second:
        events = await second.service.handle(
            second.thread_id, second.ctx, Incoming(text="what's wendy.okonjo@example.org's phone?")
        )
        assert events[-1].type == "reply" and events[-1].text.startswith("Wendy Okonjo"), events
    assert (tmp_path / SANDBOX_KEY_FILE).read_text() == key  # ... and used again by the next run

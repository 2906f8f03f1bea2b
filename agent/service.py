"""The per-thread facade every channel calls: one user turn in, the turn's events out.

``handle`` serialises runs per thread, routes a message on an interrupted thread to the pending
item as its answer (``Command(resume=...)``), never as a second run beside it, and passes the
runtime context again on every run (LangGraph does not checkpoint it). A thread whose last run
died mid-way (a crash) is finished first, reconciling any write that may have been sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Protocol

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command, Durability, StreamMode

from agent.audit import AuditLog, AuditScope, audit_hook, scoped
from agent.context import AgentContext
from agent.events import ErrorInfo, Event
from agent.graph import build_graph
from agent.nodes.common import iso
from agent.nodes.deps import Deps
from agent.owners import OwnerLookup
from agent.planners.base import Planner
from agent.state import PendingRequest, Requester, ResumeValue, new_request
from tools.hubspot import HubSpotClient

log = logging.getLogger("agent.service")

MAX_MESSAGE_CHARS = 4000
_DURABILITY: Durability = "sync"  # the idempotency record is on disk before a write is sent
_STREAM_MODES: list[StreamMode] = ["custom", "updates"]


@dataclass(frozen=True)
class Incoming:
    """One user turn: a chat message, a button press on the pending confirmation, or an edit.

    Attributes:
        text: A chat message.
        action: ``approve`` / ``reject`` pressed on the pending confirmation.
        edit: The UI's edit-before-approve, ``{property: value}``.
        by_user_id: Sent by another Alysio user of the tenant (default: the context's user).
        by_email: That user's email.
    """

    text: str | None = None
    action: Literal["approve", "reject"] | None = None
    edit: dict[str, str] | None = None
    by_user_id: str | None = None
    by_email: str | None = None


class ThreadLocks(Protocol):
    """Serialises runs per thread (in-process now; Redis when there are several replicas)."""

    def lock(self, thread_id: str) -> AbstractAsyncContextManager[None]:
        """Hold the thread for one turn."""
        ...


class LocalThreadLocks:
    """An ``asyncio.Lock`` per thread id, for one process."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def lock(self, thread_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(thread_id, asyncio.Lock())
        async with lock:
            yield


def _error(kind: str, message: str, action: str | None = None) -> Event:
    text = f"{message} {action}" if action else message
    return Event(type="error", text=text, error=ErrorInfo(kind=kind, message=message, action=action))


class AgentService:
    """Runs user turns through the agent graph.

    Args:
        client: The HubSpot client.
        planner: The planner (called at most once per user turn).
        checkpointer: Where threads are kept (in memory when None).
        audit: The audit log; every HubSpot request of the client is recorded in it.
        confirmation_ttl: How long a pending confirmation stays valid.
        locks: Per-thread serialisation (in-process by default).
        owners: "me"/names/"my team" → owner ids; the identity store's ``IdentityLookup`` in a
            service built from the settings (default: the client's owners list, cached).
    """

    def __init__(
        self,
        client: HubSpotClient,
        planner: Planner,
        *,
        checkpointer: BaseCheckpointSaver[Any] | None = None,
        audit: AuditLog | None = None,
        confirmation_ttl: timedelta = timedelta(hours=24),
        locks: ThreadLocks | None = None,
        owners: OwnerLookup | None = None,
    ) -> None:
        self.client = client
        self.planner = planner
        self.audit = audit
        self.deps = Deps(client, planner, confirmation_ttl=confirmation_ttl)
        if owners is not None:
            self.deps.owners = owners
        self.graph = build_graph(checkpointer or InMemorySaver(), deps=self.deps)
        self._locks = locks or LocalThreadLocks()
        if audit is not None:
            # Every request of the client is recorded, after any hook it already has.
            client.add_request_hook(audit_hook(audit))

    @staticmethod
    def _config(thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}}

    async def pending(self, thread_id: str) -> dict[str, Any] | None:
        """What the thread waits for (the confirmation or question payload), if anything.

        The payload is a ``ConfirmationRequest`` or a ``ClarifyRequest`` (``agent.state``), returned
        as a plain dict.
        """
        snapshot = await self.graph.aget_state(self._config(thread_id))
        for task in snapshot.tasks:
            for intr in task.interrupts:
                return dict(intr.value)
        return None

    async def handle(self, thread_id: str, ctx: AgentContext, incoming: Incoming) -> list[Event]:
        """Handle one user turn on a thread and return what to say."""
        async with self._locks.lock(thread_id):
            try:
                return await self._handle(thread_id, ctx, incoming)
            except Exception:  # the thread stays resumable; the user gets a plain message, not a traceback
                log.exception("turn failed on thread %s", thread_id)
                return [
                    _error(
                        "upstream",
                        "Something went wrong on our side while handling that.",
                        "Try again; nothing is sent twice.",
                    )
                ]

    async def _handle(self, thread_id: str, ctx: AgentContext, incoming: Incoming) -> list[Event]:
        config = self._config(thread_id)
        by: Requester = {
            "user_id": incoming.by_user_id or ctx.user_id,
            "email": incoming.by_email or ("" if incoming.by_user_id else ctx.user_email),
        }
        events: list[Event] = []
        snapshot = await self.graph.aget_state(config)
        interrupted = any(task.interrupts for task in snapshot.tasks)
        if snapshot.next and not interrupted:
            # The last run died mid-way: finish it (reconciling a write that may have been sent).
            events += await self._recover(thread_id, ctx, snapshot.next)
            if incoming.text is None:
                return events  # the click was for the run just finished
            snapshot = await self.graph.aget_state(config)
            interrupted = any(task.interrupts for task in snapshot.tasks)
        text = (incoming.text or "").strip()
        if incoming.text is not None and not text and incoming.edit is None:
            return [*events, Event(type="reply", text="Say what you'd like to do in HubSpot.")]
        if len(text) > MAX_MESSAGE_CHARS:
            return [
                *events,
                _error(
                    "validation",
                    f"That message is too long ({len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}).",
                ),
            ]
        if interrupted:
            resume: ResumeValue = {"by": by, "at": iso(ctx.clock())}
            if incoming.action is not None:
                resume["action"] = incoming.action
            elif incoming.edit is not None:
                resume["edit"] = dict(incoming.edit)
            else:
                resume["text"] = text
            return events + await self._run(thread_id, ctx, Command(resume=resume))
        if incoming.action is not None or incoming.edit is not None:
            return [
                *events,
                _error("not_found", "There is nothing waiting for approval on this conversation."),
            ]
        return events + await self._run(thread_id, ctx, new_request(text, by))

    async def _recover(self, thread_id: str, ctx: AgentContext, next_nodes: tuple[str, ...]) -> list[Event]:
        config = self._config(thread_id)
        if "send_step" in next_nodes:
            # The step's idempotency key is in the checkpoint but its result is not: the request
            # may have reached HubSpot. Mark the run as recovering so send_step reconciles first.
            await self.graph.aupdate_state(config, {"recovering": True}, as_node="begin_step")
        return await self._run(thread_id, ctx, None)

    async def _run(self, thread_id: str, ctx: AgentContext, graph_input: Any) -> list[Event]:
        events: list[Event] = []
        interrupts: list[Any] = []
        with scoped(AuditScope(thread_id=thread_id)):
            async for mode, chunk in self.graph.astream(
                graph_input,
                self._config(thread_id),
                context=ctx,
                stream_mode=_STREAM_MODES,
                durability=_DURABILITY,
            ):
                if mode == "custom":
                    events.append(Event.model_validate(chunk))
                elif mode == "updates" and isinstance(chunk, dict) and "__interrupt__" in chunk:
                    interrupts.extend(chunk["__interrupt__"])
        for intr in interrupts:
            payload: PendingRequest = intr.value.copy()
            if payload["kind"] == "confirm":
                text = f"{payload['question']}\n{payload['summary']}"
                events.append(Event(type="confirm", text=text, pending=payload))
            else:
                events.append(Event(type="clarify", text=payload["question"], pending=payload))
        return events

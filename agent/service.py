"""The per-thread facade every channel calls: one user turn in, the turn's events out.

``handle`` serialises runs per thread, routes a message on an interrupted thread to the pending
item as its answer (``Command(resume=...)``), never as a second run beside it, and passes the
runtime context again on every run (LangGraph does not checkpoint it). A thread whose last run
died mid-way (a crash) is finished first; the write ledger tells what became of a write it may
have sent.

A conversation belongs to the (tenant, user, connection) that started it: checkpoints are kept
per tenant (``{tenant}/{thread}``), so another tenant's identical thread id is simply another
conversation, and within the tenant anyone else is answered as if the thread did not exist
(or, when something is pending, told that only the requester can answer it, without its values).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Protocol

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command, Durability, StateSnapshot, StreamMode

from agent.audit import AuditLog, AuditScope, audit_hook, scoped
from agent.context import AgentContext
from agent.events import ErrorInfo, Event
from agent.graph import graph, run_config
from agent.ledger import MemoryWriteLedger, WriteLedger
from agent.nodes.common import iso
from agent.nodes.deps import Deps
from agent.nodes.interpret import same_person
from agent.owners import OwnerLookup
from agent.planners.base import Planner
from agent.planners.quick import quick_answer
from agent.resolve import PipelineCache
from agent.state import PendingRequest, Requester, ResumeValue, new_request
from tools.hubspot import HubSpotClient

log = logging.getLogger("agent.service")

MAX_MESSAGE_CHARS = 4000
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
        confirmation_id: The confirmation a button press or edit was shown with.
        version: The version of it the user saw (an older one is refused and the current shown).
    """

    text: str | None = None
    action: Literal["approve", "reject"] | None = None
    edit: dict[str, str] | None = None
    by_user_id: str | None = None
    by_email: str | None = None
    confirmation_id: str | None = None
    version: int | None = None


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
        pipelines: Deal pipelines and stages (default: read once per connection); a service built
            from the settings keeps them in the identity store, where the sync put them.
        ledger: Claims of approved steps and owners of threads, shared by every process (default:
            in memory, for one process).
        max_writes: The most writes one approval may carry.
        write_lease_seconds: See :class:`agent.nodes.deps.Deps`.
        sleep: How waiting is done (tests pass a fake).
        durability: When a run's checkpoints are written (LangGraph's ``durability``) for every
            run; None (the default) chooses per run, see :func:`durability_for`.
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
        pipelines: PipelineCache | None = None,
        ledger: WriteLedger | None = None,
        max_writes: int = 5,
        write_lease_seconds: float = 15.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        durability: Durability | None = None,
    ) -> None:
        self.client = client
        self.planner = planner
        self.audit = audit
        self.durability = durability
        self.ledger = ledger or MemoryWriteLedger(client.clock)
        self.deps = Deps(
            client,
            planner,
            confirmation_ttl=confirmation_ttl,
            ledger=self.ledger,
            max_writes=max_writes,
            write_lease_seconds=write_lease_seconds,
            sleep=sleep,
            audit=audit,
        )
        if owners is not None:
            self.deps.owners = owners
        if pipelines is not None:
            self.deps.pipelines = pipelines
        # The process's compiled graph with this service's checkpointer; runs bring self.deps.
        self.graph = graph.copy(update={"checkpointer": checkpointer or InMemorySaver()})
        self._locks = locks or LocalThreadLocks()
        if audit is not None:
            # Every request of the client is recorded, after any hook it already has.
            client.add_request_hook(audit_hook(audit))

    def _config(self, ctx: AgentContext, thread_id: str) -> RunnableConfig:
        # Checkpoints are kept per tenant: another tenant's same thread id is another conversation.
        return run_config(f"{ctx.tenant_id}/{thread_id}", self.deps)

    async def _owned(self, thread_id: str, ctx: AgentContext, sender: Requester) -> bool | None:
        """Whether ``sender`` owns the thread (None: the thread does not exist yet)."""
        owner = await self.ledger.thread_owner(ctx.tenant_id, thread_id)
        if owner is None:
            return None
        return owner.credential_id == ctx.credential_id and same_person(
            sender, {"user_id": owner.user_id, "email": owner.email}
        )

    async def pending(self, thread_id: str, ctx: AgentContext) -> dict[str, Any] | None:
        """What the thread waits for (the confirmation or question payload), if anything.

        Only the thread's owner sees it; for anyone else the thread has nothing pending. The
        payload is a ``ConfirmationRequest`` or a ``ClarifyRequest`` (``agent.state``), returned
        as a plain dict.
        """
        if not await self._owned(thread_id, ctx, _sender(ctx, Incoming())):
            return None
        return await self._pending(ctx, thread_id)

    async def _pending(self, ctx: AgentContext, thread_id: str) -> dict[str, Any] | None:
        snapshot = await self.graph.aget_state(self._config(ctx, thread_id))
        for task in snapshot.tasks:
            for intr in task.interrupts:
                return dict(intr.value)
        return None

    async def handle(self, thread_id: str, ctx: AgentContext, incoming: Incoming) -> list[Event]:
        """Handle one user turn on a thread and return what to say."""
        async with self._locks.lock(f"{ctx.tenant_id}/{thread_id}"):
            try:
                sender = _sender(ctx, incoming)
                owned = await self._owned(thread_id, ctx, sender)
                if owned is False:
                    return await self._not_theirs(thread_id, ctx)
                if owned is None:
                    if incoming.text is None:
                        return [
                            _error("not_found", "There is nothing waiting for approval on this conversation.")
                        ]
                    await self.ledger.bind_thread(
                        ctx.tenant_id,
                        thread_id,
                        user_id=sender["user_id"],
                        email=sender["email"],
                        credential_id=ctx.credential_id,
                    )
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

    async def _not_theirs(self, thread_id: str, ctx: AgentContext) -> list[Event]:
        """Someone other than the owner: a pending item is not theirs to answer; else no such thread."""
        owner = await self.ledger.thread_owner(ctx.tenant_id, thread_id)
        if (
            owner is not None
            and owner.credential_id == ctx.credential_id
            and await self._pending(ctx, thread_id)
        ):
            return [
                _error(
                    "not_requester",
                    "Only the person who asked can answer this; it is still waiting for them.",
                )
            ]
        return [_error("not_found", f"There is no conversation {thread_id}.")]

    async def _handle(self, thread_id: str, ctx: AgentContext, incoming: Incoming) -> list[Event]:
        config = self._config(ctx, thread_id)
        by = _sender(ctx, incoming)
        events: list[Event] = []
        snapshot = await self.graph.aget_state(config)
        pending = _pending_kind(snapshot)
        if snapshot.next and pending is None:
            # The last run died mid-way: finish it (the ledger knows what became of its write).
            events += await self._run(thread_id, ctx, None, may_send=True)
            if incoming.text is None or quick_answer(incoming.text, "confirm") is not None:
                return events  # the click, or the "yes" said again, was for the run just finished
            pending = _pending_kind(await self.graph.aget_state(config))
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
        if pending is not None:
            resume: ResumeValue = {"by": by, "at": iso(ctx.clock())}
            if incoming.confirmation_id is not None:
                resume["confirmation"] = {"id": incoming.confirmation_id, "version": incoming.version or 0}
            if incoming.action is not None:
                resume["action"] = incoming.action
            elif incoming.edit is not None:
                resume["edit"] = dict(incoming.edit)
            else:
                resume["text"] = text
            # Only an answer to a confirmation can approve, and so send, a write.
            command: Command[Any] = Command(resume=resume)
            return events + await self._run(thread_id, ctx, command, may_send=pending == "confirm")
        if incoming.action is not None or incoming.edit is not None:
            return [
                *events,
                _error("not_found", "There is nothing waiting for approval on this conversation."),
            ]
        return events + await self._run(thread_id, ctx, new_request(text, by), may_send=False)

    async def _run(
        self, thread_id: str, ctx: AgentContext, graph_input: Any, *, may_send: bool
    ) -> list[Event]:
        events: list[Event] = []
        interrupts: list[Any] = []
        with scoped(AuditScope(thread_id=thread_id)):
            async for mode, chunk in self.graph.astream(
                graph_input,
                self._config(ctx, thread_id),
                context=ctx,
                stream_mode=_STREAM_MODES,
                durability=self.durability or durability_for(may_send=may_send),
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


def durability_for(*, may_send: bool) -> Durability:
    """When a run's checkpoints are written: after every step only where a write may be sent.

    A run that may send a write (the answer to a confirmation, or finishing a run that stopped
    mid-way) saves each step before the next one starts (``sync``): the step's record is on disk
    before the write ledger claims it and HubSpot is called, so a process that dies mid-write
    leaves a run the next message finishes and reports. Any other run sends nothing HubSpot keeps,
    so it saves once, when it ends or stops at a question or confirmation (``exit``: one batched
    commit instead of one per step); LangGraph writes that checkpoint before the run returns, so a
    pending confirmation is on disk by the time it is shown. A process dying in such a run leaves
    the thread as it was before the message.
    """
    return "sync" if may_send else "exit"


def _pending_kind(snapshot: StateSnapshot) -> str | None:
    """What an interrupted thread waits for (``confirm`` / ``clarify``), None when it waits for nothing."""
    for task in snapshot.tasks:
        for intr in task.interrupts:
            return str(intr.value.get("kind", "clarify"))
    return None


def _sender(ctx: AgentContext, incoming: Incoming) -> Requester:
    """Who sent a turn: the context's user, or another user of the tenant named by the turn."""
    return {
        "user_id": incoming.by_user_id or ctx.user_id,
        "email": incoming.by_email or ("" if incoming.by_user_id else ctx.user_email),
    }

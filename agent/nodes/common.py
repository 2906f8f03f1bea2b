"""Helpers shared by the nodes: the connection of a turn, typed errors as outcomes, events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.events import ErrorInfo, Event
from agent.plan import Plan, Question
from agent.planners.base import Candidate, PendingKind, PlanningInput, RecentRecord
from agent.state import AgentState, ErrorOutcome, Outcome, Record, ReplyOutcome, WriteRecord
from tools.hubspot import Connection, HubSpotError, MissingScopes, ObjectType

ERROR_KINDS_AS_IS = frozenset(
    {"reconnect", "missing_scope", "not_allowed", "rate_limited", "upstream", "not_found", "expired",
     "not_requester", "validation", "conflict"}
)  # fmt: skip


def conn_of(ctx: AgentContext) -> Connection:
    """The HubSpot connection a turn acts through."""
    return Connection(tenant_id=ctx.tenant_id, user_id=ctx.user_id, credential_id=ctx.credential_id)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` (how times are kept in state)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    """The aware datetime of an :func:`iso` string."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def error_outcome(
    kind: str, message: str, *, action: str | None = None, scopes: list[str] | None = None
) -> ErrorOutcome:
    """An outcome that ``respond`` turns into an ``error`` event."""
    return {"type": "error", "kind": kind, "message": message, "action": action, "scopes": scopes or []}


def outcome_from_error(exc: HubSpotError) -> ErrorOutcome:
    """A typed HubSpot error as an outcome, with the user's next step."""
    kind = (
        exc.kind
        if exc.kind in ERROR_KINDS_AS_IS
        else {"invalid_search": "validation"}.get(exc.kind, "upstream")
    )
    if exc.kind == "forbidden":
        kind = "not_allowed"
    scopes = list(exc.required) if isinstance(exc, MissingScopes) else []
    return error_outcome(kind, exc.message, action=exc.user_action, scopes=scopes)


def reply_outcome(text: str, writes: list[WriteRecord] | None = None) -> ReplyOutcome:
    """An outcome that ``respond`` turns into a ``reply`` event."""
    return {"type": "reply", "text": text, "writes": writes or []}


def event_of(outcome: Outcome, notes: list[str] | None = None) -> Event:
    """The event for an outcome, with notes (e.g. "I dropped the pending confirmation") first."""
    prefix = " ".join(notes or [])
    if outcome["type"] == "error":
        text = outcome["message"]
        if outcome.get("action"):
            text = f"{text} {outcome['action']}"
        info = ErrorInfo(
            kind=outcome["kind"],
            message=outcome["message"],
            action=outcome.get("action"),
            scopes=outcome["scopes"],
        )
        return Event(type="error", text=f"{prefix} {text}".strip(), error=info)
    return Event(type="reply", text=f"{prefix} {outcome['text']}".strip(), writes=outcome.get("writes", []))


def emit(runtime: Runtime[AgentContext], event: Event) -> None:
    """Send an event to whoever streams the run (the service collects them per turn)."""
    runtime.stream_writer(event.model_dump(mode="json"))


def plan_of(state: AgentState) -> Plan:
    """The request's plan (validated from its JSON form)."""
    raw = state.get("plan")
    if raw is None:
        raise ValueError("no plan in state")
    return Plan.model_validate(raw)


def planning_input(state: AgentState, ctx: AgentContext, pending: PendingKind = "none") -> PlanningInput:
    """What the planner is told besides the message."""
    summary = ""
    candidates: list[Candidate] = []
    clarify, proposal = state.get("clarify"), state.get("proposal")
    if pending == "clarify" and clarify:
        summary = clarify.get("question", "")
        candidates = [Candidate.model_validate(c) for c in clarify.get("candidates", [])]
    elif pending == "confirm" and proposal:
        summary = proposal.get("summary", "")
    recent = [RecentRecord.model_validate(r) for r in state.get("recent", [])]
    last = state.get("last_question")
    return PlanningInput(
        previous_question=Question.model_validate(last) if last else None,
        now=ctx.local_now(),
        timezone=ctx.timezone,
        user_name=ctx.user_name,
        pending=pending,
        pending_summary=summary,
        candidates=candidates,
        recent=recent,
    )


def as_record(
    object_type: ObjectType, record_id: str, label: str, properties: Mapping[str, str | None] | None = None
) -> Record:
    """A resolved record as kept in state."""
    return {"object_type": object_type, "id": record_id, "label": label, "properties": dict(properties or {})}

"""``answer_question`` (reads) and ``respond`` (the turn's reply or typed error)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.nodes.common import (
    conn_of,
    emit,
    error_outcome,
    event_of,
    outcome_from_error,
    plan_of,
    reply_outcome,
)
from agent.nodes.deps import Deps
from agent.owners import OwnerNotFound
from agent.planners.base import Summarizer
from agent.reads import QuestionError, Reader
from agent.state import AgentState, RecordRef, remember
from tools.hubspot import HubSpotError


async def answer_question(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Answer the plan's question from HubSpot reads (paged searches, figures computed from them).

    When the user asked for a written summary and the planner can write one (the model planner),
    the reply is its summary of the facts read; otherwise the facts themselves.
    """
    plan = plan_of(state)
    assert plan.question is not None  # guard refuses a question plan without one
    entry = state.get("mentions", {}).get("q.about")
    about = entry.get("record") if entry else None
    reader = Reader(deps.client, conn_of(runtime.context), runtime.context, deps.owners, deps.pipelines)
    try:
        text, records = await reader.answer(plan.question, about)
    except HubSpotError as exc:
        return {"outcome": outcome_from_error(exc)}
    except (QuestionError, OwnerNotFound) as exc:
        return {"outcome": error_outcome("validation", str(exc))}
    if plan.wants_summary and isinstance(deps.planner, Summarizer):
        # The one extra model call a turn may cost: a written summary of the figures just read.
        text = await deps.planner.summarize(state.get("message", ""), text)
    outcome = reply_outcome(text)
    outcome["records"] = records
    return {"outcome": outcome}


def _touched(state: AgentState) -> list[RecordRef]:
    """Records this request touched, most relevant first (written, then answered about, then named)."""
    outcome = state.get("outcome")
    found: list[RecordRef] = []
    if outcome is not None and outcome["type"] == "reply":
        for w in reversed(outcome.get("writes", [])):
            found.append({"object_type": w["object_type"], "id": w["id"], "label": w.get("label") or w["id"]})
        found.extend(outcome.get("records", [])[:5])
    for entry in state.get("mentions", {}).values():
        rec = entry.get("record")
        if entry.get("status") == "resolved" and rec:
            found.append({"object_type": rec["object_type"], "id": rec["id"], "label": rec["label"]})
    return found


async def respond(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Say the outcome (reply or typed error with the user's next step) and remember the records."""
    outcome = state.get("outcome") or reply_outcome("Done.")
    emit(runtime, event_of(outcome, state.get("notes", [])))
    return {
        "recent": remember(list(state.get("recent", [])), _touched(state)),
        "proposal": None,
        "clarify": None,
        "notes": [],
    }

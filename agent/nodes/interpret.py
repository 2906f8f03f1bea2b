"""``interpret``: what the answer to a pending confirmation or question means, and where it goes.

The reply arrives as the interrupt's resume value: ``{"text" | "action" | "edit", "by", ...}``.
Button presses need no reading; text goes through :func:`quick_answer` first (a yes/no never
costs a model call) and to the planner only when it says more. A reply from someone other than
the requester, or after the confirmation expired, never reaches ``execute``.
"""

from __future__ import annotations

import re

from langgraph.runtime import Runtime

from agent import resolve as ranking
from agent.context import AgentContext
from agent.nodes.common import emit, error_outcome, event_of, parse_iso, planning_input, reply_outcome
from agent.nodes.deps import Deps
from agent.plan import Answer, Plan, Value, ValueKind
from agent.planners.base import PendingKind
from agent.planners.quick import quick_answer  # the shared deterministic yes/no reading
from agent.state import JSON, AgentState, ConfirmationRequest, Next, Requester, new_request

_CREATE_WORDS = frozenset({"yes", "yeah", "yep", "sure", "ok", "okay", "create", "add", "new", "make", "go"})
"""Words that accept the offer to create a record that was not found."""

_KIND_OF_EDIT: dict[str, ValueKind] = {
    "dealstage": "stage",
    "hubspot_owner_id": "owner",
    "pipeline": "pipeline",
}


def pending_kind(state: AgentState) -> PendingKind:
    """What the thread is waiting for."""
    if state.get("clarify"):
        return "clarify"
    if state.get("proposal"):
        return "confirm"
    return "none"


def _edit_values(edit: dict[str, str]) -> list[JSON]:
    values = []
    for prop, value in edit.items():
        kind: ValueKind = _KIND_OF_EDIT.get(prop, "literal")
        if kind == "owner" and value.strip().isdigit():
            kind = "literal"
        values.append(Value(property=prop, value=value, kind=kind).model_dump(mode="json"))
    return values


async def _read(
    state: AgentState, runtime: Runtime[AgentContext], deps: Deps, pending: PendingKind
) -> Answer | Plan:
    reply = state.get("reply") or {}
    if reply.get("action") in ("approve", "reject"):
        return Answer(decision=reply["action"])
    if reply.get("edit"):
        return Answer(decision="edit", edits=[Value.model_validate(v) for v in _edit_values(reply["edit"])])
    text = str(reply.get("text") or "")
    quick = quick_answer(text, pending)
    if quick is not None:
        return quick
    plan = await deps.planner.plan(text, planning_input(state, runtime.context, pending))
    if plan.intent == "answer" and plan.answer is not None:
        return plan.answer
    return plan


async def interpret(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Read the reply and record what it decides (``route_after_interpret`` follows it)."""
    pending = pending_kind(state)
    back: Next = "confirm" if pending == "confirm" else "clarify"  # to ask again
    reply = state.get("reply") or {}
    by = reply.get("by")
    by_user = by.get("user_id") if by else None
    requester: Requester = (state.get("requester") or {"user_id": "", "email": ""}).copy()
    if by is not None and not same_person(by, requester):
        # Nothing of what is pending is shown to them (the service withholds the payload too).
        emit(
            runtime,
            event_of(
                error_outcome(
                    "not_requester",
                    "Only the person who asked can answer this; it is still waiting for them.",
                )
            ),
        )
        return {"reply": {"next": back}}
    proposal = state.get("proposal")
    shown = reply.get("confirmation")
    if (
        pending == "confirm"
        and proposal is not None
        and shown is not None
        and (shown.get("id") != proposal["id"] or shown.get("version") != proposal["version"])
    ):
        # A button of a version that was edited since: never approve what the user did not see.
        emit(
            runtime,
            event_of(
                error_outcome(
                    "conflict",
                    "That was for an earlier version of this change, so nothing was written. "
                    "Here is the current one:",
                )
            ),
        )
        return {"reply": {"next": "confirm"}}
    if (
        pending == "confirm"
        and proposal is not None
        and runtime.context.clock() > parse_iso(proposal["expires_at"])
    ):
        return {
            "reply": {"next": "respond"},
            "proposal": None,
            "outcome": error_outcome(
                "expired",
                "That confirmation has expired, so nothing was written. Ask again if you still want it.",
            ),
        }
    read = await _read(state, runtime, deps, pending)
    if isinstance(read, Plan):
        # A new request: drop what was pending, explicitly, and handle the new one in this run.
        dropped = "confirmation" if pending == "confirm" else "question"
        fresh = new_request(str(reply.get("text") or ""), requester, read.model_dump(mode="json"))
        if by and by_user:
            fresh["requester"] = {"user_id": by_user, "email": by.get("email") or requester["email"]}
        fresh["notes"] = [f"(I dropped the pending {dropped}.)"]
        return {**fresh, "reply": {"next": "understand"}}
    if pending == "confirm":
        return _on_confirm(state, runtime, read)
    return _on_clarify(state, runtime, read)


def _on_confirm(state: AgentState, runtime: Runtime[AgentContext], answer: Answer) -> AgentState:
    proposal = state.get("proposal")
    assert proposal is not None  # interpret reads a confirm reply only while a proposal is pending
    if answer.decision == "approve":
        by = (state.get("reply") or {}).get("by") or state.get("requester")
        approved: ConfirmationRequest = {
            **proposal,
            "approved_by": {"user_id": by["user_id"], "email": by["email"]} if by else None,
        }
        return {"proposal": approved, "reply": {"next": "begin_step"}}
    if answer.decision in ("reject", "cancel"):
        return {
            "proposal": None,
            "reply": {"next": "respond"},
            "outcome": reply_outcome("OK, cancelled. Nothing was written to HubSpot."),
        }
    if answer.decision == "edit" and answer.edits:
        edits = [*state.get("edits", []), *(e.model_dump(mode="json") for e in answer.edits)]
        return {"edits": edits, "reply": {"next": "propose"}}
    emit(runtime, event_of(reply_outcome("Reply yes to go ahead, no to cancel, or tell me what to change.")))
    return {"reply": {"next": "confirm"}}


def _on_clarify(state: AgentState, runtime: Runtime[AgentContext], answer: Answer) -> AgentState:
    question = state.get("clarify")
    assert question is not None  # interpret reads a clarify reply only while a question is pending
    key = question["key"]
    mentions = dict(state.get("mentions", {}))
    entry = mentions[key].copy()  # resolve stored the entry with the question it asked
    if answer.decision in ("cancel", "reject"):
        return {
            "clarify": None,
            "reply": {"next": "respond"},
            "outcome": reply_outcome("OK, cancelled. Nothing was written to HubSpot."),
        }
    choice = (answer.choice or "").strip()
    words = set(re.findall(r"[a-z]+", choice.lower()))
    wants_create = answer.decision == "approve" or (
        answer.decision == "choose" and bool(words & _CREATE_WORDS)
    )
    if question.get("can_create") and wants_create:
        entry["status"] = "create"
        mentions[key] = entry
        return {"mentions": mentions, "clarify": None, "reply": {"next": "resolve"}}
    picked = ranking.match_choice(choice, question.get("candidates", [])) if choice else None
    if picked is not None:
        entry["status"] = "resolved"
        entry["record"] = {
            "object_type": picked["object_type"],
            "id": picked["id"],
            "label": picked["label"],
            "properties": dict(entry.get("found", {}).get(picked["id"], {})),
        }
        mentions[key] = entry
        return {"mentions": mentions, "clarify": None, "reply": {"next": "resolve"}}
    if choice and not question.get("candidates") and answer.decision == "choose":
        # Nothing to pick from ("which deal do you mean?"): the reply names the record; search for it.
        entry["mention"] = {**entry["mention"], "text": choice, "refers_back": False}
        entry["status"] = "retry"
        mentions[key] = entry
        return {"mentions": mentions, "clarify": None, "reply": {"next": "resolve"}}
    emit(
        runtime,
        event_of(
            reply_outcome(
                "Sorry, I couldn't tell which one you mean. Pick a number from the list, or say cancel."
            )
        ),
    )
    return {"reply": {"next": "clarify"}}


def same_person(by: Requester, requester: Requester) -> bool:
    """Whether a reply comes from the requester: the same user id, and the same email when both are known."""
    if by.get("user_id") != requester.get("user_id"):
        return False
    mine, theirs = (by.get("email") or "").strip().lower(), (requester.get("email") or "").strip().lower()
    return not (mine and theirs) or mine == theirs


async def route_after_interpret(state: AgentState) -> Next:
    reply = state.get("reply")
    return reply.get("next", "respond") if reply else "respond"

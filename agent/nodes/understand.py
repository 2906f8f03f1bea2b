"""``understand`` (message → plan), ``guard`` (refusals) and ``authorize`` (scopes, nothing sent)."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.nodes.common import error_outcome, plan_of, planning_input, reply_outcome
from agent.nodes.deps import Deps
from agent.plan import Plan
from agent.state import AgentState, ErrorOutcome, Outcome
from tools.hubspot import MissingScopes, NotAllowed, ObjectType
from tools.hubspot import scopes as scope_table
from tools.hubspot.scopes import Operation
from tools.hubspot.types import ASSOCIATION_TYPE_IDS, singular

REFUSALS: dict[str, str] = {
    "delete": "I can't delete anything: this integration never deletes CRM data.",
    "archive": "I can't archive or remove records: this integration never deletes CRM data.",
    "bulk": "I can't change records in bulk: each change is made one record at a time, with your approval.",
    "outside_integration": "That is outside what this integration does: it reads and updates CRM records, "
    "logs activities and links records, nothing else.",
}


async def understand(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Plan the request (one planner call), unless the plan is already known."""
    if state.get("plan") is not None:
        plan = plan_of(state)  # planned already, as the answer to what was pending
    else:
        plan = await deps.planner.plan(state.get("message", ""), planning_input(state, runtime.context))
    update: AgentState = {"plan": plan.model_dump(mode="json")}
    if plan.intent == "question" and plan.question is not None:
        # Kept across requests: "and what's the total on those?" reuses this question's filters.
        update["last_question"] = plan.question.model_dump(mode="json")
    return update


def too_many_writes(count: int, most: int) -> ErrorOutcome | None:
    """The refusal of an approval that would carry more than ``most`` writes (bulk is structural)."""
    if count <= most:
        return None
    return error_outcome(
        "not_allowed",
        f"That would make {count} changes at once; I make at most {most} per approval, so nothing was "
        "written. Ask for them one record at a time (or a few at a time).",
    )


def _refusal(plan: Plan) -> Outcome | None:
    if plan.intent == "unsupported":
        if plan.refusal is not None:
            return error_outcome("not_allowed", REFUSALS[plan.refusal])
        words = "; ".join(plan.not_understood) or "your message"
        return reply_outcome(
            f"I didn't understand {words!s}. I can look things up in HubSpot, create or update contacts, "
            "companies and deals, log notes, calls, meetings, emails and tasks, link records and merge "
            "duplicate companies."
        )
    if plan.intent == "answer":
        return reply_outcome("There's nothing waiting for an answer right now. What would you like to do?")
    if plan.intent == "question" and plan.question is None:
        return reply_outcome("I didn't catch the question. What would you like to know?")
    if plan.intent not in ("question",) and not plan.writes:
        return reply_outcome("I didn't catch what to change. What would you like to do?")
    for write in plan.writes:
        if write.op == "merge" and (write.object_type != "companies" or write.merge_from is None):
            return error_outcome(
                "not_allowed", "I can only merge two companies (the one to keep and the duplicate)."
            )
        if write.op in ("update", "associate", "merge") and write.target is None:
            return reply_outcome(f"Which {singular(write.object_type)} should I change?")
        if write.op == "associate":
            for other in write.associate_with:
                if (write.object_type, other.object_type) not in ASSOCIATION_TYPE_IDS:
                    return error_outcome(
                        "not_allowed",
                        f"HubSpot can't link {write.object_type} to {other.object_type} directly.",
                    )
    return None


async def guard(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Refuse what the integration never does (delete, archive, bulk, outside its endpoints)."""
    plan = plan_of(state)
    outcome = _refusal(plan) or too_many_writes(len(plan.writes), deps.max_writes)
    notes = list(state.get("notes", []))
    if outcome is None and plan.not_understood:
        notes.append(f"(I left out what I didn't understand: {'; '.join(plan.not_understood)}.)")
    return {"outcome": outcome, "notes": notes}


async def route_after_guard(state: AgentState) -> Literal["authorize", "respond"]:
    return "respond" if state.get("outcome") else "authorize"


Need = tuple[Operation, ObjectType | None]


def needs(plan: Plan) -> list[Need]:
    """The client operations the plan may perform, for the scope check before any request."""
    found: list[Need] = []
    mentions = []
    uses_stages = uses_owners = False
    for w in plan.writes:
        op: Operation = {
            "create": "create",
            "update": "update",
            "associate": "associate_default",
            "merge": "merge",
        }[w.op]  # type: ignore[assignment]
        found.append((op, w.object_type))
        if w.op == "associate":
            found.extend(("associate_default", m.object_type) for m in w.associate_with)
        mentions.extend([m for m in (w.target, w.merge_from) if m is not None] + list(w.associate_with))
        uses_stages |= any(v.kind in ("stage", "pipeline") for v in w.values)
        uses_owners |= any(v.kind == "owner" for v in w.values)
    q = plan.question
    if q is not None:
        if q.about is not None:
            mentions.append(q.about)
        simple: dict[str, Need] = {
            "owners": ("list_owners", None),
            "users": ("list_users", None),
            "teams": ("list_teams", None),
            "pipelines": ("list_pipelines", "deals"),
            "account": ("account_details", None),
        }
        if q.kind in simple:
            found.append(simple[q.kind])
        elif q.kind == "properties":
            found.append(("list_properties", q.object_type or "deals"))
        elif q.kind != "lookup":
            found.append(("search", q.object_type or "deals"))
        uses_stages |= q.deal_status is not None or q.kind in ("pipeline_by_stage", "win_rate")
        uses_stages |= any(c.kind in ("stage", "pipeline") for c in q.conditions)
        uses_owners |= any(c.kind == "owner" for c in q.conditions)
    # A record named in words is searched for; one from an earlier turn is read (same read scope).
    found.extend(("get_object" if m.refers_back else "search", m.object_type) for m in mentions)
    if uses_stages:
        found.append(("list_pipelines", "deals"))
    if uses_owners:
        found.append(("list_owners", None))
    return list(dict.fromkeys(found))


async def authorize(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Check every operation the plan needs against the granted scopes; send nothing when one is missing."""
    granted = runtime.context.granted_scopes
    missing: set[str] = set()
    for operation, object_type in needs(plan_of(state)):
        try:
            scope_table.check(operation, object_type, granted)
        except MissingScopes as exc:
            missing.update(exc.required)
        except NotAllowed as exc:
            return {"outcome": error_outcome("not_allowed", exc.message)}
    if missing:
        scopes = sorted(missing)
        return {
            "outcome": error_outcome(
                "missing_scope",
                f"Your HubSpot connection is missing the scope{'s' if len(scopes) > 1 else ''} "
                f"{', '.join(scopes)} needed for this; nothing was sent to HubSpot.",
                action=MissingScopes.default_action,
                scopes=scopes,
            )
        }
    return {}


async def route_after_authorize(state: AgentState) -> Literal["resolve", "respond"]:
    return "respond" if state.get("outcome") else "resolve"

"""``begin_step`` / ``send_step``: each approved write exactly once.

``begin_step`` records the step's idempotency key (``{proposal id}:{index}``) and its start time
in the checkpoint; the graph runs with durability ``sync``, so that record is on disk before
``send_step`` sends anything. ``send_step`` stores the returned id. When a run died between the
two (the request may or may not have reached HubSpot), the service resumes it with
``recovering`` set, and ``send_step`` first looks in HubSpot for what the lost attempt did:
a create is searched for by its sent properties created since the attempt began; PATCH and the
association PUT are idempotent; a merge is checked by reading both companies.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any, Literal

from langgraph.runtime import Runtime

from agent.audit import AuditScope, audit_scope, scoped
from agent.context import AgentContext
from agent.nodes.common import conn_of, iso, outcome_from_error, parse_iso, reply_outcome
from agent.nodes.deps import Deps
from agent.state import (
    AgentState,
    ConfirmationRequest,
    ExecutionRecord,
    ProposedStep,
    Ref,
    ReplyOutcome,
    Step,
    StepResult,
    Target,
    WriteRecord,
)
from tools.hubspot import Connection, HubSpotError, NotFound, ObjectType, record_url
from tools.hubspot.models import AssociationInput, CrmObject, Filter, FilterGroup, SearchRequest
from tools.hubspot.types import ACTIVITY_TYPES, singular

_MATCH_MAX = 5
_SKEW = timedelta(seconds=60)
_IDENTITY_FIRST = ("email", "domain", "name", "dealname", "firstname", "lastname", "hs_task_subject")


def step_key(proposal: ConfirmationRequest, index: int) -> str:
    """The idempotency key of an approved step."""
    return f"{proposal['id']}:{index}"


def _next_index(state: AgentState) -> int | None:
    proposal = state.get("proposal")
    if proposal is None:
        return None
    execution = state.get("execution", {})
    for i in range(len(proposal["steps"])):
        record = execution.get(step_key(proposal, i))
        if record is None or record["status"] != "done":
            return i
    return None


async def begin_step(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Record the next step's idempotency key before anything is sent (or finish when all are done)."""
    index = _next_index(state)
    proposal = state.get("proposal")
    if index is None or proposal is None:
        return {"outcome": _done_outcome(state), "proposal": None}
    key = step_key(proposal, index)
    execution = dict(state.get("execution", {}))
    if key not in execution:
        execution[key] = {"status": "sending", "index": index, "started_at": iso(runtime.context.clock())}
    return {"execution": execution}


async def route_after_begin(state: AgentState) -> Literal["send_step", "respond"]:
    return "respond" if state.get("outcome") else "send_step"


def _url(ctx: AgentContext, object_type: ObjectType, record_id: str) -> str | None:
    return record_url(ctx.ui_domain, ctx.portal_id, object_type, record_id) if ctx.portal_id else None


def _ref_id(ref: Ref, proposal: ConfirmationRequest, execution: dict[str, ExecutionRecord]) -> str:
    if "step" in ref:
        return str(execution[step_key(proposal, ref["step"])]["result"]["id"])
    return str(ref["id"])


def _target(step: Step) -> Target:
    """The record an update, link or merge acts on (only a create has none)."""
    target = step["target"]
    if target is None:
        raise ValueError(f"a {step['op']} step without a target")
    return target


def _merge_ids(step: Step) -> tuple[str, str]:
    """(the company kept, the duplicate merged into it)."""
    merge_from = step["merge_from"]
    if merge_from is None:
        raise ValueError("a merge step without the duplicate")
    return _target(step)["id"], merge_from["id"]


def _created_property(object_type: ObjectType) -> str:
    return "hs_createdate" if object_type in ACTIVITY_TYPES else "createdate"


async def _find_created(
    deps: Deps, conn: Connection, object_type: ObjectType, properties: dict[str, str], started_at: str
) -> CrmObject | None:
    """The record a lost create attempt made, if HubSpot has it."""
    usable = [
        (k, v)
        for k, v in properties.items()
        if v and len(v) <= 256 and k != "hs_timestamp" and not k.endswith(("date", "_time")) and "\n" not in v
    ]
    usable.sort(
        key=lambda kv: _IDENTITY_FIRST.index(kv[0]) if kv[0] in _IDENTITY_FIRST else len(_IDENTITY_FIRST)
    )
    since = int((parse_iso(started_at) - _SKEW).timestamp() * 1000)
    filters = [Filter(property_name=k, operator="EQ", value=v) for k, v in usable[:_MATCH_MAX]]
    filters.append(Filter(property_name=_created_property(object_type), operator="GTE", value=str(since)))
    page = await deps.client.search(
        conn, object_type, SearchRequest(filter_groups=[FilterGroup(filters=filters)], limit=1)
    )
    return page.results[0] if page.results else None


async def _reconcile(deps: Deps, conn: Connection, step: Step, started_at: str) -> CrmObject | None:
    """What a lost attempt of ``step`` already did in HubSpot (None: send it)."""
    if step["op"] == "create":
        return await _find_created(deps, conn, step["object_type"], step["properties"], started_at)
    if step["op"] == "merge":
        kept, duplicate = _merge_ids(step)
        try:
            first = await deps.client.get_object(conn, "companies", kept)
            second = await deps.client.get_object(conn, "companies", duplicate)
        except NotFound:
            return None
        return first if first.id == second.id else None
    return None  # PATCH and the association PUT are idempotent: sending again is safe


async def _send(
    deps: Deps,
    conn: Connection,
    step: Step,
    proposal: ConfirmationRequest,
    execution: dict[str, ExecutionRecord],
) -> StepResult:
    object_type = step["object_type"]
    op = step["op"]
    if op == "create":
        associations = [
            AssociationInput.default(object_type, ref["object_type"], _ref_id(ref, proposal, execution))
            for ref in step["associations"]
        ]
        record = await deps.client.create(conn, object_type, step["properties"], associations)
        return {"id": record.id}
    if op == "update":
        record = await deps.client.update(conn, object_type, _target(step)["id"], step["properties"])
        return {"id": record.id}
    if op == "associate":
        ref = step["associations"][0]
        from_id = _ref_id(_target(step), proposal, execution)
        await deps.client.associate_default(
            conn, object_type, from_id, ref["object_type"], _ref_id(ref, proposal, execution)
        )
        return {"id": from_id}
    record = await deps.client.merge_companies(conn, *_merge_ids(step))
    return {"id": record.id}


def _diff(step: Step) -> dict[str, Any]:
    if step["op"] in ("create", "update"):
        return {p: {"old": step["old"].get(p), "new": v} for p, v in step["properties"].items()}
    if step["op"] == "associate":
        ref = step["associations"][0]
        return {"association": {"to": ref["object_type"], "id": ref.get("id"), "step": ref.get("step")}}
    kept, duplicate = _merge_ids(step)
    return {"merge": {"primary": kept, "merged": duplicate}}


async def send_step(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Send the step ``begin_step`` recorded (after reconciling, when resuming a lost attempt)."""
    ctx = runtime.context
    conn = conn_of(ctx)
    proposal = state.get("proposal")
    index = _next_index(state)
    assert proposal is not None and index is not None  # begin_step routed here only with a step to do
    key = step_key(proposal, index)
    step: ProposedStep = proposal["steps"][index]
    execution = dict(state.get("execution", {}))
    record = execution[key].copy()
    outer = audit_scope.get() or AuditScope()
    scope = replace(outer, approved_by=proposal.get("approved_by"), diff=_diff(step), step=key)
    try:
        with scoped(scope):
            result: StepResult | None = None
            if state.get("recovering"):
                found = await _reconcile(deps, conn, step, record["started_at"])
                if found is not None:
                    result = {"id": found.id, "reconciled": True}
            if result is None:
                result = await _send(deps, conn, step, proposal, execution)
    except HubSpotError as exc:
        execution[key] = {**record, "status": "failed", "error": exc.kind}
        outcome = outcome_from_error(exc)
        done = _writes(state, execution)
        if done:
            outcome["message"] = f"{outcome['message']} (Done before the failure: {_links_text(done)}.)"
        return {"execution": execution, "outcome": outcome, "recovering": False, "proposal": None}
    result["url"] = _url(ctx, step["object_type"], result["id"])
    execution[key] = {**record, "status": "done", "result": result}
    return {"execution": execution, "recovering": False}


async def route_after_send(state: AgentState) -> Literal["begin_step", "respond"]:
    return "respond" if state.get("outcome") else "begin_step"


def _writes(state: AgentState, execution: dict[str, ExecutionRecord]) -> list[WriteRecord]:
    proposal = state.get("proposal")
    if proposal is None:
        return []
    done: list[WriteRecord] = []
    for i, step in enumerate(proposal["steps"]):
        rec = execution.get(step_key(proposal, i))
        if rec is not None and rec["status"] == "done":
            done.append(
                {
                    "op": step["op"],
                    "object_type": step["object_type"],
                    "id": rec["result"]["id"],
                    "url": rec["result"].get("url"),
                    "properties": step["properties"],
                    "label": step["label"],
                }
            )
    return done


def _links_text(writes: list[WriteRecord]) -> str:
    parts = []
    for w in writes:
        verb = {"create": "created", "update": "updated", "associate": "linked", "merge": "merged into"}[
            w["op"]
        ]
        where = f" {w['url']}" if w.get("url") else ""
        parts.append(f"{verb} {singular(w['object_type'])} {w['label']} (id {w['id']}){where}")
    return "; ".join(parts)


def _done_outcome(state: AgentState) -> ReplyOutcome:
    writes = _writes(state, state.get("execution", {}))
    if not writes:
        return reply_outcome("Nothing needed changing.")
    text = _links_text(writes)
    return reply_outcome(f"Done: {text}.", writes=writes)

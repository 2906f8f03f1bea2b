"""``begin_step`` / ``send_step``: each approved write exactly once.

``begin_step`` records the step's idempotency key (``{proposal id}:{index}``) and its start time
in the checkpoint; ``send_step`` hands the step to :class:`agent.sending.StepSender`, which claims
it in the write ledger before sending (so one process sends it, however many answer the same
approval), reconciles what a dead process may have sent, refuses to write over values that
changed since they were shown, and settles the outcome: done, failed, or unknown (never resent).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal
from urllib.parse import quote

from langgraph.config import get_config
from langgraph.runtime import Runtime

from agent.audit import AuditEntry, AuditScope, audit_scope, scoped
from agent.context import AgentContext
from agent.nodes.common import conn_of, emit, error_outcome, event_of, iso, outcome_from_error, reply_outcome
from agent.nodes.deps import Deps
from agent.nodes.proposing import changes_of, describe_step
from agent.sending import Sent, StepSender, step_key
from agent.state import (
    AgentState,
    ConfirmationRequest,
    ErrorOutcome,
    ExecutionRecord,
    ProposedStep,
    ReplyOutcome,
    Step,
    WriteRecord,
)
from tools.hubspot import ObjectType, record_url
from tools.hubspot.types import OBJECT_TYPE_IDS, singular


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


def _search_url(ctx: AgentContext, object_type: ObjectType, query: str) -> str | None:
    """Where to look in HubSpot's web app for a record whose creation could not be confirmed."""
    if not ctx.portal_id:
        return None
    type_id = OBJECT_TYPE_IDS[object_type]
    return f"https://{ctx.ui_domain}/contacts/{ctx.portal_id}/objects/{type_id}/views/all/list?query={quote(query)}"


def _diff(step: Step, before: dict[str, str | None] | None = None) -> dict[str, Any]:
    if step["op"] in ("create", "update"):
        old = before if before is not None else step["old"]
        return {p: {"old": old.get(p), "new": v} for p, v in step["properties"].items()}
    if step["op"] == "associate":
        ref = step["associations"][0]
        return {"association": {"to": ref["object_type"], "id": ref.get("id"), "step": ref.get("step")}}
    target, merge_from = step["target"], step["merge_from"]
    return {
        "merge": {
            "primary": target.get("id") if target else None,
            "merged": merge_from["id"] if merge_from else None,
        }
    }


def _thread_key() -> str:
    return str(get_config().get("configurable", {}).get("thread_id", ""))


async def send_step(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Send the step ``begin_step`` recorded, exactly once (see :mod:`agent.sending`)."""
    ctx = runtime.context
    proposal = state.get("proposal")
    index = _next_index(state)
    assert proposal is not None and index is not None  # begin_step routed here only with a step to do
    key = step_key(proposal, index)
    step: ProposedStep = proposal["steps"][index]
    execution = dict(state.get("execution", {}))
    record = execution[key].copy()
    approver = proposal["approved_by"]
    outer = audit_scope.get() or AuditScope()
    scope = replace(
        outer,
        approved_by=approver["user_id"] if approver else None,
        approver_email=approver["email"] if approver else None,
        diff=_diff(step),
        step=key,
    )
    sender = StepSender(
        deps.client,
        deps.ledger,
        conn_of(ctx),
        _thread_key(),
        lease_seconds=deps.write_lease_seconds,
        sleep=deps.sleep,
    )
    with scoped(scope):
        sent = await sender.send(key, proposal, index, execution)
    if sent.status == "done" and sent.result is not None:
        result = sent.result
        result["url"] = _url(ctx, step["object_type"], result["id"])
        execution[key] = {**record, "status": "done", "result": result}
        return {"execution": execution}
    if sent.status == "stale":
        return _show_again(runtime, proposal, index, sent)
    assert sent.error is not None
    execution[key] = {
        **record,
        "status": "failed" if sent.status == "failed" else "unknown",
        "error": sent.error.kind,
    }
    if sent.status == "unknown":
        outcome = _unknown_outcome(ctx, step)
        await _audit_unknown(deps, ctx, scope, step, sent)
    else:
        outcome = outcome_from_error(sent.error)
    done = _writes(state, execution)
    if done:
        outcome["message"] = f"{outcome['message']} (Done before that: {_links_text(done)}.)"
    return {"execution": execution, "outcome": outcome, "proposal": None}


def _show_again(
    runtime: Runtime[AgentContext], proposal: ConfirmationRequest, index: int, sent: Sent
) -> AgentState:
    """An update whose fields changed since they were shown: nothing was sent; ask again with today's values."""
    step = proposal["steps"][index]
    changed = [
        f"{p} is now {sent.current.get(p) or '(empty)'} (it was {step['old'].get(p) or '(empty)'})"
        for p in step["properties"]
        if (sent.current.get(p) or "") != (step["old"].get(p) or "")
    ]
    fresh: ProposedStep = {**step, "old": {p: sent.current.get(p) for p in step["properties"]}}
    fresh["changes"] = changes_of(fresh)
    steps = list(proposal["steps"])
    steps[index] = fresh
    again: ConfirmationRequest = {
        **proposal,
        "version": proposal["version"] + 1,
        "steps": steps,
        "summary": "\n".join(describe_step(s) for s in steps),
        "approved_by": None,
    }
    emit(
        runtime,
        event_of(
            reply_outcome(
                f"{singular(step['object_type']).capitalize()} {step['label']} changed in HubSpot since you saw it: "
                f"{'; '.join(changed)}. Nothing was written."
            )
        ),
    )
    return {"proposal": again}


def _unknown_outcome(ctx: AgentContext, step: Step) -> ErrorOutcome:
    kind = singular(step["object_type"])
    what = {"create": f"the new {kind} {step['label']} was created",
            "update": f"{kind} {step['label']} was updated",
            "associate": f"{kind} {step['label']} was linked",
            "merge": "the companies were merged"}[step["op"]]  # fmt: skip
    link = _search_url(ctx, step["object_type"], step["label"]) if step["op"] == "create" else None
    where = f" Look for it in HubSpot: {link}" if link else " Check the record in HubSpot."
    return error_outcome(
        "unknown",
        f"HubSpot did not confirm whether {what}, and I could not find out, so I did not send it again.{where}",
        action="Ask again only if it is not there; I won't resend it on my own.",
    )


async def _audit_unknown(deps: Deps, ctx: AgentContext, scope: AuditScope, step: Step, sent: Sent) -> None:
    if deps.audit is None:
        return
    await deps.audit.record(
        AuditEntry(
            time=iso(ctx.clock()),
            tenant_id=ctx.tenant_id,
            user_id=ctx.user_id,
            thread_id=scope.thread_id,
            operation="outcome",
            method="",
            path_template="",
            object_type=step["object_type"],
            ids=[],
            scopes=[],
            status=None,
            correlation_id=None,
            latency_ms=0.0,
            error_kind="unknown",
            approved_by=scope.approved_by,
            diff=scope.diff,
            step=scope.step,
            credential_id=ctx.credential_id,
            extra={
                "message": sent.error.message if sent.error else "",
                "approver_email": scope.approver_email,
            },
        )
    )


async def route_after_send(state: AgentState) -> Literal["begin_step", "confirm", "respond"]:
    if state.get("outcome"):
        return "respond"
    proposal = state.get("proposal")
    if proposal is not None and proposal["approved_by"] is None:
        return "confirm"  # shown again with today's values: it needs a new approval
    return "begin_step"


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

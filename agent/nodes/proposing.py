"""``propose`` (the exact writes, field by field) and ``confirm`` (wait for approval).

Values are normalised here, after resolution: stage labels become stage ids of the deal's
pipeline, owner words become owner ids, amounts plain numbers and dates HubSpot timestamps. An
invalid value never reaches a confirmation.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent import resolve as ranking
from agent.activities import ActivityError, activity_properties
from agent.context import AgentContext
from agent.events import Event
from agent.nodes.common import (
    conn_of,
    emit,
    error_outcome,
    event_of,
    iso,
    outcome_from_error,
    plan_of,
)
from agent.nodes.deps import Deps
from agent.nodes.resolving import mentions_of
from agent.nodes.understand import too_many_writes
from agent.owners import OwnerNotFound, owner_name
from agent.plan import Mention, Value
from agent.state import (
    AgentState,
    Change,
    ConfirmationRequest,
    MentionEntry,
    Record,
    Ref,
    Step,
    StepOp,
    Target,
)
from tools.hubspot import HubSpotError, MissingScopes, ObjectType
from tools.hubspot import scopes as scope_table
from tools.hubspot.models import CrmObject
from tools.hubspot.scopes import Operation
from tools.hubspot.types import ASSOCIATION_TYPE_IDS, singular

# Timestamp properties that people give as a day: sent as noon of that day in the user's zone, so
# the day is the same wherever the record is viewed.
DATETIME_PROPERTIES = frozenset(
    {"closedate", "hs_timestamp", "hs_meeting_start_time", "hs_meeting_end_time", "hs_lastcontacted"}
)
NUMBER_PROPERTIES = frozenset({"amount", "annualrevenue", "numberofemployees", "hs_call_duration"})
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


OWNED_BY_REQUESTER: frozenset[str] = frozenset({"deals", "notes", "calls", "meetings", "emails", "tasks"})
"""New records of these types belong to whoever asked, unless another owner is named."""

CLEARED = "(cleared)"
"""How an emptied value is shown: never as a blank."""


class InvalidValue(ValueError):
    """A value the user gave cannot be written as is."""


class _Values:
    """Normalises plan values for one turn (owner and pipeline reads are cached per connection)."""

    def __init__(self, deps: Deps, ctx: AgentContext) -> None:
        self.deps, self.ctx, self.conn = deps, ctx, conn_of(ctx)

    async def one(self, value: Value, pipeline_id: str | None) -> tuple[str, str, str | None]:
        """(property, HubSpot value, what to show instead of the raw value)."""
        prop, raw = value.property, value.value.strip()
        if value.kind == "owner" or (prop.endswith("owner_id") and not raw.isdigit()):
            try:
                owner = await self.deps.owners.resolve(self.conn, raw, user_email=self.ctx.user_email)
            except OwnerNotFound as exc:
                raise InvalidValue(str(exc)) from None
            return prop, owner.id, owner_name(owner)
        if value.kind == "stage" or (prop == "dealstage" and not await self._is_stage_id(raw)):
            pipelines = await self.deps.pipelines.pipelines(self.conn)
            try:
                _, stage = ranking.find_stage(pipelines, raw, pipeline_id)
            except ranking.StageNotFound as exc:
                raise InvalidValue(str(exc)) from None
            return prop, stage.id, stage.label
        if value.kind == "pipeline" or (prop == "pipeline" and raw != "default" and not raw.isdigit()):
            pipelines = await self.deps.pipelines.pipelines(self.conn)
            try:
                pipeline = ranking.find_pipeline(pipelines, raw)
            except ranking.StageNotFound as exc:
                raise InvalidValue(str(exc)) from None
            return prop, pipeline.id, pipeline.label
        if prop in NUMBER_PROPERTIES:
            number = raw.replace(",", "").replace("$", "").strip()
            if not _NUMBER.match(number):
                raise InvalidValue(f"{prop} must be a number, got {raw!r}.")
            return prop, number, None
        if prop in DATETIME_PROPERTIES and _DAY.match(raw):
            day = datetime.fromisoformat(raw).date()
            moment = datetime.combine(day, time(12), tzinfo=ZoneInfo(self.ctx.timezone))
            return prop, iso(moment).replace("Z", ".000Z"), raw
        return prop, raw, None

    async def defaults(self, step: Step) -> None:
        """What HubSpot's own UI fills in on a new record, unless the user said otherwise.

        A deal goes into its pipeline's first open stage and belongs to the requester; the
        activities they log (notes, calls, meetings, emails, tasks) are theirs. Without these a
        deal vanishes from "my deals" and from pipeline views.
        """
        props, display = step["properties"], step["display"]
        object_type = step["object_type"]
        if object_type == "deals" and not props.get("dealstage"):
            pipelines = await self.deps.pipelines.pipelines(self.conn)
            pipeline = next((p for p in pipelines if p.id == props.get("pipeline", "default")), None)
            open_stages = sorted(
                (s for s in (pipeline.stages if pipeline else []) if s.metadata.get("isClosed") != "true"),
                key=lambda s: s.display_order,
            )
            if open_stages:
                props["dealstage"], display["dealstage"] = open_stages[0].id, open_stages[0].label
        if object_type in OWNED_BY_REQUESTER and not props.get("hubspot_owner_id"):
            try:
                me = await self.deps.owners.resolve(self.conn, "me", user_email=self.ctx.user_email)
            except OwnerNotFound:
                return  # a requester with no HubSpot owner: the record stays unowned
            props["hubspot_owner_id"], display["hubspot_owner_id"] = me.id, f"{owner_name(me)} (you)"

    async def _is_stage_id(self, raw: str) -> bool:
        pipelines = self.deps.pipelines.cached(self.conn)
        if pipelines is None:
            return False
        return any(s.id == raw for p in pipelines for s in p.stages)


def _ref(entry: MentionEntry) -> Ref:
    """A reference to a resolved record, or to the step that creates it."""
    mention = Mention.model_validate(entry["mention"])
    if entry["status"] == "create":
        return {"object_type": mention.object_type, "step": entry["step"], "label": mention.text}
    rec = entry["record"]
    return {"object_type": rec["object_type"], "id": rec["id"], "label": rec["label"]}


def _target(entry: MentionEntry) -> Target:
    """The record a write acts on: a found record, or a reference to the step that creates it."""
    if entry["status"] == "create":
        return {**_ref(entry), "properties": {}}
    rec = entry["record"]
    return {
        "object_type": rec["object_type"],
        "id": rec["id"],
        "label": rec["label"],
        "properties": rec["properties"],
    }


def _new_record_properties(mention: Mention) -> dict[str, str]:
    text = mention.text.strip()
    kind = ranking.classify(text)
    if kind == "name" and text == text.lower():
        text = text.title()  # "ryan howard" → "Ryan Howard": names typed in lower case
    if mention.object_type == "contacts":
        if kind == "email":
            return {"email": text.lower()}
        first, _, last = text.partition(" ")
        return {"firstname": first, **({"lastname": last} if last else {})}
    if mention.object_type == "companies":
        return {"domain": text.lower()} if kind == "domain" else {"name": text}
    return {"dealname": text}


def _step(
    op: StepOp,
    object_type: ObjectType,
    *,
    label: str,
    target: Target | None = None,
    properties: dict[str, str] | None = None,
    old: dict[str, str | None] | None = None,
    display: dict[str, str] | None = None,
    associations: list[Ref] | None = None,
    merge_from: Record | None = None,
) -> Step:
    return {
        "op": op,
        "object_type": object_type,
        "target": target,
        "properties": {} if properties is None else properties,
        "old": {} if old is None else old,
        "display": {} if display is None else display,
        "associations": [] if associations is None else associations,
        "merge_from": merge_from,
        "label": label,
    }


async def build_steps(state: AgentState, deps: Deps, ctx: AgentContext) -> list[Step]:
    """The writes of the request, in order, each one HubSpot request.

    Raises:
        InvalidValue: A value cannot be written.
        ActivityError: An activity is incomplete or invalid.
        HubSpotError: Reading owners or pipelines failed.
    """
    plan = plan_of(state)
    mentions: dict[str, MentionEntry] = dict(state.get("mentions", {}))
    keys = mentions_of(plan)
    values = _Values(deps, ctx)
    steps: list[Step] = []
    # Records the user asked to create while resolving ("create it") come first.
    for key in keys:
        entry = mentions.get(key)
        if entry is not None and entry["status"] == "create":
            mention = Mention.model_validate(entry["mention"])
            mentions[key] = {**entry, "step": len(steps)}
            new = _new_record_properties(mention)
            if mention.object_type == "deals":
                new["pipeline"] = "default"
            steps.append(_step("create", mention.object_type, properties=new, label=mention.text))
    edits = [Value.model_validate(e) for e in state.get("edits", [])]
    for i, w in enumerate(plan.writes):
        refs = [_ref(mentions[f"w{i}.with{j}"]) for j in range(len(w.associate_with))]
        target = _target(mentions[f"w{i}.target"]) if w.target is not None else None
        if w.op == "associate":
            assert target is not None
            if "step" in target:
                # The record is created in this proposal: link it inline with its create (no extra PUT).
                steps[target["step"]]["associations"].extend(refs)
                continue
            for ref in refs:
                steps.append(
                    _step(
                        "associate", w.object_type, target=target, associations=[ref], label=target["label"]
                    )
                )
            continue
        if w.op == "merge":
            merge_from = mentions[f"w{i}.merge"]["record"]
            steps.append(
                _step(
                    "merge",
                    "companies",
                    target=target,
                    merge_from=merge_from,
                    label=target["label"] if target else "",
                )
            )
            continue
        given = list(w.values)
        if i == 0:
            given = _with_edits(given, edits)
        pipeline_value = next((v for v in given if v.property == "pipeline"), None)
        pipeline_id: str | None = None
        if pipeline_value is not None:
            _, pipeline_id, _ = await values.one(pipeline_value, None)
        elif target is not None and w.object_type == "deals":
            pipeline_id = target.get("properties", {}).get("pipeline") or None
        props: dict[str, str] = {}
        display: dict[str, str] = {}
        for v in given:
            prop, value, shown = await values.one(v, pipeline_id)
            props[prop] = value
            if shown is not None:
                display[prop] = shown
        if w.activity is not None:
            activity = w.activity
            if i == 0:
                activity = _activity_with_edits(activity, edits)
            props = {**activity_properties(activity, ctx.clock()), **props}
        if w.op == "create" and w.object_type == "deals":
            company = next((r for r in refs if r["object_type"] == "companies"), None)
            props.setdefault("dealname", f"{company['label']} - New Deal" if company else "New Deal")
            props.setdefault("pipeline", pipeline_id or "default")
        if w.op == "update" and target is not None and "step" in target:
            # The record is created by an earlier step of this proposal: create it with these values.
            steps[target["step"]]["properties"].update(props)
            steps[target["step"]]["display"] = {**steps[target["step"]]["display"], **display}
            continue
        current = target.get("properties", {}) if target else {}
        old = {p: current.get(p) for p in props} if w.op == "update" else {}
        label = (
            target["label"]
            if target
            else ranking.record_label(w.object_type, CrmObject(id="new", properties=props))
        )
        for ref in refs:
            if (w.object_type, ref["object_type"]) not in ASSOCIATION_TYPE_IDS:
                raise InvalidValue(
                    f"HubSpot can't link a {singular(w.object_type)} to a {singular(ref['object_type'])}."
                )
        steps.append(
            _step(
                w.op,
                # A record found under another type (a "contact" that is a company) is changed as what it is.
                target["object_type"] if (target is not None and w.op == "update") else w.object_type,
                target=target,
                properties=props,
                old=old,
                display=display,
                associations=refs,
                label=label,
            )
        )
    for step in steps:
        if step["op"] == "create":
            await values.defaults(step)
    return steps


def _with_edits(values: list[Value], edits: list[Value]) -> list[Value]:
    merged = {v.property: v for v in values}
    for e in edits:
        if e.property not in _ACTIVITY_FIELDS:
            merged[e.property] = e
    return list(merged.values())


_ACTIVITY_FIELDS = frozenset({"subject", "body", "when", "end", "direction", "status", "priority"})


def _activity_with_edits(activity: Any, edits: list[Value]) -> Any:
    changes = {e.property: e.value for e in edits if e.property in _ACTIVITY_FIELDS}
    return activity.model_copy(update=changes) if changes else activity


def describe_step(step: Step) -> str:
    """One line per step: what is created or changed, field by field."""
    kind = singular(step["object_type"])
    shown = step.get("display", {})

    def fmt(prop: str, value: Any) -> str:
        return f"{prop} = {shown.get(prop, value) or CLEARED}"

    if step["op"] == "create":
        fields = ", ".join(fmt(p, v) for p, v in step["properties"].items())
        links = "; ".join(f"{singular(a['object_type'])} {a['label']}" for a in step["associations"])
        return f"Create {kind}: {fields}" + (f"; linked to {links}" if links else "")
    if step["op"] == "update":
        changes = ", ".join(
            f"{p}: {step['old'].get(p) or '(empty)'} → {shown.get(p, v) or CLEARED}"
            for p, v in step["properties"].items()
        )
        return f"Update {kind} {step['label']}: {changes}"
    if step["op"] == "associate":
        other = step["associations"][0]
        return f"Link {kind} {step['label']} to {singular(other['object_type'])} {other['label']}"

    def which(rec: Record | Target) -> str:
        # Duplicates often share a name: the domain and id tell them apart.
        domain = (rec.get("properties") or {}).get("domain")
        return f"{rec['label']} ({domain + ', ' if domain else ''}id {rec['id']})"

    target, merge_from = step["target"], step["merge_from"]
    assert target is not None and merge_from is not None  # a merge names both companies
    return f"Merge company {which(merge_from)} into {which(target)}, the one kept"


def changes_of(step: Step) -> list[Change]:
    """The field-by-field form of a step, for channels that render a table."""
    shown = step.get("display", {})
    return [
        {
            "property": p,
            "old": step["old"].get(p) if step["op"] == "update" else None,
            "new": v,
            "display": shown.get(p, v) or CLEARED,
        }
        for p, v in step["properties"].items()
    ]


async def propose(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Build the confirmation: every write field by field, its requester and expiry."""
    ctx = runtime.context
    try:
        steps = await build_steps(state, deps, ctx)
    except (InvalidValue, ActivityError) as exc:
        return _invalid(state, runtime, str(exc))
    except HubSpotError as exc:
        return {"outcome": outcome_from_error(exc)}
    missing = _missing_scopes(steps, ctx.granted_scopes)
    if missing:
        # Resolution can change what is written (a fallback type, a record to create): check again.
        return {
            "outcome": error_outcome(
                "missing_scope",
                f"Your HubSpot connection is missing {', '.join(missing)} needed for this; nothing was written.",
                action=MissingScopes.default_action,
                scopes=missing,
            )
        }
    # Resolution can add steps (a record to create first): the cap holds on what would be sent.
    if refusal := too_many_writes(len(steps), deps.max_writes):
        return {"outcome": refusal}
    now = ctx.clock()
    lines = [describe_step(s) for s in steps]
    summary = "\n".join(lines)
    earlier = state.get("proposal")  # an edit shows a new version of the same confirmation
    proposal: ConfirmationRequest = {
        "kind": "confirm",
        "id": earlier["id"] if earlier else uuid.uuid4().hex,
        "version": earlier["version"] + 1 if earlier else 1,
        "question": "Shall I make this change in HubSpot?"
        if len(steps) == 1
        else "Shall I make these changes in HubSpot?",
        "summary": summary,
        "steps": [{**s, "changes": changes_of(s)} for s in steps],
        "requester": state["requester"].copy(),
        "created_at": iso(now),
        "expires_at": iso(now + deps.confirmation_ttl),
        "approved_by": None,
    }
    return {"proposal": proposal}


def _missing_scopes(steps: list[Step], granted: frozenset[str]) -> list[str]:
    missing: set[str] = set()
    for step in steps:
        checks: list[tuple[Operation, ObjectType]] = []
        op = step["op"]
        if op == "create" or op == "update":
            checks.append((op, step["object_type"]))
        elif op == "associate":
            checks += [
                ("associate_default", step["object_type"]),
                ("associate_default", step["associations"][0]["object_type"]),
            ]
        else:
            checks.append(("merge", "companies"))
        for operation, object_type in checks:
            try:
                scope_table.check(operation, object_type, granted)
            except MissingScopes as exc:
                missing.update(exc.required)
    return sorted(missing)


def _invalid(state: AgentState, runtime: Runtime[AgentContext], message: str) -> AgentState:
    """An invalid value: a fresh request ends with the error; an invalid edit keeps the old proposal."""
    proposal = state.get("proposal")
    if proposal is not None and state.get("edits"):
        emit(runtime, event_of(error_outcome("validation", f"I can't use that change: {message}")))
        return {"edits": list(state.get("edits", []))[:-1], "proposal": proposal.copy()}
    return {"outcome": error_outcome("validation", message)}


async def route_after_propose(state: AgentState) -> Literal["confirm", "respond"]:
    return "respond" if state.get("outcome") else "confirm"


async def confirm(state: AgentState) -> AgentState:
    """Show the proposal and wait for approve, reject or edit. Nothing else happens here."""
    return {"reply": interrupt(state["proposal"])}


__all__ = ["Event", "build_steps", "confirm", "describe_step", "propose", "route_after_propose"]

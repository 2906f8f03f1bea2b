"""``resolve`` (mentions → records, by search and ranking) and ``clarify`` (ask which one)."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from rapidfuzz import fuzz, utils

from agent import resolve as ranking
from agent.context import AgentContext
from agent.nodes.common import as_record, conn_of, outcome_from_error, plan_of
from agent.nodes.deps import Deps
from agent.plan import Mention, Plan
from agent.state import AgentState, Choice, ClarifyRequest, MentionEntry, RecordRef
from tools.hubspot import HubSpotError, ObjectType
from tools.hubspot.models import CrmObject, Filter, FilterGroup, SearchRequest
from tools.hubspot.types import ASSOCIATION_TYPE_IDS, singular

CREATABLE: frozenset[str] = frozenset({"contacts", "companies", "deals"})
_FALLBACK: dict[str, ObjectType] = {"contacts": "companies", "companies": "contacts"}


def mentions_of(plan: Plan) -> dict[str, tuple[Mention, list[str]]]:
    """Each mention of the plan under a stable key, with the properties worth reading with it."""
    found: dict[str, tuple[Mention, list[str]]] = {}
    for i, w in enumerate(plan.writes):
        if w.target is not None:
            found[f"w{i}.target"] = (w.target, [v.property for v in w.values])
        if w.merge_from is not None:
            found[f"w{i}.merge"] = (w.merge_from, [])
        for j, m in enumerate(w.associate_with):
            found[f"w{i}.with{j}"] = (m, [])
    if plan.question is not None and plan.question.about is not None:
        found["q.about"] = (plan.question.about, list(plan.question.fields))
    return found


def _from_recent(state: AgentState, mention: Mention) -> RecordRef | None:
    recent = [r for r in state.get("recent", []) if r["object_type"] == mention.object_type]
    if not recent:
        return None
    if mention.text:
        scored = [(fuzz.WRatio(mention.text, r["label"], processor=utils.default_process), r) for r in recent]
        best = max(scored, key=lambda s: s[0])
        if best[0] >= ranking.GOOD_SCORE:
            return best[1]
    return recent[0]


def _linkable(plan: Plan, key: str) -> set[str]:
    """The types a created record can be linked to, for a mention it is linked with (else empty)."""
    if not key.startswith("w") or ".with" not in key:
        return set()
    write = plan.writes[int(key[1 : key.index(".")])]
    return {to for (frm, to) in ASSOCIATION_TYPE_IDS if frm == write.object_type}


def _candidate(object_type: ObjectType, record: CrmObject) -> Choice:
    return {
        "id": record.id,
        "object_type": object_type,
        "label": ranking.record_label(object_type, record),
        "details": ranking.record_details(object_type, record),
    }


async def _search(
    deps: Deps, ctx: AgentContext, object_type: ObjectType, mention: Mention, extra: list[str]
) -> list[ranking.Ranked]:
    request = ranking.search_request(object_type, mention.text, extra)
    page = await deps.client.search(conn_of(ctx), object_type, request)
    return ranking.rank(object_type, mention.text, page.results, mention.qualifier)


async def _deals_of_company(
    deps: Deps, ctx: AgentContext, mention: Mention, extra: list[str]
) -> list[ranking.Ranked]:
    """Deals of the company the words name ("the Acme deal" when no deal is called Acme)."""
    companies = await _search(deps, ctx, "companies", mention, [])
    company, _ = ranking.pick(companies)
    if company is None:
        return []
    props = list(dict.fromkeys([*ranking.NAME_PROPERTIES["deals"], *extra]))
    request = SearchRequest(
        filter_groups=[
            FilterGroup(
                filters=[
                    Filter(
                        property_name=f"associations.{singular('companies')}", operator="EQ", value=company.id
                    )
                ]
            )
        ],
        properties=props,
        limit=ranking.SEARCH_LIMIT,
    )
    page = await deps.client.search(conn_of(ctx), "deals", request)
    return [ranking.Ranked(r, ranking.GOOD_SCORE) for r in page.results]


async def _resolve_one(
    state: AgentState, deps: Deps, ctx: AgentContext, mention: Mention, extra: list[str]
) -> MentionEntry:
    """One mention's resolution: resolved record, candidates to ask about, or missing."""
    entry: MentionEntry = {"mention": mention.model_dump(mode="json"), "status": "missing", "candidates": []}
    if mention.refers_back:
        found = _from_recent(state, mention)
        if found is not None:
            earlier = as_record(found["object_type"], found["id"], found["label"])
            if extra:
                # An update shows old → new: read the current values of what changes.
                current = await deps.client.get_object(
                    conn_of(ctx),
                    found["object_type"],
                    found["id"],
                    properties=sorted(
                        {*extra, "pipeline"} if found["object_type"] == "deals" else set(extra)
                    ),
                )
                earlier["properties"] = dict(current.properties)
            return {**entry, "status": "resolved", "record": earlier}
        if not mention.text:
            return {**entry, "status": "unknown"}
    types: list[ObjectType] = [mention.object_type]
    if mention.object_type in _FALLBACK and ranking.classify(mention.text) == "name":
        types.append(_FALLBACK[mention.object_type])
    for object_type in types:
        ranked = await _search(deps, ctx, object_type, mention, extra)
        if not ranked and object_type == "deals":
            ranked = await _deals_of_company(deps, ctx, mention, extra)
        if object_type != mention.object_type and not ranked:
            continue
        record, good = ranking.pick(ranked)
        if record is not None:
            rec = as_record(
                object_type, record.id, ranking.record_label(object_type, record), record.properties
            )
            return {**entry, "status": "resolved", "record": rec}
        offered = (
            good[:5] if good else (ranked if object_type == mention.object_type and len(ranked) <= 5 else [])
        )
        if offered:
            # Several good candidates (or, when none is close by name, the few the search found).
            return {
                **entry,
                "status": "ambiguous",
                "candidates": [_candidate(object_type, r.record) for r in offered],
                "found": {r.record.id: dict(r.record.properties) for r in offered},
            }
    return entry


def _question(key: str, entry: MentionEntry) -> ClarifyRequest:
    mention = Mention.model_validate(entry["mention"])
    kind = singular(mention.object_type)
    if entry["status"] == "ambiguous":
        options = "; ".join(
            f"{i}. {c['label']} ({c['details']})" for i, c in enumerate(entry["candidates"], start=1)
        )
        text = f"Which {kind} do you mean by “{mention.text}”? {options}"
        return {
            "kind": "clarify",
            "key": key,
            "question": text,
            "candidates": entry["candidates"],
            "can_create": False,
        }
    if entry["status"] == "unknown":
        return {
            "kind": "clarify", "key": key, "question": f"Which {kind} do you mean?", "candidates": [],
            "can_create": False,
        }  # fmt: skip
    can_create = mention.object_type in CREATABLE and bool(mention.text)
    offer = f" Should I create a new {kind} “{mention.text}”?" if can_create else " Which one do you mean?"
    return {
        "kind": "clarify",
        "key": key,
        "question": f"I couldn't find a {kind} matching “{mention.text}” in HubSpot.{offer}",
        "candidates": [],
        "can_create": can_create,
    }


async def resolve(state: AgentState, runtime: Runtime[AgentContext], deps: Deps) -> AgentState:
    """Resolve every mention not yet resolved; stop at the first one that needs a question."""
    plan = plan_of(state)
    resolved: dict[str, MentionEntry] = dict(state.get("mentions", {}))
    merge_keys = {
        k for i, w in enumerate(plan.writes) if w.op == "merge" for k in (f"w{i}.target", f"w{i}.merge")
    }
    for key, (mention, extra) in mentions_of(plan).items():
        if key in resolved and resolved[key]["status"] in ("resolved", "create"):
            continue
        if key in resolved and resolved[key]["status"] == "retry":
            # The user named the record in answer to a question: search with their words.
            mention = Mention.model_validate(resolved[key]["mention"])
        linkable = _linkable(plan, key)
        if mention.refers_back and linkable and mention.object_type not in linkable:
            # "it" after logging a note means the record the note was about: HubSpot links
            # activities to contacts, companies and deals, never to each other.
            earlier = next((r for r in state.get("recent", []) if r["object_type"] in linkable), None)
            if earlier is not None:
                mention = mention.model_copy(update={"object_type": earlier["object_type"]})
        try:
            entry = await _resolve_one(state, deps, runtime.context, mention, extra)
        except HubSpotError as exc:
            return {"mentions": resolved, "outcome": outcome_from_error(exc)}
        resolved[key] = entry
        if entry["status"] != "resolved":
            question = _question(key, entry)
            if key in merge_keys:
                question["can_create"] = False  # a merge needs two existing companies
            return {"mentions": resolved, "clarify": question}
    return {"mentions": resolved, "clarify": None}


async def route_after_resolve(
    state: AgentState,
) -> Literal["clarify", "propose", "answer_question", "respond"]:
    if state.get("outcome"):
        return "respond"
    if state.get("clarify"):
        return "clarify"
    return "answer_question" if plan_of(state).intent == "question" else "propose"


async def clarify(state: AgentState) -> AgentState:
    """Ask the pending question and wait. Nothing else happens here: the node re-runs on resume."""
    return {"reply": interrupt(state["clarify"])}

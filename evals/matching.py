"""Final-state checks: the portal after the conversation against the case's ``final`` block.

The portal is compared as a whole, before and after (``Sandbox.state()``): exactly the listed
records are created, only the listed records change, merges and links are as listed, and the
starting records' other associations are untouched. Property matchers follow ``EVAL_CASES.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from evals.case import (
    Associated,
    Contains,
    Created,
    IContains,
    IsSet,
    LoadedCase,
    Matcher,
    Merged,
    OnDate,
    OwnerRef,
    StageLabel,
    Updated,
)
from tools.sandbox import catalog

JSON = dict[str, Any]
OBJECT_TYPES: Final = ("contacts", "companies", "deals", "tasks", "notes", "emails", "meetings", "calls")

# Properties HubSpot maintains itself: never a change the agent made.
_ALWAYS_IGNORED: Final = frozenset(
    {"hs_lastmodifieddate", "lastmodifieddate", "hs_merged_object_ids", "hs_object_id", "createdate"}
)
SYSTEM_PROPERTIES: Final[dict[str, frozenset[str]]] = {
    t: _ALWAYS_IGNORED
    | {p.name for p in catalog.DEFAULT_PROPERTIES.get(t, ()) if p.read_only or p.calculated}
    for t in OBJECT_TYPES
}


@dataclass(frozen=True)
class Portal:
    """A portal snapshot with lookups the checks need."""

    state: JSON

    def live(self, object_type: str) -> dict[str, JSON]:
        """Records of a type that are neither archived nor merged away, by id."""
        return {
            r["id"]: r
            for r in self.state["records"].get(object_type, [])
            if not r.get("archived") and not r.get("mergedInto")
        }

    def all_records(self, object_type: str) -> dict[str, JSON]:
        return {r["id"]: r for r in self.state["records"].get(object_type, [])}

    def resolve(self, object_type: str, record_id: str) -> str:
        """Follow merge aliases to the surviving id."""
        aliases = self.state.get("aliases", {}).get(object_type, {})
        seen = 0
        while record_id in aliases and seen < 100:
            record_id, seen = aliases[record_id], seen + 1
        return record_id

    def pairs(self) -> set[frozenset[tuple[str, str]]]:
        """Associations as unordered pairs of (type, id), whatever their type ids."""
        return {
            frozenset({(a["fromType"], a["fromId"]), (a["toType"], a["toId"])})
            for a in self.state.get("associations", [])
        }

    def stage_ids(self, label: str, pipeline: str | None) -> set[str]:
        """Ids of deal stages with this label (in ``pipeline`` when given and known)."""
        wanted = label.strip().casefold()
        found: set[str] = set()
        for p in self.state.get("pipelines", []):
            if pipeline and p.get("id") != pipeline:
                continue
            found |= {s["id"] for s in p.get("stages", []) if str(s.get("label", "")).casefold() == wanted}
        if not found and pipeline:
            return self.stage_ids(label, None)
        return found


@dataclass
class MatchContext:
    """What matchers need besides the value: refs, the case's timezone and the final portal."""

    refs: Mapping[str, str]
    timezone: str
    portal: Portal


def _day_of(value: str, timezone: str) -> date | None:
    text = value.strip()
    try:
        if text.isdigit():
            moment = datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        elif len(text) == 10:
            return date.fromisoformat(text)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment.astimezone(ZoneInfo(timezone)).date()


def describe(matcher: Matcher) -> str:
    """The matcher as a case author wrote it."""
    if isinstance(matcher, str):
        return repr(matcher)
    return str(matcher.model_dump(mode="json"))


def matches(matcher: Matcher, actual: str | None, ctx: MatchContext, record: JSON | None = None) -> bool:
    """Whether ``actual`` (HubSpot's string form, None when unset) satisfies ``matcher``."""
    if isinstance(matcher, IsSet):
        return bool(actual)
    if actual is None:
        return False
    if isinstance(matcher, str):
        return actual == matcher
    if isinstance(matcher, Contains):
        return matcher.contains in actual
    if isinstance(matcher, IContains):
        return matcher.icontains.casefold() in actual.casefold()
    if isinstance(matcher, OnDate):
        return _day_of(actual, ctx.timezone) == matcher.date
    if isinstance(matcher, OwnerRef):
        return ctx.refs.get(matcher.owner) == actual
    if isinstance(matcher, StageLabel):
        pipeline = (record or {}).get("properties", {}).get("pipeline")
        return actual in ctx.portal.stage_ids(matcher.stage, pipeline)
    raise TypeError(f"unknown matcher {matcher!r}")  # pragma: no cover - the case model forbids it


def property_mismatches(
    expected: Mapping[str, Matcher], record: JSON, ctx: MatchContext
) -> list[tuple[str, Matcher, str | None]]:
    """(property, matcher, actual) for every expected property the record does not satisfy."""
    props = record.get("properties", {})
    return [(k, m, props.get(k)) for k, m in expected.items() if not matches(m, props.get(k), ctx, record)]


# --------------------------------------------------------------------------- the diff


@dataclass
class FieldCounts:
    """Field-level write precision and recall counts."""

    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0


@dataclass
class FinalCheck:
    """The outcome of the final-state checks."""

    failures: list[str] = field(default_factory=list)
    fields: FieldCounts = field(default_factory=FieldCounts)


def _label(record: JSON) -> str:
    props = record.get("properties", {})
    for key in ("dealname", "name", "email", "hs_task_subject", "hs_call_title", "hs_meeting_title"):
        if props.get(key):
            return f"{props[key]!r}"
    name = " ".join(x for x in (props.get("firstname"), props.get("lastname")) if x)
    return repr(name) if name else f"id {record['id']}"


def _visible(object_type: str, props: Mapping[str, Any]) -> dict[str, Any]:
    ignored = SYSTEM_PROPERTIES.get(object_type, _ALWAYS_IGNORED)
    return {k: v for k, v in props.items() if k not in ignored and v not in (None, "")}


def _linked(portal: Portal, object_type: str, record_id: str, to_type: str, to_id: str) -> bool:
    return frozenset({(object_type, record_id), (to_type, portal.resolve(to_type, to_id))}) in portal.pairs()


def _fits(entry: Created, record: JSON, ctx: MatchContext) -> bool:
    if property_mismatches(entry.properties, record, ctx):
        return False
    return all(
        a.ref in ctx.refs and _linked(ctx.portal, entry.type, record["id"], a.to, ctx.refs[a.ref])
        for a in entry.associations
    )


def _assign(entries: list[Created], records: list[JSON], ctx: MatchContext) -> dict[int, JSON]:
    """A matching of expected entries to created records (backtracking; the lists are short)."""
    fits = [[r for r in records if _fits(e, r, ctx)] for e in entries]
    order = sorted(range(len(entries)), key=lambda i: len(fits[i]))
    chosen: dict[int, JSON] = {}
    used: set[str] = set()

    def place(k: int) -> bool:
        if k == len(order):
            return True
        i = order[k]
        for r in fits[i]:
            if r["id"] not in used:
                used.add(r["id"])
                chosen[i] = r
                if place(k + 1):
                    return True
                used.discard(r["id"])
                del chosen[i]
        return False

    if place(0):
        return chosen
    # No full matching: keep the greedy part so the failure names the entry that fits nothing.
    chosen, used = {}, set()
    for i in order:
        for r in fits[i]:
            if r["id"] not in used:
                chosen[i] = r
                used.add(r["id"])
                break
    return chosen


def _closest_miss(entry: Created, records: Iterable[JSON], ctx: MatchContext) -> str:
    best: tuple[int, str] | None = None
    for r in records:
        misses = property_mismatches(entry.properties, r, ctx)
        parts = [f"{k}: expected {describe(m)}, got {a!r}" for k, m, a in misses]
        for a in entry.associations:
            if a.ref not in ctx.refs or not _linked(ctx.portal, entry.type, r["id"], a.to, ctx.refs[a.ref]):
                parts.append(f"not associated with {a.to} {a.ref}")
        if best is None or len(parts) < best[0]:
            best = (len(parts), f"closest is {_label(r)}: " + "; ".join(parts))
    return best[1] if best else "none was created"


@dataclass(frozen=True)
class _Compared:
    """What every final-state check reads: the refs, both portals, the matchers' context, the writes."""

    refs: Mapping[str, str]
    ref_types: Mapping[str, str]
    start: Portal
    end: Portal
    ctx: MatchContext
    written: Mapping[tuple[str, str], set[str]]

    def sent(self, object_type: str, record_id: str) -> set[str]:
        """The properties the agent's write requests sent to this record."""
        return self.written.get((object_type, record_id), set())


def check_final(
    loaded: LoadedCase,
    refs: Mapping[str, str],
    before: JSON,
    after: JSON,
    written: Mapping[tuple[str, str], set[str]],
) -> FinalCheck:
    """Compare the portal after the conversation with the start and the case's ``final`` block.

    Args:
        loaded: The case.
        refs: ref → id from loading its portal.
        before: ``Sandbox.state()`` before the first turn.
        after: ``Sandbox.state()`` after the last turn.
        written: (object type, record id) → properties the agent's write requests sent (for
            field-level precision and recall).

    Returns:
        Failures in a stable order (created, updated, merged, associated) and field counts.
    """
    case = loaded.case
    final = case.final
    end = Portal(after)
    compared = _Compared(
        refs=refs,
        ref_types=case.portal.record_types(),
        start=Portal(before),
        end=end,
        ctx=MatchContext(refs=refs, timezone=case.context.timezone, portal=end),
        written=written,
    )
    out = FinalCheck()
    merged_refs = {m.merged for m in final.merged} | {m.primary for m in final.merged}
    for object_type in OBJECT_TYPES:
        _check_created(compared, object_type, [c for c in final.created if c.type == object_type], out)
    _check_starting_records(compared, final.updated, merged_refs, out)
    for merge in final.merged:
        _check_merged(compared, merge, out)
    _check_associated(compared, final.associated, merged_refs, out)
    return out


def _check_created(c: _Compared, object_type: str, entries: list[Created], out: FinalCheck) -> None:
    """Exactly the listed records of this type are new, no more, no fewer."""
    old_ids = set(c.start.all_records(object_type))
    merge_results = set(c.end.state.get("aliases", {}).get(object_type, {}).values())
    new = [r for rid, r in c.end.live(object_type).items() if rid not in old_ids and rid not in merge_results]
    chosen = _assign(entries, new, c.ctx)
    for i, entry in enumerate(entries):
        if i not in chosen:
            out.failures.append(
                f"created: no new {object_type} record fits {_entry_text(entry)} ({_closest_miss(entry, new, c.ctx)})"
            )
            out.fields.false_negative += len(entry.properties)
            continue
        sent = c.sent(object_type, chosen[i]["id"])
        out.fields.true_positive += sum(1 for k in entry.properties if k in sent)
        out.fields.false_negative += sum(1 for k in entry.properties if k not in sent)
        # A field of an expected new record that the case does not constrain (a call's status, the
        # deal's first stage) is the agent's sensible default, not a false positive.
    matched_ids = {r["id"] for r in chosen.values()}
    extra = [r for r in new if r["id"] not in matched_ids]
    for r in extra:
        out.fields.false_positive += len(c.sent(object_type, r["id"]))
    if extra and len(chosen) == len(entries):
        names = ", ".join(_label(r) for r in extra)
        out.failures.append(
            f"created: {len(new)} new {object_type} record(s), expected {len(entries)} (extra: {names})"
        )


def _check_starting_records(
    c: _Compared, updated: list[Updated], merged_refs: set[str], out: FinalCheck
) -> None:
    """Each starting record still exists; the listed ones changed as listed, the others did not change.

    Records taking part in a merge are checked with the merges.
    """
    listed = {u.ref: u for u in updated}
    for ref, object_type in c.ref_types.items():
        if ref not in c.refs:
            continue
        rid = c.refs[ref]
        old = c.start.all_records(object_type).get(rid)
        if old is None or ref in merged_refs:
            continue
        now = c.end.live(object_type).get(rid)
        if now is None:
            out.failures.append(f"updated: {object_type} {ref} no longer exists (merged or removed)")
        elif ref in listed:
            _check_updated(c, listed[ref], now, c.sent(object_type, rid), out)
        else:
            _check_unchanged(c, object_type, ref, old, now, c.sent(object_type, rid), out)


def _check_updated(c: _Compared, update: Updated, now: JSON, sent: set[str], out: FinalCheck) -> None:
    """A listed record has the listed values; counts its fields for precision and recall."""
    for k, matcher, actual in property_mismatches(update.properties, now, c.ctx):
        out.failures.append(f"updated: {update.ref}.{k}: expected {describe(matcher)}, got {actual!r}")
    right = {
        k for k in update.properties if matches(update.properties[k], now["properties"].get(k), c.ctx, now)
    }
    out.fields.true_positive += sum(1 for k in update.properties if k in sent and k in right)
    out.fields.false_negative += sum(1 for k in update.properties if k not in sent or k not in right)
    out.fields.false_positive += len(sent - set(update.properties))


def _check_unchanged(
    c: _Compared, object_type: str, ref: str, old: JSON, now: JSON, sent: set[str], out: FinalCheck
) -> None:
    """A starting record the case does not list kept its visible values; whatever was sent to it is extra."""
    out.fields.false_positive += len(sent)
    before_props = _visible(object_type, old.get("properties", {}))
    after_props = _visible(object_type, now.get("properties", {}))
    changed = sorted(
        k
        for k in before_props.keys() | after_props.keys()
        if not _same_after_merges(c.end, before_props.get(k), after_props.get(k))
    )
    if changed:
        what = ", ".join(f"{k}: {before_props.get(k)!r} -> {after_props.get(k)!r}" for k in changed[:4])
        out.failures.append(f"updated: {object_type} {ref} changed but is not listed ({what})")


def _check_merged(c: _Compared, merge: Merged, out: FinalCheck) -> None:
    """Both refs resolve to one live survivor keeping the primary's values."""
    primary_id, merged_id = c.refs[merge.primary], c.refs[merge.merged]
    a, b = c.end.resolve("companies", primary_id), c.end.resolve("companies", merged_id)
    live = c.end.live("companies")
    if a != b or a not in live:
        out.failures.append(f"merged: {merge.merged} was not merged into {merge.primary}")
        return
    if primary_id in live or merged_id in live:
        out.failures.append(
            f"merged: the portal still lists {merge.primary} or {merge.merged} besides the survivor"
        )
    primary_props = _visible("companies", c.start.all_records("companies")[primary_id].get("properties", {}))
    survivor_props = live[a].get("properties", {})
    kept = [k for k, v in primary_props.items() if survivor_props.get(k) != v]
    if kept:
        out.failures.append(
            f"merged: the survivor lost {merge.primary}'s values for {', '.join(sorted(kept))}"
        )


Pair = frozenset[tuple[str, str]]


def _check_associated(c: _Compared, links: list[Associated], merged_refs: set[str], out: FinalCheck) -> None:
    """The listed links exist; the other links among the starting records are unchanged."""
    starting: set[tuple[str, str]] = {(c.ref_types[ref], c.refs[ref]) for ref in c.ref_types if ref in c.refs}
    merged_ids = {c.refs[r] for r in merged_refs if r in c.refs}

    def among_start(pairs: set[Pair]) -> set[Pair]:
        return {p for p in pairs if p <= starting and not any(i in merged_ids for _, i in p)}

    wanted: set[Pair] = set()
    for link in links:
        pair = frozenset(
            {(c.ref_types[link.from_], c.refs[link.from_]), (c.ref_types[link.to], c.refs[link.to])}
        )
        wanted.add(pair)
        # A merged record's links live on its survivor.
        now_pair = frozenset((t, c.end.resolve(t, i)) for t, i in pair)
        if now_pair not in c.end.pairs():
            out.failures.append(f"associated: {link.from_} is not linked to {link.to}")
    ref_names = {(c.ref_types[r], c.refs[r]): r for r in c.ref_types if r in c.refs}
    before_pairs, after_pairs = among_start(c.start.pairs()), among_start(c.end.pairs())
    for pair in sorted(after_pairs - before_pairs - wanted, key=sorted):
        out.failures.append(
            f"associated: unexpected new link {' - '.join(sorted(ref_names[x] for x in pair))}"
        )
    for pair in sorted(before_pairs - after_pairs, key=sorted):
        out.failures.append(f"associated: link removed {' - '.join(sorted(ref_names[x] for x in pair))}")


def _same_after_merges(end: Portal, before: Any, after: Any) -> bool:
    """Equal values, or a company id HubSpot repointed to the company it was merged into."""
    if before == after:
        return True
    return isinstance(before, str) and isinstance(after, str) and end.resolve("companies", before) == after


def _entry_text(entry: Created) -> str:
    props = ", ".join(f"{k}={describe(m)}" for k, m in entry.properties.items())
    links = ", ".join(f"{a.to} {a.ref}" for a in entry.associations)
    return "{" + props + (f"; linked to {links}" if links else "") + "}"

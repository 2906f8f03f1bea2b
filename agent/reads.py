"""Questions: searches with paging, and figures computed from every page of the results.

Nothing is estimated: counts, sums, pipeline value by stage and win rates are computed from the
records the searches returned (HubSpot's own ``total`` is used for plain counts). Deal status
("open", "won", "lost") is read from the pipelines' stage metadata (``isClosed``, ``probability``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent import resolve as ranking
from agent.context import AgentContext
from agent.owners import OwnerLookup, is_team_words, owner_name
from agent.plan import Condition, Question
from agent.state import Record, RecordRef
from tools.hubspot import Connection, HubSpotClient, HubSpotError, ObjectType
from tools.hubspot.models import CrmObject, Filter, FilterGroup, Pipeline, SearchRequest, Sort
from tools.hubspot.types import singular

LIST_SHOWN = 10
PAGE = 100
MAX_RESULTS = 2000
_DAY_PROPERTIES = frozenset(
    {"closedate", "createdate", "hs_lastmodifieddate", "hs_timestamp", "hs_createdate"}
)


class QuestionError(ValueError):
    """The question cannot be turned into a search (an unknown owner or stage)."""


@dataclass
class Reader:
    """Answers questions for one turn.

    Args:
        client: The HubSpot client.
        conn: The turn's connection.
        ctx: The turn's context (timezone for dates).
        owners: Owner lookups (cached per connection).
        pipelines: Deal pipelines (cached per connection), or a callable reading them.
    """

    client: HubSpotClient
    conn: Connection
    ctx: AgentContext
    owners: OwnerLookup
    pipelines: ranking.PipelineCache

    # ----------------------------------------------------------------------- filters

    def _day_bounds(self, day: str) -> tuple[int, int]:
        zone = ZoneInfo(self.ctx.timezone)
        start = datetime.combine(datetime.fromisoformat(day).date(), time(0), tzinfo=zone)
        end = start + timedelta(days=1) - timedelta(milliseconds=1)
        return int(start.timestamp() * 1000), int(end.timestamp() * 1000)

    async def _filter(self, c: Condition) -> Filter:
        value, high, values = c.value, c.high_value, list(c.values)
        if c.kind == "owner" and value is not None and is_team_words(value):
            # "My team's deals": one owner condition becomes a set of owners.
            team = await self.owners.team_owner_ids(self.conn, user_email=self.ctx.user_email)
            operator = "NOT_IN" if c.operator in ("NEQ", "NOT_IN") else "IN"
            return Filter(property_name=c.property, operator=operator, values=team)
        if c.kind == "owner" and value is not None:
            owner = await self.owners.resolve(self.conn, value, user_email=self.ctx.user_email)
            value = owner.id
        elif c.kind == "stage":
            pipelines = await self.pipelines.pipelines(self.conn)
            try:
                if value is not None:
                    value = ranking.find_stage(pipelines, value)[1].id
                values = [ranking.find_stage(pipelines, v)[1].id for v in values]
            except ranking.StageNotFound as exc:
                raise QuestionError(str(exc)) from None
        elif c.property in _DAY_PROPERTIES:
            # A day means the whole day in the user's timezone.
            if value is not None and len(value) == 10:
                low_ms, high_ms = self._day_bounds(value)
                value = str(high_ms if c.operator in ("GT", "LTE") else low_ms)
            if high is not None and len(high) == 10:
                high = str(self._day_bounds(high)[1])
        return Filter(
            property_name=c.property, operator=c.operator, value=value, high_value=high, values=values or None
        )

    async def stage_ids(self, status: str) -> list[str]:
        """Stage ids of deals that are ``open``, ``won``, ``lost`` or ``closed``."""
        ids = []
        for p in await self.pipelines.pipelines(self.conn):
            for s in p.stages:
                closed = s.metadata.get("isClosed") == "true"
                won = closed and float(s.metadata.get("probability", "0") or 0) >= 1.0
                if (
                    (status == "open" and not closed)
                    or (status == "closed" and closed)
                    or (status == "won" and won)
                    or (status == "lost" and closed and not won)
                ):
                    ids.append(s.id)
        return ids

    async def _request(self, q: Question, about: Record | None, properties: Sequence[str]) -> SearchRequest:
        filters = [await self._filter(c) for c in q.conditions]
        if q.deal_status is not None:
            filters.append(
                Filter(property_name="dealstage", operator="IN", values=await self.stage_ids(q.deal_status))
            )
        if about is not None:
            filters.append(
                Filter(
                    property_name=f"associations.{singular(about['object_type'])}",
                    operator="EQ",
                    value=about["id"],
                )
            )
        sorts = (
            [Sort(property_name=q.sort_by, direction="DESCENDING" if q.descending else "ASCENDING")]
            if q.sort_by
            else []
        )
        return SearchRequest(
            filter_groups=[FilterGroup(filters=filters)] if filters else [],
            properties=list(dict.fromkeys(properties)),
            sorts=sorts,
            limit=PAGE,
        )

    async def _search_all(
        self, object_type: ObjectType, request: SearchRequest, cap: int = MAX_RESULTS
    ) -> tuple[int, list[CrmObject], bool]:
        result = await self.client.search_all(self.conn, object_type, request, max_results=cap)
        return result.total, result.results, result.truncated

    # ----------------------------------------------------------------------- answers

    async def answer(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        """The reply text and the records it is about (for "that deal" in the next turn)."""
        handler = getattr(self, f"_{q.kind}")
        text, records = await handler(q, about)
        return text, records

    def _type(self, q: Question) -> ObjectType:
        return q.object_type or "deals"

    def _props(self, q: Question) -> list[str]:
        t = self._type(q)
        return [*ranking.NAME_PROPERTIES[t], *q.fields, *([q.sort_by] if q.sort_by else [])]

    async def _count(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        t = self._type(q)
        request = (await self._request(q, about, ["hs_object_id"])).model_copy(update={"limit": 1})
        page = await self.client.search(self.conn, t, request)
        noun = t if page.total != 1 else singular(t)
        return f"{page.total} {self._status_word(q)}{noun}{self._about_words(about)}.", []

    async def _list(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        t = self._type(q)
        cap = q.limit or LIST_SHOWN
        total, records, _ = await self._search_all(t, await self._request(q, about, self._props(q)), cap=cap)
        if not records:
            return f"No {self._status_word(q)}{t}{self._about_words(about)} match.", []
        lines = [await self._line(t, r, q.fields) for r in records[:cap]]
        more = f"\n…and {total - len(lines)} more." if total > len(lines) else ""
        head = f"{total} {self._status_word(q)}{t if total != 1 else singular(t)}{self._about_words(about)}:"
        return head + "\n" + "\n".join(f"- {line}" for line in lines) + more, self._refs(t, records[:cap])

    async def _associations(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        return await self._list(q, about)

    async def _sum(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        _, records, truncated = await self._search_all(
            "deals", await self._request(q, about, ["amount", "dealname"])
        )
        total = sum(_amount(r) for r in records)
        note = " (first 2,000 deals only)" if truncated else ""
        return (
            f"Total value of {len(records)} {self._status_word(q)}deal{'s' if len(records) != 1 else ''}"
            f"{self._about_words(about)}: {_money(total)}{note}.",
            [],
        )

    async def _pipeline_by_stage(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        if q.deal_status is None:
            q = q.model_copy(update={"deal_status": "open"})
        _, records, _ = await self._search_all(
            "deals", await self._request(q, about, ["amount", "dealstage", "pipeline"])
        )
        pipelines = await self.pipelines.pipelines(self.conn)
        by_stage: dict[str, list[float]] = defaultdict(list)
        for r in records:
            by_stage[str(r.properties.get("dealstage") or "")].append(_amount(r))
        lines = []
        for stage_id, label in _stage_order(pipelines):
            if stage_id in by_stage:
                amounts = by_stage[stage_id]
                lines.append(
                    f"- {label}: {_money(sum(amounts))} ({len(amounts)} deal{'s' if len(amounts) != 1 else ''})"
                )
        grand = sum(_amount(r) for r in records)
        if not lines:
            return f"No {self._status_word(q)}deals{self._about_words(about)}.", []
        return (
            f"{self._status_word(q).strip().capitalize() or 'All'} pipeline by stage{self._about_words(about)}:\n"
            + "\n".join(lines)
            + f"\nTotal: {_money(grand)} across {len(records)} deals.",
            [],
        )

    async def _win_rate(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        won_ids, lost_ids = set(await self.stage_ids("won")), set(await self.stage_ids("lost"))
        closed = q.model_copy(update={"deal_status": "closed"})
        _, records, _ = await self._search_all(
            "deals", await self._request(closed, about, ["dealstage", "amount"])
        )
        won = sum(1 for r in records if r.properties.get("dealstage") in won_ids)
        lost = sum(1 for r in records if r.properties.get("dealstage") in lost_ids)
        if won + lost == 0:
            return (
                f"No closed deals{self._about_words(about)} in that period, so there is no win rate yet.",
                [],
            )
        rate = 100.0 * won / (won + lost)
        return f"Win rate{self._about_words(about)}: {rate:.0f}% ({won} won, {lost} lost).", []

    async def _lookup(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        if about is None:
            return "Which record do you mean?", []
        t: ObjectType = about["object_type"]
        props = dict(about.get("properties") or {})
        wanted = list(q.fields) or [
            p for p in ranking.NAME_PROPERTIES[t] if p not in ("firstname", "lastname")
        ]
        if any(f not in props for f in wanted):
            record = await self.client.get_object(self.conn, t, about["id"], properties=wanted)
            props.update(record.properties)
        parts = []
        for f in wanted:
            parts.append(f"{f}: {await self._show(f, props.get(f))}")
        return f"{about['label']} — " + "; ".join(parts) + ".", [self._ref_of(about)]

    async def _owners(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        owners = await self.client.list_owners(self.conn)
        lines = [f"- {owner_name(o)} ({o.email}) — owner id {o.id}" for o in owners]
        return f"{len(owners)} owners:\n" + "\n".join(lines), []

    async def _users(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        users = await self.client.list_users(self.conn)
        lines = [
            f"- {' '.join(p for p in (u.first_name, u.last_name) if p) or u.email} ({u.email})" for u in users
        ]
        return f"{len(users)} users:\n" + "\n".join(lines), []

    async def _teams(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        teams = await self.client.list_teams(self.conn)
        names: dict[str, str] = {}
        try:  # members are user ids; owners carry the same ids with names (a nicety, not required)
            names = {
                str(o.user_id): owner_name(o) for o in await self.client.list_owners(self.conn) if o.user_id
            }
        except HubSpotError:
            names = {}
        lines = []
        for t in teams:
            members = [names.get(u, f"user {u}") for u in t.user_ids]
            extra = [names.get(u, f"user {u}") for u in t.secondary_user_ids]
            also = f" (also: {', '.join(extra)})" if extra else ""
            lines.append(f"- {t.name}: {', '.join(members) or 'no members'}{also}")
        return f"{len(teams)} teams:\n" + "\n".join(lines), []

    async def _pipelines(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        pipelines = await self.pipelines.pipelines(self.conn)
        lines = [
            f"- {p.label}: " + ", ".join(s.label for s in sorted(p.stages, key=lambda s: s.display_order))
            for p in pipelines
        ]
        return "Deal pipelines and stages:\n" + "\n".join(lines), []

    async def _properties(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        t = self._type(q)
        props = [p for p in await self.client.list_properties(self.conn, t) if not p.hidden]
        names = ", ".join(f"{p.label} ({p.name})" for p in props[:40])
        more = f", and {len(props) - 40} more" if len(props) > 40 else ""
        return f"{t.capitalize()} have {len(props)} properties: {names}{more}.", []

    async def _account(self, q: Question, about: Record | None) -> tuple[str, list[RecordRef]]:
        a = await self.client.account_details(self.conn)
        return (
            f"HubSpot account {a.portal_id}: time zone {a.time_zone or 'unknown'}, currency "
            f"{a.company_currency or 'unknown'}, {a.ui_domain}.",
            [],
        )

    # ----------------------------------------------------------------------- formatting

    def _status_word(self, q: Question) -> str:
        return f"{q.deal_status} " if q.deal_status else ""

    def _about_words(self, about: Record | None) -> str:
        return f" for {about['label']}" if about else ""

    async def _show(self, prop: str, value: object) -> str:
        if value in (None, ""):
            return "(empty)"
        text = str(value)
        if prop.endswith("owner_id"):
            try:
                return await self.owners.label(self.conn, text)
            except Exception:  # a name is a nicety; the id is still the answer
                return text
        if prop == "dealstage":
            return ranking.stage_label(await self.pipelines.pipelines(self.conn), text)
        if prop == "amount":
            return _money(float(text))
        if prop in _DAY_PROPERTIES and len(text) >= 10:
            return text[:10]
        return text

    async def _line(self, t: ObjectType, r: CrmObject, fields: Sequence[str]) -> str:
        label = ranking.record_label(t, r)
        shown = [f for f in fields if f not in ("dealname", "name")]
        if not shown:
            shown = {
                "deals": ["amount", "dealstage", "closedate"],
                "contacts": ["email"],
                "companies": ["domain"],
            }.get(t, [])
        parts = [await self._show(f, r.properties.get(f)) for f in shown if r.properties.get(f)]
        return f"{label} ({', '.join(parts)})" if parts else label

    def _refs(self, t: ObjectType, records: Sequence[CrmObject]) -> list[RecordRef]:
        return [{"object_type": t, "id": r.id, "label": ranking.record_label(t, r)} for r in records]

    def _ref_of(self, rec: Record) -> RecordRef:
        return {"object_type": rec["object_type"], "id": rec["id"], "label": rec["label"]}


def _amount(r: CrmObject) -> float:
    try:
        return float(r.properties.get("amount") or 0)
    except ValueError:
        return 0.0


def _money(value: float) -> str:
    return f"${value:,.0f}" if value == int(value) else f"${value:,.2f}"


def _stage_order(pipelines: Sequence[Pipeline]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for p in sorted(pipelines, key=lambda p: (p.id != "default", p.display_order)):
        prefix = "" if len(pipelines) == 1 else f"{p.label} / "
        out.extend((s.id, prefix + s.label) for s in sorted(p.stages, key=lambda s: s.display_order))
    return out

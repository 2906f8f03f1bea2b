"""Finding the records, stages and pipelines the user names.

Mentions are looked up with one CRM search each and the results ranked with rapidfuzz over the
fields people use to name records (names, domains, emails). One clear winner is taken; several
good candidates become a question listing what tells them apart; none means "not found".
Pipelines (and so stage labels → stage ids) are read once per connection and cached.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from rapidfuzz import fuzz, utils

from agent.identity.store import PIPELINES_KIND
from agent.state import Choice
from tools.hubspot import Connection, HubSpotClient, ObjectType
from tools.hubspot.models import CrmObject, Filter, FilterGroup, Pipeline, PipelineStage, SearchRequest

GOOD_SCORE: Final = 85.0
"""A candidate at least this similar to the user's words is a plausible match."""
CLEAR_MARGIN: Final = 8.0
"""The best candidate wins outright when it beats the next by this much (or is an exact match)."""
SEARCH_LIMIT: Final = 20

# The properties each type is named by (searched and ranked) and shown with (to tell candidates apart).
NAME_PROPERTIES: Final[dict[ObjectType, tuple[str, ...]]] = {
    "contacts": ("firstname", "lastname", "email", "company", "jobtitle", "hubspot_owner_id"),
    "companies": ("name", "domain", "city", "state", "hubspot_owner_id"),
    "deals": ("dealname", "amount", "dealstage", "pipeline", "closedate", "hubspot_owner_id"),
    "tasks": ("hs_task_subject", "hs_task_status", "hs_timestamp"),
    "notes": ("hs_note_body", "hs_timestamp"),
    "emails": ("hs_email_subject", "hs_timestamp"),
    "meetings": ("hs_meeting_title", "hs_meeting_start_time"),
    "calls": ("hs_call_title", "hs_timestamp"),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)/?$", re.I)
_STOP = frozenset({"the", "a", "an", "deal", "company", "contact", "inc", "corp", "ltd", "llc", "co"})


def record_label(object_type: ObjectType, record: CrmObject) -> str:
    """How a person names a record: full name, company name, deal name, subject."""
    p = record.properties
    if object_type == "contacts":
        name = " ".join(v for v in (p.get("firstname"), p.get("lastname")) if v)
        return name or p.get("email") or f"contact {record.id}"
    key = {
        "companies": "name",
        "deals": "dealname",
        "tasks": "hs_task_subject",
        "notes": "hs_note_body",
        "emails": "hs_email_subject",
        "meetings": "hs_meeting_title",
        "calls": "hs_call_title",
    }[object_type]
    value = p.get(key) or (p.get("domain") if object_type == "companies" else None)
    if value:
        return value if len(value) <= 60 else value[:57] + "..."
    return f"{object_type[:-1]} {record.id}"


def record_details(object_type: ObjectType, record: CrmObject) -> str:
    """What tells a record apart from others with a similar name ("jane@acme.com · Acme Corp")."""
    p = record.properties
    keys: tuple[str, ...]
    if object_type == "contacts":
        keys = ("email", "company", "jobtitle")
    elif object_type == "companies":
        keys = ("domain", "city")
    elif object_type == "deals":
        keys = ("amount", "dealstage", "closedate")
    else:
        keys = ()
    parts = [str(p[k])[:10] if k == "closedate" else str(p[k]) for k in keys if p.get(k)]
    if object_type == "deals" and p.get("amount"):
        parts[0] = f"${float(str(p['amount'])):,.0f}"
    return " · ".join([*parts, f"id {record.id}"])


def classify(text: str) -> str:
    """``email``, ``domain`` or ``name``: how the user's words identify a record."""
    t = text.strip()
    if _EMAIL.match(t):
        return "email"
    if _DOMAIN.match(t) and " " not in t:
        return "domain"
    return "name"


def _tokens(text: str) -> list[str]:
    words = [w for w in re.split(r"[^\w@.-]+", text.lower()) if w]
    useful = [w for w in words if w not in _STOP]
    return useful or words


def search_request(object_type: ObjectType, text: str, extra_properties: Sequence[str] = ()) -> SearchRequest:
    """One search that finds the records ``text`` may name (broad; ranking narrows it down)."""
    properties = list(dict.fromkeys([*NAME_PROPERTIES[object_type], *extra_properties]))
    kind = classify(text)
    value = text.strip().lower()
    if kind == "email" and object_type == "contacts":
        groups = [FilterGroup(filters=[Filter(property_name="email", operator="EQ", value=value)])]
        return SearchRequest(filter_groups=groups, properties=properties, limit=SEARCH_LIMIT)
    if kind == "domain" and object_type == "companies":
        domain = _DOMAIN.match(value)
        assert domain is not None
        groups = [FilterGroup(filters=[Filter(property_name="domain", operator="EQ", value=domain.group(1))])]
        return SearchRequest(filter_groups=groups, properties=properties, limit=SEARCH_LIMIT)
    if object_type == "contacts":
        # Full-text search matches one property at a time; a person's name spans two, so OR the
        # name tokens over first and last name and let the ranking pick.
        groups = [
            FilterGroup(filters=[Filter(property_name=prop, operator="CONTAINS_TOKEN", value=token)])
            for token in _tokens(value)[:2]
            for prop in ("firstname", "lastname")
        ]
        return SearchRequest(filter_groups=groups, properties=properties, limit=SEARCH_LIMIT)
    return SearchRequest(query=value, properties=properties, limit=SEARCH_LIMIT)


def score(object_type: ObjectType, text: str, record: CrmObject) -> float:
    """Similarity (0-100) of the user's words to what they name: an email to the email, a domain to
    the domain, a name to the record's name (never a name to an email, which shares first names)."""
    p = record.properties
    kind = classify(text)
    if kind == "email":
        fields = [str(p.get("email") or "")]
    elif kind == "domain":
        fields = [str(p.get("domain") or ""), str(p.get("website") or "")]
    else:
        fields = [record_label(object_type, record)]
    return max(fuzz.WRatio(text, f, processor=utils.default_process) for f in fields)


@dataclass(frozen=True)
class Ranked:
    """A search result with its similarity to the user's words."""

    record: CrmObject
    score: float


def rank(
    object_type: ObjectType, text: str, records: Sequence[CrmObject], qualifier: str | None = None
) -> list[Ranked]:
    """Records ordered by similarity; a qualifier ("at Initech") boosts records whose details match it."""
    ranked: list[Ranked] = []
    detail = qualifier_words(qualifier) if qualifier else ""
    for record in records:
        s = score(object_type, text, record) if text else 50.0
        if detail and fuzz.partial_ratio(detail, record_details(object_type, record).lower()) >= 85:
            # The details hold the company name and the email (so its domain): "dana at vandelay".
            s += 10.0
        ranked.append(Ranked(record, s))
    ranked.sort(key=lambda r: r.score, reverse=True)
    return ranked


def qualifier_words(qualifier: str) -> str:
    """The telling words of a qualifier: "at vandelay" → "vandelay", "from the globex team" → "globex team".

    Filler words ("at", "from", "the one") would otherwise drag the fuzzy score of a matching detail
    below the threshold.
    """
    text = qualifier.strip().lower()
    return " ".join(w for w in re.findall(r"[\w@.-]+", text) if w not in _FILLER) or text


def pick(ranked: Sequence[Ranked]) -> tuple[CrmObject | None, list[Ranked]]:
    """The clear winner, else the good candidates to ask about (empty: nothing plausible)."""
    good = [r for r in ranked if r.score >= GOOD_SCORE]
    if not good:
        return None, []
    if len(good) == 1 or good[0].score - good[1].score >= CLEAR_MARGIN:
        return good[0].record, []
    if good[0].score >= 100.0 and good[1].score < 100.0:
        return good[0].record, []
    return None, good


_ORDINALS: Final = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "two": 1, "third": 2, "3rd": 2, "three": 2,
    "fourth": 3, "4th": 3, "four": 3, "fifth": 4, "5th": 4, "five": 4, "last": -1,
}  # fmt: skip


def match_choice(choice: str, candidates: Sequence[Choice]) -> Choice | None:
    """The candidate the user picked ("2", "the second one", "the one at Initech", "Jane Smith")."""
    if not candidates:
        return None
    text = choice.strip().lower()
    for c in candidates:
        if c["id"] == text:
            return c
    if text.isdigit():
        index = int(text) - 1
        return candidates[index] if 0 <= index < len(candidates) else None
    for word in re.findall(r"\w+", text):
        if word in _ORDINALS:
            index = _ORDINALS[word]
            if -len(candidates) <= index < len(candidates):
                return candidates[index]
    # Drop filler ("the one at ...") so the distinguishing words are compared with the details.
    words = " ".join(w for w in re.findall(r"[\w@.-]+", text) if w not in _FILLER) or text
    scored = [
        (
            max(
                fuzz.WRatio(words, c["label"], processor=utils.default_process),
                fuzz.partial_ratio(words, c.get("details", "").lower()),
            ),
            i,
        )
        for i, c in enumerate(candidates)
    ]
    scored.sort(key=lambda s: s[0], reverse=True)
    best, index = scored[0]
    if best < 75 or (len(scored) > 1 and scored[1][0] == best):
        return None
    return candidates[index]


_FILLER: Final = frozenset(
    {"the", "one", "at", "from", "with", "of", "in", "who", "is", "works", "that", "i", "mean", "please",
     "person", "contact", "company", "deal", "guy", "a", "an", "on", "for", "it's", "its"}
)  # fmt: skip


class MetadataStore(Protocol):
    """Where the identity sync keeps a tenant's portal metadata (``IdentityStore`` has these)."""

    async def save_metadata(self, tenant_id: str, kind: str, body: Any, *, now: datetime) -> None: ...

    async def metadata(self, tenant_id: str, kind: str) -> tuple[Any, datetime] | None: ...


PIPELINES_MAX_AGE = timedelta(hours=12)


class PipelineCache:
    """Deal pipelines per connection: from memory, else as the identity sync kept them, else one read
    (``GET /crm/v3/pipelines/deals``), which is kept for the other processes too.

    Concurrent turns of a connection share one read (single flight). Kept pipelines older than
    ``max_age`` are read again; a stage label nobody knows makes the caller :meth:`refresh` once.
    """

    def __init__(
        self,
        client: HubSpotClient,
        *,
        store: MetadataStore | None = None,
        max_age: timedelta = PIPELINES_MAX_AGE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._store = store
        self._max_age = max_age
        self._clock = clock
        self._cache: dict[str, list[Pipeline]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def pipelines(self, conn: Connection) -> list[Pipeline]:
        """Every deal pipeline with its stages."""
        key = conn.portal_key
        if key in self._cache:
            return self._cache[key]
        async with self._locks.setdefault(key, asyncio.Lock()):
            if key not in self._cache:
                self._cache[key] = await self._load(conn)
        return self._cache[key]

    async def _load(self, conn: Connection) -> list[Pipeline]:
        if self._store is not None:
            kept = await self._store.metadata(conn.tenant_id, PIPELINES_KIND)
            if kept is not None and self._clock() - kept[1] <= self._max_age:
                return [Pipeline.model_validate(p) for p in kept[0]]
        pipelines = await self._client.list_pipelines(conn, "deals")
        if self._store is not None:
            body = [p.model_dump(mode="json") for p in pipelines]
            await self._store.save_metadata(conn.tenant_id, PIPELINES_KIND, body, now=self._clock())
        return pipelines

    def cached(self, conn: Connection) -> list[Pipeline] | None:
        """The pipelines if already read (no request)."""
        return self._cache.get(conn.portal_key)


class StageNotFound(LookupError):
    """No stage (or pipeline) matches the user's words."""


def _best(text: str, options: dict[str, str]) -> str | None:
    low = text.strip().lower()
    for key, label in options.items():
        if low in (key.lower(), label.lower()):
            return key
    scored = sorted(
        ((fuzz.WRatio(low, label, processor=utils.default_process), key) for key, label in options.items()),
        reverse=True,
    )
    if scored and scored[0][0] >= 80 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][1]
    return None


def find_pipeline(pipelines: Sequence[Pipeline], text: str) -> Pipeline:
    """The pipeline named ``text`` (id or label)."""
    found = _best(text, {p.id: p.label for p in pipelines})
    if found is None:
        raise StageNotFound(f"No deal pipeline is called {text!r}.")
    return next(p for p in pipelines if p.id == found)


def find_stage(
    pipelines: Sequence[Pipeline], text: str, pipeline_id: str | None = None
) -> tuple[Pipeline, PipelineStage]:
    """The stage named ``text`` (id or label), in ``pipeline_id`` when given, else in any pipeline
    (the default pipeline first)."""
    ordered = sorted(pipelines, key=lambda p: (p.id != "default", p.display_order))
    if pipeline_id is not None:
        ordered = [p for p in ordered if p.id == pipeline_id]
    for pipeline in ordered:
        found = _best(text, {s.id: s.label for s in pipeline.stages})
        if found is not None:
            return pipeline, next(s for s in pipeline.stages if s.id == found)
    where = f" in pipeline {pipeline_id}" if pipeline_id else ""
    raise StageNotFound(f"No deal stage is called {text!r}{where}.")


def stage_label(pipelines: Sequence[Pipeline], stage_id: str) -> str:
    """The label of a stage id (the id itself when unknown)."""
    for p in pipelines:
        for s in p.stages:
            if s.id == stage_id:
                return s.label
    return stage_id

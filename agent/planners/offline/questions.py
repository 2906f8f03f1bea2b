"""Questions: counts, filtered lists, lookups, associations, analysis and portal metadata.

The question's kind comes from its cue words ("how many" -> count, "win rate" -> win_rate), its
object type from the first object noun, and its filters from the slots: owner ("my", "Sam's"),
date ranges (the type's natural date property), amounts ("over 50k"), stages and deal status.
"""

from __future__ import annotations

import re
from typing import Final

from agent.plan import Condition, Mention, Operator, Plan, Question, QuestionKind
from agent.planners.offline.lexicon import COMPANY_SUFFIXES, OBJECT_NOUNS, words
from agent.planners.offline.slots import content_words, find_stage
from agent.planners.offline.text import BREAK_WORDS, Utterance
from tools.hubspot.types import ObjectType

_DATE_PROPERTY: Final[dict[ObjectType, str]] = {
    "deals": "closedate",
    "tasks": "hs_timestamp",
    "notes": "hs_timestamp",
    "calls": "hs_timestamp",
    "meetings": "hs_timestamp",
    "emails": "hs_timestamp",
    "contacts": "createdate",
    "companies": "createdate",
}
_FIELD_WORDS: Final[tuple[tuple[str, str], ...]] = (
    ("job title", "jobtitle"),
    ("title", "jobtitle"),
    ("email address", "email"),
    ("email", "email"),
    ("mobile", "mobilephone"),
    ("cell", "mobilephone"),
    ("phone", "phone"),
    ("number", "phone"),
    ("domain", "domain"),
    ("website", "domain"),
    ("close date", "closedate"),
    ("closing date", "closedate"),
    ("amount", "amount"),
    ("worth", "amount"),
    ("value", "amount"),
    ("stage", "dealstage"),
    ("lifecycle", "lifecyclestage"),
    ("owner", "hubspot_owner_id"),
    ("industry", "industry"),
    ("city", "city"),
    ("address", "address"),
)
_COMPARATORS: Final[tuple[tuple[str, Operator], ...]] = (
    (r"(?:over|above|more than|greater than|bigger than|larger than|higher than|>)", "GT"),
    (r"(?:at least|min(?:imum)?|>=)", "GTE"),
    (r"(?:under|below|less than|smaller than|lower than|<)", "LT"),
    (r"(?:at most|max(?:imum)?|<=|up to)", "LTE"),
)


def _object_type(u: Utterance, start: int) -> ObjectType | None:
    if u.find(
        r"\bwho\b.*\b(?:know|works?|work|is|are)\s+(?:at|for|from|in)\b|\bwho\s+(?:do|does)\s+\w+\s+know\b"
    ):
        return "contacts"  # "who do we know at soylent?"
    latest = u.find(r"\b(?:latest|last|recent|most recent|newest)\s+(email|call|meeting|note|task)s?\b")
    if latest:
        return OBJECT_NOUNS[latest.group(1).lower()]
    for token in u.tokens[start:]:
        if token.low in OBJECT_NOUNS:
            return OBJECT_NOUNS[token.low]
    if u.has("pipeline", "won", "lost", "closing", "win rate", "open"):
        return "deals"
    if u.has("on my plate", "agenda", "to do list", "task list", "my day"):
        return "tasks"
    return None


_TEAM_OWNED = r"\b(?:my|our|the)\s+(?:sales\s+)?team(?:'s|s)?\b"
"""Records owned by the user's team(s): "my team's open deals", "deals for our team"."""


def _owner_condition(u: Utterance) -> Condition | None:
    if u.find(_TEAM_OWNED):
        return Condition(property="hubspot_owner_id", operator="EQ", value="my team", kind="owner")
    if u.has(
        "my",
        "mine",
        "i own",
        "i have",
        "assigned to me",
        "owned by me",
        "do i",
        "am i",
        "did i",
        "i logged",
        "i've",
    ):
        return Condition(property="hubspot_owner_id", operator="EQ", value="me", kind="owner")
    m = u.find(
        r"\b(?:owned by|assigned to|belonging to|owner is|for owner)\s+([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?|[a-z][\w'-]+)"
    )
    if m:
        return Condition(property="hubspot_owner_id", operator="EQ", value=m.group(1), kind="owner")
    m = u.find(
        r"\bwhat(?:'s|s|\s+has|\s+does|\s+is)\s+([A-Za-z][\w'-]*)\s+(?:got|have|has|working on|own|owns)\b"
    )
    if m and m.group(1).lower() not in ("the", "it", "that", "there", "this", "my", "our", "i", "we"):
        return Condition(property="hubspot_owner_id", operator="EQ", value=m.group(1), kind="owner")
    m = u.find(r"\bdoes\s+([A-Z][\w'-]*)\s+(?:own|have)\b")
    if m and u.find(r"\bown\b"):
        return Condition(property="hubspot_owner_id", operator="EQ", value=m.group(1), kind="owner")
    return None


def _amount_conditions(u: Utterance) -> list[Condition]:
    if not u.amounts:
        return []
    between = u.find(r"\bbetween\b")
    if between and len(u.amounts) >= 2:
        low, high = u.amounts[0].value, u.amounts[1].value
        return [Condition(property="amount", operator="BETWEEN", value=low, high_value=high)]
    hit = u.amounts[0]
    before = u.text[: hit.start].lower()
    for pattern, operator in _COMPARATORS:
        if re.search(pattern + r"\s*(?:a\s+)?$", before.rstrip()):
            return [Condition(property="amount", operator=operator, value=hit.value)]
    return [Condition(property="amount", operator="EQ", value=hit.value)]


def _date_condition(u: Utterance, kind: ObjectType) -> Condition | None:
    span = u.temporal.period()
    if span is None:
        return None
    prop = _DATE_PROPERTY[kind]
    if kind in ("contacts", "companies", "deals") and u.has("created", "added", "new"):
        prop = "createdate"
    if kind == "deals" and u.has("modified", "updated", "touched", "changed"):
        prop = "hs_lastmodifieddate"
    if u.has("overdue", "before", "until") and span[0] == span[1]:
        return Condition(property=prop, operator="LT", value=span[0].isoformat())
    return Condition(
        property=prop, operator="BETWEEN", value=span[0].isoformat(), high_value=span[1].isoformat()
    )


def _missing_conditions(u: Utterance) -> list[Condition]:
    conditions: list[Condition] = []
    for phrase, prop in (
        ("close date", "closedate"),
        ("amount", "amount"),
        ("owner", "hubspot_owner_id"),
        ("email", "email"),
        ("phone", "phone"),
        ("domain", "domain"),
    ):
        if u.find(
            r"\b(?:no|without|missing|without an?|with no|lacking|empty)\s+(?:an?\s+)?" + phrase + r"\b"
        ):
            conditions.append(Condition(property=prop, operator="NOT_HAS_PROPERTY"))
    if u.has("unassigned", "no owner") and not any(c.property == "hubspot_owner_id" for c in conditions):
        conditions.append(Condition(property="hubspot_owner_id", operator="NOT_HAS_PROPERTY"))
    return conditions


_NOT_NAMES: Final[frozenset[str]] = BREAK_WORDS | words(
    "what whats what's who whos who's how where which show tell list find get pull give is are"
)


_NOT_RECORDS: Final[frozenset[str]] = words(
    "hubspot portal account pipeline least most all once each every anyone someone anybody somebody everyone "
    "recently lately"
)


def _about(u: Utterance, start: int, asked: ObjectType | None) -> Mention | None:
    """The record a question is about: "Jane's deals", "contacts at Initech", "does Globex have"."""
    tokens = u.tokens
    for index in range(start, len(tokens)):
        token = tokens[index]
        low = token.low
        if token.text.lower().endswith("'s") and low not in (
            "what",
            "who",
            "where",
            "that",
            "it",
            "there",
            "how",
            "here",
        ):
            # "jane doe's phone": the name may start a few words before the possessive.
            first = index
            while (
                first > start
                and not tokens[first - 1].is_boundary
                and tokens[first - 1].low not in _NOT_NAMES
            ):
                first -= 1
            mention, _ = u.mention_at(first, "contacts" if asked != "contacts" else "companies")
            if mention is not None:
                return mention
        if low in (
            "at",
            "for",
            "with",
            "on",
            "of",
            "does",
            "do",
            "about",
            "is",
            "owns",
            "own",
            "did",
            "has",
            "from",
            "in",
            "call",
            "called",
            "email",
            "emailed",
            "meet",
            "met",
        ):
            nxt = tokens[index + 1].low if index + 1 < len(tokens) else ""
            if nxt in ("me", "i", "my", "we", "our", "us", "stage", "a", "an"):
                continue
            default: ObjectType = (
                "companies" if low in ("at", "for", "of", "owns", "own", "on") else "contacts"
            )
            if low in ("does", "do", "is", "has", "did") and asked in ("deals", "contacts"):
                default = "companies"
            if low == "about":
                # A lone word ("Initech") is more often a company, two ("Jane Doe") a person.
                two_words = index + 2 < len(tokens) and not tokens[index + 2].is_boundary
                default = "contacts" if two_words else "companies"
            mention, _ = u.mention_at(index + 1, default)
            if mention is None or mention.text.lower() in _NOT_RECORDS:
                continue
            if low == "in" and not mention.text[:1].isupper():
                continue  # "deals in contract sent": a stage, not a record
            return mention
    return None


def _kind(u: Utterance) -> QuestionKind | None:
    checks: tuple[tuple[tuple[str, ...], QuestionKind], ...] = (
        (("win rate", "win ratio", "close rate", "conversion rate", "win percentage", "win %"), "win_rate"),
        (
            (
                "by stage",
                "per stage",
                "each stage",
                "stage breakdown",
                "breakdown by stage",
                "pipeline value by",
            ),
            "pipeline_by_stage",
        ),
        (
            (
                "time zone",
                "timezone",
                "currency",
                "portal id",
                "hub id",
                "account id",
                "account details",
                "our portal",
                "our account",
                "portal details",
            ),
            "account",
        ),
        (("properties", "fields", "custom fields", "custom properties"), "properties"),
        (
            ("deal stages", "pipeline stages", "stages", "pipelines", "our pipeline", "what pipelines"),
            "pipelines",
        ),
        (("team", "teams"), "teams"),
        (("users", "seats", "roles", "user list"), "users"),
        (("owners", "list owners", "owner list", "who can own"), "owners"),
    )
    for cues, kind in checks:
        if u.has(*cues):
            return kind
    return None


def plan_question(u: Utterance, start: int, summary: bool) -> Plan:
    """Plan a read; ``summary`` marks a request for a written summary."""
    kind = _kind(u)
    asked = _object_type(u, start)
    if kind == "teams" and asked is not None and u.find(_TEAM_OWNED):
        kind = None  # "my team's open deals" asks for the team's records, not the list of teams
    if kind in ("account", "owners", "users", "teams"):
        return Plan(intent="question", question=Question(kind=kind), wants_summary=summary)
    if kind == "pipelines" and not u.has("how many", "value", "total"):
        return Plan(
            intent="question", question=Question(kind="pipelines", object_type="deals"), wants_summary=summary
        )
    if kind == "properties" and not u.find(r"'s\b"):
        return Plan(
            intent="question",
            question=Question(kind="properties", object_type=asked or "deals"),
            wants_summary=summary,
        )
    if kind == "pipeline_by_stage":
        question = Question(kind="pipeline_by_stage", object_type="deals", deal_status="open")
        owner = _owner_condition(u)
        if owner:
            question.conditions.append(owner)
        return Plan(intent="question", question=question, wants_summary=summary)
    status = _deal_status(u)
    if kind == "win_rate":
        question = Question(kind="win_rate", object_type="deals", deal_status="closed")
        _add_filters(question, u, "deals", with_stage=False)
        return Plan(intent="question", question=question, wants_summary=summary)
    if u.find(r"\bwho\s+(?:owns|is the owner of|is responsible for|manages|handles)\b") or u.find(
        r"\bwho'?s?\s+(?:the\s+)?owner\b"
    ):
        about = _about(u, start, None)
        if about is not None:
            return Plan(
                intent="question",
                question=Question(
                    kind="lookup",
                    object_type=about.object_type,
                    about=about,
                    fields=[*(f for f in _fields(u) if f != "hubspot_owner_id"), "hubspot_owner_id"],
                ),
                wants_summary=summary,
            )
    if u.find(r"\b(?:what|which)\s+stage\b|\bstage\s+(?:is|of)\b|\bwhere\s+is\b.*\bdeal\b"):
        about = _about(u, start, "deals")
        if about is not None:
            about = about.model_copy(update={"object_type": "deals"}) if not about.refers_back else about
            return Plan(
                intent="question",
                question=Question(kind="lookup", object_type="deals", about=about, fields=["dealstage"]),
                wants_summary=summary,
            )
    fields = _fields(u)
    city = u.find(r"\b(?:in|based in|located in|from)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s*\??$")
    if city and asked in ("companies", "contacts") and find_stage(u, [], allow_single=False) is None:
        # "which companies are in Berlin?": a place, not a record.
        question = Question(kind="list", object_type=asked)
        question.conditions.append(Condition(property="city", operator="EQ", value=city.group(1)))
        _add_filters(question, u, asked, with_stage=False)
        return Plan(intent="question", question=question, wants_summary=summary)
    asked_kind: QuestionKind
    if u.has("how many", "count", "number of", "how much is the number"):
        asked_kind = "count"
    elif u.has(
        "total", "sum", "how much", "value of", "worth of", "combined", "pipeline value", "total value"
    ):
        asked_kind = "sum"
        asked = "deals"
    else:
        asked_kind = "list"
    record_fields = [field for field in fields if field in _CONTACT_FIELDS + _COMPANY_FIELDS]
    if record_fields and asked_kind == "list" and asked in (None, "emails", "calls"):
        # "what's Jane's email?", "phone number for Jane Doe": a field of one record, not emails.
        asked = None
    about = _about(u, start, asked) or _opener_mention(u, start, asked, record_fields)
    if (
        about is not None
        and record_fields
        and asked is None
        and asked_kind == "list"
        and not about.refers_back
    ):
        wanted: ObjectType = "companies" if all(f in _COMPANY_FIELDS for f in record_fields) else "contacts"
        if about.object_type != wanted and about.text.split()[-1].lower() not in COMPANY_SUFFIXES:
            about = about.model_copy(update={"object_type": wanted})
    if about is not None and asked is not None and asked != about.object_type and asked_kind == "list":
        question = Question(kind="associations", object_type=asked, about=about)
        _add_filters(question, u, asked, with_stage=True, status=status)
        _sorting(question, u)
        return Plan(intent="question", question=question, wants_summary=summary)
    if about is not None and (asked is None or asked == about.object_type) and asked_kind == "list":
        return Plan(
            intent="question",
            question=Question(kind="lookup", object_type=about.object_type, about=about, fields=fields),
            wants_summary=summary,
        )
    if asked is None:
        return Plan(intent="unsupported", not_understood=content_words(u) or [u.raw])
    question = Question(
        kind=asked_kind, object_type=asked, about=about if about and about.object_type != asked else None
    )
    _add_filters(question, u, asked, with_stage=True, status=status)
    _sorting(question, u)
    if asked_kind == "sum" and question.deal_status is None and not u.has("won", "lost", "closed"):
        question.deal_status = "open" if u.has("open", "pipeline") else None
    return Plan(intent="question", question=question, wants_summary=summary)


_CONTACT_FIELDS: Final[list[str]] = ["email", "phone", "mobilephone", "jobtitle", "lifecyclestage", "address"]
_COMPANY_FIELDS: Final[list[str]] = ["domain", "industry", "city"]
_OPENERS: Final[frozenset[str]] = words(
    "show me tell about pull up look lookup find get give summarize summarise recap brief on details for of the "
    "info everything a summary write"
)
_ASKING: Final[frozenset[str]] = words("what whats what's is are was")


def _opener_mention(u: Utterance, start: int, asked: ObjectType | None, fields: list[str]) -> Mention | None:
    """The record right after an opener: "pull up Jane Doe", "summarize the Globex deal".

    "what's" opens a record only when a field is asked ("whats priya ramans email"); otherwise
    "what's the weather like" would name a record "weather like".
    """
    openers = _OPENERS | _ASKING if fields else _OPENERS
    index = start
    while index < len(u.tokens) and u.tokens[index].low in openers:
        if (
            u.tokens[index].low == "the"
            and index + 1 < len(u.tokens)
            and u.tokens[index + 1].low in OBJECT_NOUNS
        ):
            break
        index += 1
    if index == start or index >= len(u.tokens) or u.tokens[index].low in ("my", "our", "all", "open"):
        return None
    # A lone word ("Initech") is more often a company, two ("Jane Doe") a person.
    two_words = index + 1 < len(u.tokens) and not u.tokens[index + 1].is_boundary
    mention, after = u.mention_at(index, asked or ("contacts" if two_words else "companies"))
    if mention is None or (not mention.refers_back and not mention.text):
        return None
    if after < len(u.tokens) and u.tokens[after].low in ("got", "has", "have", "owns", "own"):
        return None  # "what's sam got open": Sam owns the records asked for
    # The field may follow the name or have been read as the name's type ("ramans email").
    field_next = any(
        0 <= position < len(u.tokens) and u.tokens[position].low == cue
        for position in (after - 1, after)
        for cue, _ in _FIELD_WORDS
    )
    words = mention.text.split()  # empty for "her" / "its": a record of an earlier turn
    last = words[-1] if words else ""
    if field_next and len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        # "whats priya ramans email": a possessive typed without its apostrophe.
        mention = mention.model_copy(update={"text": mention.text[:-1]})
    return mention


def _deal_status(u: Utterance) -> str | None:
    if u.has("won", "closed won", "wins", "win"):
        return "won"
    if u.has("lost", "closed lost", "lose", "losses"):
        return "lost"
    if u.has("open", "active", "in progress", "pipeline", "in the pipeline"):
        return "open"
    if u.has("closed"):
        return "closed"
    return None


def _add_filters(
    question: Question, u: Utterance, asked: ObjectType, with_stage: bool, status: str | None = None
) -> None:
    owner = _owner_condition(u)
    if owner:
        question.conditions.append(owner)
    date_condition = _date_condition(u, asked)
    if date_condition:
        question.conditions.append(date_condition)
    if asked == "deals":
        question.conditions.extend(_amount_conditions(u))
        stage = (
            find_stage(u, u.given.stage_labels if u.given else [], allow_single=False) if with_stage else None
        )
        if stage is not None and not stage.label.lower().startswith("closed"):
            question.conditions.append(
                Condition(property="dealstage", operator="EQ", value=stage.label, kind="stage")
            )
        elif status in ("open", "won", "lost", "closed"):
            question.deal_status = status  # type: ignore[assignment]
        if stage is not None and stage.label.lower().startswith("closed"):
            question.deal_status = "won" if "won" in stage.label.lower() else "lost"
    if asked == "tasks":
        if u.has("open", "outstanding", "pending", "incomplete", "not done", "overdue", "to do"):
            question.conditions.append(
                Condition(property="hs_task_status", operator="NEQ", value="COMPLETED")
            )
        elif u.has("completed", "done", "finished"):
            question.conditions.append(Condition(property="hs_task_status", operator="EQ", value="COMPLETED"))
        if u.has("overdue") and not any(c.property == "hs_timestamp" for c in question.conditions):
            today = u.given.now.date().isoformat() if u.given else ""
            question.conditions.append(Condition(property="hs_timestamp", operator="LT", value=today))
    if asked == "contacts":
        for word, value in (
            ("customers", "customer"),
            ("leads", "lead"),
            ("subscribers", "subscriber"),
            ("evangelists", "evangelist"),
        ):
            if u.has(word):
                question.conditions.append(Condition(property="lifecyclestage", operator="EQ", value=value))
    question.conditions.extend(_missing_conditions(u))


def _sorting(question: Question, u: Utterance) -> None:
    m = u.find(
        r"\b(?:top|biggest|largest|first|last|latest|newest|recent|oldest|smallest)\s+(\d+)\b"
    ) or u.find(r"\b(\d+)\s+(?:biggest|largest|latest|newest|most recent|oldest|smallest)\b")
    if m:
        question.limit = int(m.group(1))
    if u.has("biggest", "largest", "top", "highest", "most valuable"):
        question.sort_by = "amount"
    elif u.has("smallest", "lowest"):
        question.sort_by, question.descending = "amount", False
    elif u.has("latest", "newest", "recent", "recently", "most recent", "lately") or u.find(
        r"\blast\s+(?:\d+|email|call|meeting|note|task)\b"
    ):
        activity = question.object_type in ("emails", "calls", "meetings", "notes", "tasks")
        question.sort_by = "hs_timestamp" if activity else "createdate"
        if u.find(
            r"\b(?:the\s+|her\s+|his\s+|their\s+)?(?:latest|last|most recent|newest)\s+(?:email|call|meeting|note|task)\b"
        ):
            question.limit = question.limit or 1
    elif u.has("oldest", "earliest"):
        question.sort_by, question.descending = "createdate", False


def _fields(u: Utterance) -> list[str]:
    fields: list[str] = []
    if u.find(r"\b(?:latest|last|recent|most recent|newest)\s+(?:email|call|meeting|note|task)s?\b"):
        return fields
    if u.find(r"\bwhen\b.*\b(?:close|closes|closing)\b"):
        fields.append("closedate")
    for cue, prop in _FIELD_WORDS:
        if u.has(cue) and prop not in fields and not (cue == "title" and "jobtitle" in fields):
            if cue in ("number", "value", "worth") and fields:
                continue
            fields.append(prop)
    return fields

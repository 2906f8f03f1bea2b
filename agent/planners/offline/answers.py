"""Replies to what the agent asked: edits of a pending confirmation, choices of a pending question.

Plain yes / no / cancel never reach here (:func:`agent.planners.quick.quick_answer` reads them).
A reply that is clearly a new request returns None, and the planner plans it as one (the graph
then cancels what was pending).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Final

from rapidfuzz import fuzz

from agent.plan import Answer, Plan, Value
from agent.planners.base import PlanningInput
from agent.planners.offline.dates import to_utc_iso
from agent.planners.offline.slots import find_job_title, find_lifecycle, find_owner, find_priority, find_stage
from agent.planners.offline.text import Utterance

_ORDINALS: Final[dict[str, int]] = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
}
_NEW_RECORD: Final[re.Pattern[str]] = re.compile(
    r"^(?:(?:yes|yeah|yep|ok|okay|sure)[,!.]?\s+)?(?:please\s+|pls\s+|go ahead and\s+)?(?:create|add|make|new)\b(?:\s+(?:it|one|a new one|new one|a new|new|that|them|him|her))?[\s.!]*$|"
    r"^(?:a\s+)?new one\b|^(?:create|add)\s+(?:a\s+)?new\s+(?:one|contact|company|deal|record)[\s.!]*$|^none of (?:them|these|those)",
    re.IGNORECASE,
)
_TASK_CLOCK: Final[time] = time(9, 0)


def _pending_type(given: PlanningInput) -> str:
    """The kind of record the pending confirmation writes ("Create deal: ..." -> ``deal``)."""
    summary = given.pending_summary.lower()
    lead = re.search(
        r"\b(?:create|update|link|log)\s+(deal|contact|company|task|note|call|meeting|email)\b", summary
    )
    if lead:
        return lead.group(1)
    for word in ("task", "meeting", "call", "note", "email", "deal", "contact", "company"):
        if word in summary:
            return word
    return "deal"


def edits_of(u: Utterance, given: PlanningInput, now: datetime) -> list[Value]:
    """The changed values an edit reply carries ("make it 60k", "actually close date next Friday")."""
    pending = _pending_type(given)
    values: list[Value] = []
    if u.amounts:
        values.append(Value(property="amount", value=u.amounts[0].value))
    day = u.temporal.single_date()
    if day is not None or u.temporal.times:
        if pending == "deal":
            if day is not None:
                values.append(Value(property="closedate", value=day.isoformat()))
        else:
            moment = u.temporal.moment(now, _TASK_CLOCK)
            if moment is not None:
                prop = "hs_meeting_start_time" if pending == "meeting" else "hs_timestamp"
                values.append(Value(property=prop, value=to_utc_iso(moment)))
    owner = find_owner(u)
    if owner:
        values.append(Value(property="hubspot_owner_id", value=owner[0], kind="owner"))
    stage = find_stage(u, given.stage_labels)
    if stage and pending == "deal":
        values.append(Value(property="dealstage", value=stage.label, kind="stage"))
    name = u.find(r"\b(?:name|title|subject)\s+(?:to|is|should be|=|:)\s*[\"']?([^\"'.;!?]+)") or u.find(
        r"\b(?:call it|name it|rename it to|rename to)\s+[\"']?([^\"'.;!?]+)"
    )
    if name:
        prop = {
            "deal": "dealname",
            "company": "name",
            "task": "hs_task_subject",
            "meeting": "hs_meeting_title",
            "call": "hs_call_title",
            "email": "hs_email_subject",
        }.get(pending, "firstname")
        values.append(Value(property=prop, value=name.group(1).strip()))
    priority = find_priority(u)
    if priority and pending == "task":
        values.append(Value(property="hs_task_priority", value=priority))
    lifecycle = find_lifecycle(u)
    if lifecycle and pending == "contact":
        values.append(Value(property="lifecyclestage", value=lifecycle))
    if u.phones:
        values.append(Value(property="phone", value=u.phones[0][2]))
    if u.emails and pending == "contact":
        values.append(Value(property="email", value=u.emails[0][2]))
    if u.domains and pending == "company":
        values.append(Value(property="domain", value=u.domains[0][2]))
    title = find_job_title(u) if pending == "contact" else None
    if title:
        values.append(Value(property="jobtitle", value=title))
    return values


def plan_confirm_reply(u: Utterance, given: PlanningInput, now: datetime, new_request: bool) -> Plan | None:
    """An edit of the pending confirmation, None for a new request, else ``unclear``."""
    if new_request:
        return None
    edits = edits_of(u, given, now)
    if edits:
        return Plan(intent="answer", answer=Answer(decision="edit", edits=edits))
    return Plan(intent="answer", answer=Answer(decision="unclear"))


def plan_clarify_reply(u: Utterance, given: PlanningInput, new_request: bool) -> Plan | None:
    """A choice among the pending question's candidates, None for a new request, else ``unclear``."""
    text = u.raw.strip()
    choose = Plan(intent="answer", answer=Answer(decision="choose", choice=text))
    if _NEW_RECORD.search(text):
        return choose
    if new_request:
        return None
    low = text.lower().strip(" .!?")
    if re.fullmatch(r"(?:#|no\.?\s*|number\s+|option\s+)?\d{1,2}", low) or (
        re.search(r"\b(?:the\s+)?(?:" + "|".join(_ORDINALS) + r")(?:\s+one)?\b", low)
        and len(low.split()) <= 5
    ):
        return choose
    if re.search(r"\bthe one\b|\bthat one\b|\bthis one\b", low) or u.emails:
        return choose
    for candidate in given.candidates:
        for known in (candidate.label, candidate.details):
            if known and fuzz.WRatio(low, known.lower()) >= 85:
                return choose
    if len(low.split()) <= 10:
        # "oh it's under norman labs now": the graph matches the user's words to the candidates,
        # or, after a not-found, searches again with the name the reply gives.
        named = None if given.candidates else _renamed(text)
        return Plan(intent="answer", answer=Answer(decision="choose", choice=named)) if named else choose
    return Plan(intent="answer", answer=Answer(decision="unclear"))


_RENAMED: Final[tuple[re.Pattern[str], ...]] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(?:under|called|named|listed as|filed as)\s+(?:the\s+)?(?P<name>[\w&.@'-]+(?:\s+[\w&.@'-]+){0,4}?)"
        r"(?=\s+(?:now|instead|in hubspot|these days)\b|\s*(?:[,;!?]|\.(?:\s|$)|$))",
        r"^(?:(?:oh|ah|no|sorry|actually|hmm)[,\s]+)*(?:it's|its|it is|try|i meant|i mean|look for|search for)\s+"
        r"(?:the\s+)?(?P<name>[\w&.@'-]+(?:\s+[\w&.@'-]+){0,4}?)"
        r"(?=\s+(?:now|instead|deal|company|contact|account)\b|\s*(?:[,;!?]|\.(?:\s|$)|$))",
    )
)


def _renamed(text: str) -> str | None:
    """The record's name in a reply to "I couldn't find X" ("oh it's under norman labs now" → "norman labs")."""
    for pattern in _RENAMED:
        m = pattern.search(text)
        if m:
            return m.group("name").strip()
    return None

"""Logged activities: notes, calls, meetings, emails and tasks, with their associations.

A message is split into a header (who it is with, when) and a body (what was said): "log a call
with Jane, she wants a demo Tuesday" has the header "log a call with Jane" and the body "she wants a
demo Tuesday". Only the header's dates count: "Tuesday" in the body is what Jane said, not when the
call happened.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Final

from agent.plan import Activity, ActivityType, Mention, Plan, Value, Write
from agent.planners.offline.dates import Temporal, to_utc_iso
from agent.planners.offline.lexicon import OBJECT_NOUNS, words
from agent.planners.offline.slots import find_owner, find_priority, priority_spans
from agent.planners.offline.text import Utterance
from tools.hubspot.types import ObjectType

_DEFAULT_CLOCK: Final[time] = time(9, 0)
_PREPOSITIONS: Final[dict[str, ObjectType]] = {
    "with": "contacts",
    "to": "contacts",
    "from": "contacts",
    "for": "companies",
    "on": "companies",
    "at": "companies",
    "about": "companies",
    "re": "companies",
    "regarding": "companies",
    "called": "contacts",
    "emailed": "contacts",
    "rang": "contacts",
    "phoned": "contacts",
    "pinged": "contacts",
    "sent": "contacts",
    "call": "contacts",
    "ping": "contacts",
    "text": "contacts",
    "meet": "contacts",
}
_INFINITIVE_BEFORE: Final[frozenset[str]] = words(
    """
    task reminder me need needs have has want wants going how up him her them
    """
)
_HEADER_CUES: Final[tuple[str, ...]] = (":", " - ", " – ", "; ")


def _header_end(u: Utterance, kind: ActivityType, start: int) -> int:
    """Where the header ends and the body begins (the text's length when there is no body).

    Only cues after the request's first word count: "hey alysio, log a note ..." opens with a comma.
    """
    text = u.text
    if kind == "tasks":
        return len(text)
    begin = u.tokens[start].start if start < len(u.tokens) else 0
    ends = [len(text)]
    for pattern in (
        r":(?!\d)|\s[-–]\s|;\s|(?<=[a-z0-9])\.\s+(?=[a-z])",
        r"\b(?:saying|that says|which says)\b",
        r"\bthat\b(?=\s+(?:they|she|he|we|it|the)\b)",
    ):
        m = re.compile(pattern, re.IGNORECASE).search(text, begin + 1)
        if m:
            ends.append(m.start())
    position = text.find(",", begin + 1)
    # "log a mtg w/ Hank, discussed pricing" has a body; "meeting with Hank, tomorrow 3pm" does not.
    if position > 0:
        after = len(text[position + 1 :]) - len(text[position + 1 :].lstrip())
        begins_with_date = any(first <= position + 1 + after < last for first, last in u.temporal.spans)
        if not begins_with_date:
            ends.append(position)
    return min(ends)


def _body(u: Utterance, header_end: int) -> str | None:
    body = u.typed(header_end, len(u.text)).lstrip(":-–;,. ")
    body = re.sub(r"^(?:saying|that says|which says|that)\s+", "", body, flags=re.IGNORECASE)
    # "they're ready - log the call": the closing instruction is the request, not what was said.
    body = _TRAILING_REQUEST.sub("", body)
    return body.strip() or None


_TRAILING_REQUEST: Final[re.Pattern[str]] = re.compile(
    r"[\s.,;:–-]+(?:pls\s+|please\s+)?(?:log|record|save)\s+(?:it|this|that|the\s+(?:call|note|meeting|mtg|email))"
    r"(?:\s+(?:pls|please|for me))?[\s.!]*$",
    re.IGNORECASE,
)


def _header_temporal(u: Utterance, header_end: int) -> Temporal:
    found = u.temporal
    return Temporal(
        days=[hit for hit in found.days if hit.start < header_end],
        periods=[hit for hit in found.periods if hit.start < header_end],
        times=[hit for hit in found.times if hit.start < header_end],
        durations=[hit for hit in found.durations if hit.start < header_end],
    )


def _mentions(u: Utterance, start: int, header_end: int, kind: ActivityType) -> list[Mention]:
    found: list[Mention] = []
    tokens = u.tokens
    caller = _caller(u, start)
    if caller is not None:
        # "Jane from Globex just emailed back": the sender is the sentence's subject.
        found.append(Mention(object_type="contacts", text=caller.group(1), qualifier=caller.group(2)))
        start = u.index_after(caller.end())
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token.start >= header_end:
            break
        prep = token.low
        if prep not in _PREPOSITIONS:
            continue
        if prep == "to" and index > 0 and _infinitive(u, index):
            continue
        if prep in ("about", "re", "regarding") and kind in ("meetings", "calls", "tasks", "emails"):
            continue
        if index + 1 < len(tokens) and tokens[index + 1].low in (
            "me",
            "myself",
            "us",
            "discuss",
            "talk",
            "review",
            "walk",
            "go",
            "show",
            "present",
            "sign",
            "finalize",
            "prep",
            "plan",
            "check",
            "cover",
            "sync",
            "catch",
            "chat",
            "look",
            "run",
            "get",
            "do",
        ):
            continue
        mention, after = u.mention_at(index + 1, _PREPOSITIONS[prep])
        if mention is None or tokens[index + 1].start >= header_end:
            continue
        if mention.object_type in ("tasks", "notes", "calls", "meetings", "emails"):
            continue
        typed = tokens[after - 1].low in OBJECT_NOUNS  # "on the hooli deal"
        if kind == "tasks" and not (
            typed or mention.refers_back or _looks_named(mention.text) or prep in ("with", "for", "to")
        ):
            # A task's words in lower case ("follow up on pricing") are rarely records.
            continue
        if mention not in found:
            found.append(mention)
    return found


_CALLER: Final[re.Pattern[str]] = re.compile(
    r"([\w.@'-]+(?:\s+(?!from\b|at\b|just\b)[\w'-]+)?)(?:\s+(?:from|at)\s+([\w.&-]+))?\s+(?:just\s+)?"
    r"(?:called|rang|phoned|emailed|wrote|replied)\b",
    re.IGNORECASE,
)


def _caller(u: Utterance, start: int) -> re.Match[str] | None:
    """ "Jane (from Globex) (just) called/emailed ...": who reached out, when the message opens so."""
    if start >= len(u.tokens) or u.tokens[start].low in ("i", "we", "just", "had", "log", "record"):
        return None
    return _CALLER.match(u.text, u.tokens[start].start)


def _infinitive(u: Utterance, index: int) -> bool:
    """Whether the "to" at ``index`` opens a verb ("task for her next tues to send ..."), not a recipient."""
    before = u.tokens[index - 1]
    # A date right before "to" ends the header's "when": what follows is what to do.
    after_date = any(first <= before.start < last for first, last in u.temporal.spans)
    return before.low in _INFINITIVE_BEFORE or after_date


def _looks_named(text: str) -> bool:
    """A task's "send the proposal to Globex": only capitalised words, emails or domains are records."""
    return text[:1].isupper() or "@" in text or "." in text


def _task_subject(u: Utterance) -> str | None:
    text = u.text
    blanked = list(text)
    cuts = [*u.temporal.spans, *priority_spans(u)]
    for start, end in cuts:
        for position in range(start, min(end, len(blanked))):
            blanked[position] = " "
    m = re.search(
        r"\b(?:remind\s+me\s+to|reminder\s+to|remember\s+to|task\s+to|task\s*:|need\s+to|needs\s+to|have\s+to|"
        r"make\s+sure\s+(?:i|we)|task\s+for\s+(?:me|him|her|them)\s+to|task|reminder)\s*",
        "".join(blanked),
        flags=re.IGNORECASE,
    )
    begin = m.end() if m else 0
    label = re.search(r":(?!\d)", text)
    if label is not None:
        begin = label.end()  # "task on the hooli deal: send MSA redlines"
    elif not m or begin >= len(text.rstrip(" .!")):
        follow = re.search(r"\bfollow up\b", text, flags=re.IGNORECASE)
        begin = follow.start() if follow else 0
    # A task's title reads better with shorthand expanded ("f/u w/ jane" -> "follow up with jane").
    subject = u.without(begin, len(text), cuts, typed=False).strip(" ,.;")
    subject = re.sub(r"^(?:to|a|an)\s+", "", subject, flags=re.IGNORECASE).strip(" ,")
    return subject[:1].upper() + subject[1:] if subject else None


def _topic(u: Utterance, header_end: int) -> str | None:
    m = re.search(
        r"\b(?:about|re|regarding|to discuss|to talk about|on the topic of|to walk through|to go over|to review|"
        r"to present|asking about|asked about)\s+([^,.;:!?\x00]+)",
        u.text[:header_end],
        re.I,
    )
    if not m:
        return None
    end = m.end(1)
    for start, _ in u.temporal.spans:
        if m.start(1) <= start < end:
            end = start
            break
    return u.typed(m.start(1), end).strip() or None


def plan_activity(u: Utterance, start: int, kind: ActivityType, now: datetime) -> Plan:
    """Log (or schedule) one activity against the records it names.

    Args:
        u: The message.
        start: Index of the first token after politeness.
        kind: Which activity type the message logs.
        now: The turn's clock in the user's zone.
    """
    header_end = _header_end(u, kind, start)
    temporal = _header_temporal(u, header_end)
    mentions = _mentions(u, start, header_end, kind)
    if (
        not mentions
        and u.tokens
        and u.tokens[0].low in ("and", "also", "plus")
        and u.given
        and u.given.recent
    ):
        # "and a task for me to chase legal": on the record the conversation is on.
        mentions = [Mention(object_type=u.given.recent[0].object_type, refers_back=True)]
    body = None if kind == "tasks" else _body(u, header_end)
    activity: Activity
    if kind == "tasks":
        due = temporal.moment(now, _DEFAULT_CLOCK) or now
        activity = Activity(
            type="tasks",
            subject=_task_subject(u),
            body=_body(u, header_end) if header_end < len(u.text) else None,
            when=to_utc_iso(due),
            status="NOT_STARTED",
            priority=find_priority(u),
        )
    elif kind == "meetings":
        # A meeting that was had ("had a meeting today") happened now; one booked starts at 9:00.
        logged = re.search(r"\b(?:had|met|log|logged|record)\b", u.text, re.IGNORECASE) is not None
        begin = temporal.moment(now, None if logged else _DEFAULT_CLOCK) or now
        end = begin + temporal.durations[0].length if temporal.durations else None
        activity = Activity(
            type="meetings",
            subject=_topic(u, header_end)
            or (body if body and len(body.split()) <= 6 else None)  # "..., pricing review"
            or ("Demo" if u.has("demo") else "Call" if u.has("call") else None),
            body=body,
            when=to_utc_iso(begin),
            end=to_utc_iso(end) if end else None,
            status="SCHEDULED" if begin > now else "COMPLETED",
        )
    elif kind == "calls":
        moment = temporal.moment(now, None) or now
        direction = None
        if u.has(
            "inbound",
            "incoming",
            "called me",
            "call from",
            "rang me",
            "she called",
            "he called",
            "they called",
            "called in",
        ) or (_caller(u, start) is not None and not u.has("called me back")):
            direction = "INBOUND"
        elif u.has("outbound", "outgoing", "i called", "called", "call to"):
            direction = "OUTBOUND"
        end = moment + temporal.durations[0].length if temporal.durations else None
        topic = _topic(u, header_end)
        if body is None or re.match(r"(?:pls\s+|please\s+)?(?:log|add|put|record)\b", body, re.IGNORECASE):
            # "globex called asking about SSO pricing, log it on the account": the topic is the content.
            body = topic or body
        activity = Activity(
            type="calls",
            subject=topic,
            body=body,
            when=to_utc_iso(moment),
            end=to_utc_iso(end) if end else None,
            direction=direction,
            status="COMPLETED",
        )
    elif kind == "emails":
        moment = temporal.moment(now, None) or now
        incoming = _caller(u, start) is not None or u.has(
            "email from",
            "emailed me",
            "replied",
            "reply from",
            "incoming",
            "inbound",
            "got an email",
            "received",
        )
        first_sentence = re.split(r"(?<=[.!?])\s", body)[0].strip(" .!?") if body else None
        activity = Activity(
            type="emails",
            subject=_topic(u, header_end) or first_sentence,
            body=body,
            when=to_utc_iso(moment),
            direction="INCOMING_EMAIL" if incoming else "EMAIL",
            status=None if incoming else "SENT",
        )
    else:
        moment = temporal.moment(now, None) or now
        activity = Activity(type="notes", body=body, when=to_utc_iso(moment))
    values: list[Value] = []
    owner = find_owner(u)
    if owner is not None:
        values.append(Value(property="hubspot_owner_id", value=owner[0], kind="owner"))
    elif kind == "tasks" and u.find(r"\bremind\s+me\b|\b(?:task|reminder)\s+for\s+me\b"):
        # "remind me to ...": the task is the asking user's.
        values.append(Value(property="hubspot_owner_id", value="me", kind="owner"))
    if kind == "tasks":
        # "a call task for chris", "task to email Jane": HubSpot's task type.
        task_type = u.find(
            r"\b(call|email)\s+(?:task|reminder)\b|\b(?:task|reminder|remind me)\s+to\s+(call|email)\b"
        )
        if task_type:
            kind_word = (task_type.group(1) or task_type.group(2)).upper()
            values.append(Value(property="hs_task_type", value=kind_word))
    write = Write(op="create", object_type=kind, activity=activity, associate_with=mentions, values=values)
    return Plan(intent="log_activity", writes=[write])

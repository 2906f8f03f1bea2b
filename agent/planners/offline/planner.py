"""The deterministic offline planner: a message in, a :class:`~agent.plan.Plan` out, no model.

The message is normalised (abbreviations, keyword typos), its slots are extracted (dates, amounts,
emails, domains, phones), and its request is classified from the first verb after any politeness:
refusals first (a delete request never becomes anything else), then replies to what is pending,
merges, associations, activities, questions, updates and creates. What fits none of them is
reported as not understood, never guessed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.plan import ActivityType, Plan, Refusal, Write
from agent.planners.base import PlanningInput
from agent.planners.offline.activities import plan_activity
from agent.planners.offline.answers import plan_clarify_reply, plan_confirm_reply
from agent.planners.offline.lexicon import ACTIVITY_NOUNS, OBJECT_NOUNS, words
from agent.planners.offline.questions import plan_question
from agent.planners.offline.slots import content_words, request_start
from agent.planners.offline.text import Utterance, read
from agent.planners.offline.writes import plan_associate, plan_create, plan_merge, plan_update
from agent.planners.quick import quick_answer

_WRITE_VERB: Final[str] = (
    r"(?:set|update|change|move|mark|assign|reassign|close|rename|edit|modify|bump|push|give|transfer|switch|make|put)"
)
_RECORDS: Final[str] = (
    r"(?:deals?|contacts?|compan(?:y|ies)|accounts?|records?|tasks?|leads?|owners?|people|everyone|everything|them)"
)
_REFUSALS: Final[tuple[tuple[Refusal, re.Pattern[str]], ...]] = (
    ("delete", re.compile(r"\b(?:delete|deleting|erase|destroy|wipe|purge|nuke|trash)\b", re.I)),
    ("archive", re.compile(r"\b(?:archive|archiving|remove|get rid of)\b", re.I)),
    (
        "bulk",
        re.compile(
            r"\b(?:mass|bulk)\b|\b"
            + _WRITE_VERB
            + r"\b.*\b(?:all|every|each)\b(?:\s+(?:of\s+)?(?:my|our|the|their))?\s+"
            + _RECORDS
            + r"|\b"
            + _WRITE_VERB
            + r"\b.*\b(?:everyone|everything|all of them)\b"
            + r"|\b(?:all|every|each)\s+(?:of\s+)?(?:my|our|the)?\s*"
            + _RECORDS
            + r"\b.*\b(?:to|as)\b.*\b(?:closed|won|lost|owner)\b",
            re.I,
        ),
    ),
    (
        "outside_integration",
        re.compile(
            r"^(?:please\s+|can you\s+|could you\s+)?(?:send|email|e-mail|text|sms|message)\b(?!\s+(?:me|us)\b)(?!.*\blog\b)|"
            r"\bsend\s+(?:an?\s+|the\s+)?(?:email|e-mail|message|mail|text|sms)\b(?!.*\blog\b)|"
            r"\b(?:export|download|csv|excel|spreadsheet|workflows?|sequences?|enroll|campaigns?|import|webhooks?|zap|"
            r"dashboards?|landing page|slack message|whatsapp)\b|\b(?:create|add|build|set up)\s+(?:(?:a|an|new|another)\s+)*(?:report|pipeline|property|field|user|team|owner|list|view|form)\b",
            re.I,
        ),
    ),
)
_INJECTION: Final[re.Pattern[str]] = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,30}\b(?:instructions?|rules?|prompts?|guidelines|system)\b|"
    r"\bsystem prompt\b|\byou are now\b|\bjailbreak\b|\bdeveloper mode\b|\bact as\b|\bpretend (?:to be|you)\b",
    re.I,
)
_QUESTION_START: Final[frozenset[str]] = words(
    """
    how what what's whats who who's whos whose which when where is are does do did show list find
    get tell display any search lookup look pull summarize summarise recap count give whats which's
    """
)
_ACTIVITY_CUES: Final[tuple[tuple[str, ActivityType], ...]] = (
    (
        r"\bremind(?!\s+(?:me\s+)?(?:what|who|how|which|when|where|of)\b)(?:\s+me)?\b|\breminder\b|^follow up\b|"
        r"\bset (?:a |up a )?(?:call )?task\b|\bto-?do\b",
        "tasks",
    ),
    (r"\b(?:got off the phone|off the phone|on the phone|phone call|off a call)\b", "calls"),
    (
        r"^[\w.@'-]+(?:\s+[\w'-]+)?(?:\s+(?:from|at)\s+[\w.-]+)?\s+(?:just\s+)?(?:emailed|wrote|replied)\b",
        "emails",
    ),
    (
        r"^[\w.@'-]+(?:\s+[\w'-]+)?(?:\s+(?:from|at)\s+[\w.-]+)?\s+(?:just\s+)?(?:called|rang|phoned)\b",
        "calls",
    ),
    (r"^(?:had|just had|finished)\s+(?:a|an|my|the|our)\s+(?:call|phone call|chat|conversation)\b", "calls"),
    (
        r"^(?:called|rang|phoned|spoke|talked|chatted)\b|^[\w.@'-]+(?:\s+[A-Z][\w'-]*)?\s+(?:called|rang|phoned)\s+(?:me|us)\b",
        "calls",
    ),
    (r"^[\w.@'-]+(?:\s+[A-Z][\w'-]*)?\s+(?:emailed|wrote|replied to)\s+(?:me|us)\b", "emails"),
    (r"^(?:a\s+|an\s+|new\s+|another\s+)?(?:follow[- ]?up\s+)?(?:task|reminder)\b", "tasks"),
    (r"^(?:had|just had)\s+(?:a|an|my|the|our)\s+(?:meeting|demo|lunch|coffee)\b|^met\b", "meetings"),
    (
        r"\b(?:book|schedule|set up|arrange|organize|organise|plan|put)\b.*\b(?:meeting|demo|session|sync)\b",
        "meetings",
    ),
    (r"\b(?:schedule|book|set up)\b.*\bcall\b", "meetings"),
    (r"^(?:emailed|sent|got an email|received an email)\b", "emails"),
    (r"^note\b|\bnote (?:on|for|about|to|re)\b|\bjot\b", "notes"),
)
_SUMMARY: Final[re.Pattern[str]] = re.compile(
    r"\b(?:summari[sz]e|summary|summaries|write[- ]?up|write up|recap|overview|brief me|tl;?dr|rundown|run-down)\b",
    re.I,
)


def local_now(given: PlanningInput) -> datetime:
    """The turn's clock in the user's zone (``given.now`` converted when its zone differs)."""
    try:
        return given.now.astimezone(ZoneInfo(given.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return given.now


def _refusal_scope(u: Utterance, start: int) -> str:
    """The words that carry the request: an activity's body or a task's subject is content.

    "note on Acme: they want to delete old data" logs a note; "remind me to remove the old logo"
    creates a task. Only their header ("note on Acme", "remind me") can ask for a deletion.
    """
    text = u.text
    if start >= len(u.tokens) or _activity_type(u, start) is None:
        return text
    end = len(text)
    begin = u.tokens[start].start + 1
    for cue in (r":(?!\d)", r"\s[-–]\s", r"\b(?:saying|that)\b", r","):
        m = re.compile(cue).search(text, begin)
        if m:
            end = min(end, m.start())
    subject = re.search(r"\b(?:remind me|reminder|task|me)\s+to\b", text, re.IGNORECASE)
    if subject:
        end = min(end, subject.end())
    return text[:end]


def _refusal(u: Utterance, start: int) -> Plan | None:
    text = _refusal_scope(u, start)
    for refusal, pattern in _REFUSALS:
        if pattern.search(text):
            if refusal == "archive" and re.search(r"\b(?:remove|get rid of)\b.*\b(?:from|off)\b", text, re.I):
                # "remove Jane from the Acme deal" drops an association: also a delete the integration never sends.
                return Plan(intent="unsupported", refusal="delete")
            if refusal == "outside_integration" and _is_logging(text):
                continue
            if refusal == "bulk" and re.match(
                r"^(?:how|what|which|who|show|list|count|give me|get)\b", text, re.I
            ):
                continue
            return Plan(intent="unsupported", refusal=refusal)
    # Quoted text in a note's body is content to log, not an instruction to follow.
    if _INJECTION.search(text):
        return Plan(intent="unsupported", not_understood=[u.raw])
    return None


def _is_logging(text: str) -> bool:
    return re.search(r"\blog(?:ged)?\b|\brecord\b|^(?:emailed|sent)\b", text, re.I) is not None


def _activity_type(u: Utterance, start: int) -> ActivityType | None:
    rest = u.text[u.tokens[start].start :] if start < len(u.tokens) else ""
    first = u.tokens[start].low if start < len(u.tokens) else ""
    if first in ("log", "record", "track", "add", "create", "new", "make", "put", "enter", "jot", "write"):
        following = [token for token in u.tokens[start + 1 :] if not token.is_boundary][:5]
        for token in following:
            if token.low in ACTIVITY_NOUNS:
                return ACTIVITY_NOUNS[token.low]  # type: ignore[return-value]
    if first in ("log", "record", "track") and u.emails:
        return "emails"
    for pattern, kind in _ACTIVITY_CUES:
        if re.search(pattern, rest, re.I):
            return kind
    return None


def _is_question(u: Utterance, start: int) -> bool:
    if start >= len(u.tokens):
        return False
    first = u.tokens[start].low
    second = u.tokens[start + 1].low if start + 1 < len(u.tokens) else ""
    if first == "give" and second not in ("me", "us"):
        return False
    if first == "pull" and second not in ("up",):
        return False
    if first in ("get", "find") and second in ("rid",):
        return False
    # "Can you create a deal for Contoso?" ends with a question mark but asks for a write.
    asks = u.raw.rstrip().endswith("?") and first not in _UPDATE_VERBS | _CREATE_VERBS | _LOG_VERBS
    return first in _QUESTION_START or asks


def _new_request(u: Utterance, start: int, now: datetime, given: PlanningInput) -> Plan | None:
    """The reply planned as a request of its own, when it clearly is one (else None).

    A question, or a write that names a record the pending item is not about ("create a deal for
    Globex" while confirming Acme's), is new. A write about "it" ("make it 60k") is an edit.
    """
    request = _plan_request(u, start, now)
    if request.intent in ("unsupported", "answer"):
        return None
    if request.intent == "question":
        return request
    pending = given.pending_summary.lower()
    named = [
        mention.text
        for write in request.writes
        for mention in (write.target, write.merge_from, *write.associate_with)
        if mention is not None and mention.text and not mention.refers_back
    ]
    if given.pending == "clarify" or any(name.lower() not in pending for name in named):
        return request
    return None


def plan_message(message: str, given: PlanningInput) -> Plan:
    """Plan one user turn without a model.

    Args:
        message: The user's text.
        given: The conversation as the planner may see it (clock, pending item, recent records).

    Returns:
        The plan; ``intent="unsupported"`` with ``not_understood`` when nothing could be mapped.
    """
    stripped = message.strip()
    if not stripped:
        return Plan(intent="unsupported", not_understood=[message])
    quick = quick_answer(stripped, given.pending)
    if quick is not None:
        return Plan(intent="answer", answer=quick)
    now = local_now(given)
    u = read(stripped, given, now)
    start = request_start(u)
    refusal = _refusal(u, start)
    if refusal is not None:
        return refusal
    if start >= len(u.tokens):
        return Plan(intent="unsupported", not_understood=content_words(u) or [stripped])
    if given.pending != "none":
        request = _new_request(u, start, now, given)
        if given.pending == "confirm":
            reply = plan_confirm_reply(u, given, now, new_request=request is not None)
        else:
            reply = plan_clarify_reply(u, given, new_request=request is not None)
        if reply is not None:
            return reply
        if request is not None:
            return _follow_up(request, u, given)
    return _follow_up(_plan_requests(u, start, now, given), u, given)


_BACK_TO_RESULTS: Final[re.Pattern[str]] = re.compile(r"\b(?:those|these|them|ones|same)\b", re.I)
_PRONOUNS: Final[frozenset[str]] = words("those these them they that this ones same it")


def _follow_up(plan: Plan, u: Utterance, given: PlanningInput) -> Plan:
    """A question about the previous question's records ("and what's the total on those?").

    It keeps the previous records (type, filters, status, record asked about) and asks the new
    thing about them; the new question's own filters are added on top.
    """
    previous = given.previous_question
    question = plan.question
    if previous is None or question is None or not _BACK_TO_RESULTS.search(u.text):
        return plan
    about = question.about
    if about is not None and not (about.refers_back or about.text.lower() in _PRONOUNS):
        return plan  # a record of its own ("the total on those at Acme" names Acme)
    if question.object_type not in (None, previous.object_type):
        return plan  # another type of record ("how many deals do they have?"): a new question
    merged = previous.model_copy(
        update={
            "kind": question.kind,
            "conditions": [*previous.conditions, *question.conditions],
            "deal_status": question.deal_status or previous.deal_status,
            "fields": question.fields or previous.fields,
            "sort_by": question.sort_by,
            "descending": question.descending,
            "limit": question.limit,
        }
    )
    return plan.model_copy(update={"question": merged})


_WRITE_INTENTS: Final[frozenset[str]] = frozenset({"create", "update", "log_activity", "associate"})
_SECOND_REQUEST: Final[re.Pattern[str]] = re.compile(
    # "log the call and move the initech deal to contract sent": a second write joined by "and".
    r"\s+(?:and|&|then|plus)\s+(?:then\s+|also\s+)?(?=(?:move|update|set|change|mark|bump|push|assign|reassign|"
    r"log|create|add)\b)",
    re.I,
)


_QUOTED: Final[re.Pattern[str]] = re.compile(
    # A quote opens after a space (so "they're" opens none) and closes before punctuation or a space.
    r"(?:(?<=\s)|^)['\"“‘][^'\"“”‘’]*['\"”’](?=[\s.,;:!?]|$)"
)


def _plan_requests(u: Utterance, start: int, now: datetime, given: PlanningInput) -> Plan:
    """The message's plan; two writes joined by "and" become one plan with both writes, in order.

    The split is kept only when both halves plan a write on their own, so "they want to wait and
    move on" inside a note's text stays one note.
    """
    whole = _plan_request(u, start, now)
    if whole.intent not in _WRITE_INTENTS:
        return whole
    begin = u.tokens[start].start if start < len(u.tokens) else 0
    quoted = [m.span() for m in _QUOTED.finditer(u.raw)]
    for joint in _SECOND_REQUEST.finditer(u.raw, begin):
        if any(first <= joint.start() < last for first, last in quoted):
            continue  # quoted text is content to log, never a request ("'... and create a task'")
        first = read(u.raw[: joint.start()], given, now)
        second = read(u.raw[joint.end() :], given, now)
        head = _plan_request(first, request_start(first), now) if first.tokens else None
        tail_start = request_start(second)
        tail = _plan_request(second, tail_start, now) if tail_start < len(second.tokens) else None
        if head is None or tail is None or head.intent not in _WRITE_INTENTS:
            continue
        if tail.intent not in _WRITE_INTENTS or not all(_names_a_record(w) for w in tail.writes):
            continue
        return head.model_copy(update={"writes": [*head.writes, *tail.writes]})
    return whole


def _names_a_record(write: Write) -> bool:
    """Whether a write says which record it is about (a name, or "it"/"that deal")."""
    if write.op == "create":
        return bool(write.values or write.activity)
    return write.target is not None and bool(write.target.text or write.target.refers_back)


_MERGE: Final[re.Pattern[str]] = re.compile(
    r"\b(?:merge|dedupe|deduplicate|combine|consolidate)\b|"
    r"\b(?:are|is)\s+(?:the\s+same|duplicates?|a\s+duplicate|dupes?|a\s+dupe)\b",
    re.I,
)
_ADD_TO_RECORD: Final[re.Pattern[str]] = re.compile(
    # "add Dana to the Initech deal" links records; "add a contact to ..." creates one.
    r"^add\s+(?!(?:(?:a|an|new|the)\s+)?(?:new\s+)?(?:contact|company|deal|note|task|call|meeting|email)\b)"
    r"[\w .'-]+?\s+(?:as\s+(?:a\s+)?(?:contact|stakeholder|champion)\s+)?(?:to|on)\s+(?:the\s+)?[\w .'-]+?\s+"
    r"(?:deal|company|account)\b",
    re.I,
)
_NOT_LINKED: Final[re.Pattern[str]] = re.compile(
    r"\b(?:isn't|isnt|is not|aren't|not)\s+(?:linked|associated|connected|attached)\s+(?:to|with)\b|"
    r"\b(?:associate|link|connect)\s+(?:it|them|those|these)\b",
    re.I,
)
_UPDATE_PHRASES: Final[re.Pattern[str]] = re.compile(
    r"\b(?:is|are)\s+now\b|\bnow\s+in\b|\bmoved\s+to\b|\b(?:closes|closing)\s+(?:on|by|in|next|this)\b|"
    r"'s\s+(?:phone|email|title|job title|number|close date|amount)\s+is\b|"
    r"\b(?:is|are|was|got)\s+(?:closed|won|lost)\b|^we\s+(?:just\s+|finally\s+)?(?:won|lost|closed)\b|"
    r"\s(?:->|→|=>)\s|\bgot\s+a\s+new\s+(?:email|phone|number|title|job)\b|\bmoved\s+(?:hq|headquarters|offices?)\b|"
    r"\b(?:flip|turn|convert)\s+(?:him|her|them|it)\b|\b(?:move|moved|put)\s+(?:it|them|that|this)\s+(?:to|into)\b",
    re.I,
)


def _plan_request(u: Utterance, start: int, now: datetime) -> Plan:
    summary = _SUMMARY.search(u.text) is not None
    first = u.tokens[start].low
    rest = u.text[u.tokens[start].start :]
    if _MERGE.search(rest) and not re.match(r"^(?:are|is)\b", rest, re.I):
        return plan_merge(u, start)
    linking = (_ADD_TO_RECORD.match(rest) and not u.emails) or _NOT_LINKED.search(rest)
    if first in ("link", "associate", "connect", "attach", "tie", "relate") or linking:
        return plan_associate(u, start)
    if _is_question(u, start) or (
        summary and first in ("summarize", "summarise", "recap", "give", "write", "brief")
    ):
        activity = _activity_type(u, start) if first in ("log", "record") else None
        if activity is None:
            return plan_question(u, start, summary)
    second = u.tokens[start + 1].low if start + 1 < len(u.tokens) else ""
    opens_record = first == "open" and second in ("a", "an", "new", "up")
    if first == "new" and second in OBJECT_NOUNS and second.endswith("s"):
        # "new contacts this week" asks for records created lately.
        return plan_question(u, start, summary)
    if (first in _LISTING_OPENERS and not opens_record) or (first in OBJECT_NOUNS and first.endswith("s")):
        # "my deals closing this month", "open deals with no close date", "contacts at Acme".
        return plan_question(u, start, summary)
    activity = _activity_type(u, start)
    if activity is not None:
        return plan_activity(u, start, activity, now)
    updates = first in _UPDATE_VERBS or (
        first not in _CREATE_VERBS and _UPDATE_PHRASES.search(rest) is not None
    )
    if updates and not (first in ("make", "put") and _creates(u, start)):
        return plan_update(u, start, now)
    if first in _CREATE_VERBS or _creates(u, start):
        return plan_create(u, start, now)
    if any(token.low in OBJECT_NOUNS for token in u.tokens[start:]) or re.search(
        r"\b(?:pipeline|win rate|stages|owners|forecast)\b", rest, re.I
    ):
        return plan_question(u, start, summary)
    return Plan(intent="unsupported", not_understood=content_words(u) or [u.raw])


_UPDATE_VERBS: Final[frozenset[str]] = words(
    """
    flip turn convert
    update change set move mark bump push pull assign reassign give hand rename edit modify raise
    increase lower reduce drop switch transfer close reopen make put
    """
)
_LOG_VERBS: Final[frozenset[str]] = words("log record remind book schedule link associate merge note")
_LISTING_OPENERS: Final[frozenset[str]] = words(
    """
    my our open won lost closed all overdue upcoming today's this recent latest biggest top total
    pipeline
    """
)
_CREATE_VERBS: Final[frozenset[str]] = words(
    """
    create add new open start enter register insert setup
    """
)


def _creates(u: Utterance, start: int) -> bool:
    return re.search(
        r"\bnew\s+(?:contact|company|deal|account|lead|prospect|person)\b", u.text, re.I
    ) is not None or (
        u.tokens[start].low in ("make", "put", "set")
        and re.search(r"\b(?:contact|company|deal)\b\s+for\b", u.text, re.I) is not None
    )


class OfflinePlanner:
    """The deterministic planner: understands common sales phrasing with no model at all."""

    name = "offline"

    async def plan(self, message: str, given: PlanningInput) -> Plan:
        """Plan one user turn (pure: no I/O)."""
        return plan_message(message, given)

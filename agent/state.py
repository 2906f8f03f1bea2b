"""The graph's state: typed dicts of JSON values only, so checkpoints stay portable.

Every payload is a ``TypedDict`` (in the style of LangGraph's ``HumanInterrupt`` /
``HumanResponse``): at run time they are plain dicts, lists, strings and numbers, so
``LANGGRAPH_STRICT_MSGPACK=true`` keeps working, and mypy checks every key a node reads or
writes. Pydantic models (``Plan``, ``Question``, ``Mention``, ``Value``) are stored as their
``model_dump(mode="json")`` (:data:`JSON`) and read back with ``model_validate``; times are ISO
strings; nothing else (no datetimes, no sets) ever enters the state.

The two interrupt payloads a channel renders are :class:`ConfirmationRequest` and
:class:`ClarifyRequest`; a channel answers with a :class:`ResumeValue`.

This module does not use ``from __future__ import annotations``: ``NotRequired`` must be seen at
class creation for the run-time key sets pydantic reads (LangGraph's state JSON schema), and
``TypedDict`` comes from ``typing_extensions`` because pydantic refuses ``typing.TypedDict`` before
Python 3.12.
"""

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from tools.hubspot.types import ObjectType

JSON = dict[str, Any]
"""A pydantic model's ``model_dump(mode="json")``."""

Next = Literal["resolve", "propose", "begin_step", "confirm", "clarify", "understand", "respond"]
"""Where ``interpret`` sends the run after reading a reply."""

StepOp = Literal["create", "update", "associate", "merge"]
MentionStatus = Literal["resolved", "ambiguous", "missing", "unknown", "create", "retry"]


class Requester(TypedDict):
    """The Alysio user a request (and so its confirmation) belongs to."""

    user_id: str
    email: str


# --------------------------------------------------------------------------- records


class RecordRef(TypedDict):
    """A record by id: in ``recent``, the records an answer is about, a write's link."""

    object_type: ObjectType
    id: str
    label: str


class Record(RecordRef):
    """A resolved record with the properties read with it (what a mention resolves to)."""

    properties: dict[str, str | None]


class Ref(TypedDict):
    """What a step links to or acts on: an existing record (``id``) or the one an earlier step of
    the same proposal creates (``step``, its index)."""

    object_type: ObjectType
    label: str
    id: NotRequired[str]
    step: NotRequired[int]


class Target(Ref):
    """The record a step acts on, with its current properties (the old values of an update)."""

    properties: dict[str, str | None]


# --------------------------------------------------------------------------- resolution


class Choice(TypedDict):
    """A candidate record offered in a question ("which Jane do you mean?")."""

    id: str
    object_type: ObjectType
    label: str
    details: str


class MentionEntry(TypedDict):
    """How one mention of the plan resolved.

    ``status``: ``resolved`` (``record`` set), ``ambiguous`` (``candidates``, with what was read of
    them in ``found``), ``missing`` / ``unknown`` (to ask about), ``create`` (the user asked to
    create it: ``step`` is the creating step once proposed), ``retry`` (the user named it anew).
    """

    mention: JSON
    status: MentionStatus
    candidates: list[Choice]
    record: NotRequired[Record]
    found: NotRequired[dict[str, dict[str, str | None]]]
    step: NotRequired[int]


class ClarifyRequest(TypedDict):
    """The question ``clarify`` asks (its interrupt payload): which record a mention means."""

    kind: Literal["clarify"]
    key: str
    question: str
    candidates: list[Choice]
    can_create: bool


# --------------------------------------------------------------------------- confirmation


class Change(TypedDict):
    """One field of a step, for channels that render a table."""

    property: str
    old: str | None
    new: str
    display: str


class Step(TypedDict):
    """One write of a proposal, exactly one HubSpot request."""

    op: StepOp
    object_type: ObjectType
    target: Target | None
    properties: dict[str, str]
    old: dict[str, str | None]
    display: dict[str, str]
    associations: list[Ref]
    merge_from: Record | None
    label: str


class ProposedStep(Step):
    """A step as shown for approval: with its field-by-field changes."""

    changes: list[Change]


class ConfirmationRef(TypedDict):
    """Which confirmation a button press answers: its id and the version the user saw."""

    id: str
    version: int


class ConfirmationRequest(TypedDict):
    """The pending confirmation: kept in state as ``proposal`` and sent as ``confirm``'s interrupt
    payload. ``id`` stays the same while the user edits it; ``version`` counts the versions shown
    (an approval of an older version is refused). ``approved_by`` is who approved, once they did."""

    kind: Literal["confirm"]
    id: str
    version: int
    question: str
    summary: str
    steps: list[ProposedStep]
    requester: Requester
    created_at: str
    expires_at: str
    approved_by: Requester | None


PendingRequest = ConfirmationRequest | ClarifyRequest
"""What an interrupted thread waits for."""


class _ReplyBody(TypedDict, total=False):
    text: str
    action: Literal["approve", "reject"]
    edit: dict[str, str]
    confirmation: ConfirmationRef


class ResumeValue(_ReplyBody):
    """A channel's answer to an interrupt (``Command(resume=...)``): one of ``text`` (a message),
    ``action`` (a button) or ``edit`` (``{property: value}``), who sent it and when (ISO). Buttons
    carry the ``confirmation`` (id and version) they were shown with."""

    by: Requester
    at: str


class Reply(_ReplyBody, total=False):
    """``state["reply"]``: the resume value as the interrupt returned it, then the route
    ``interpret`` chose (``next``)."""

    by: Requester
    at: str
    next: Next


# --------------------------------------------------------------------------- execution


class StepResult(TypedDict):
    """What HubSpot returned for a step (or what reconciling a lost attempt found)."""

    id: str
    url: NotRequired[str | None]
    reconciled: NotRequired[bool]


class ExecutionRecord(TypedDict):
    """An approved step's idempotency record: written before sending, completed after."""

    status: Literal["sending", "done", "failed", "unknown"]
    index: int
    started_at: str
    result: NotRequired[StepResult]
    error: NotRequired[str]


# --------------------------------------------------------------------------- outcome


class WriteRecord(TypedDict):
    """A write HubSpot accepted (rendered as ``WriteDone`` in the reply event)."""

    op: StepOp
    object_type: ObjectType
    id: str
    url: str | None
    properties: dict[str, str]
    label: str


class ReplyOutcome(TypedDict):
    """A reply, with the writes made and the records a question's answer is about."""

    type: Literal["reply"]
    text: str
    writes: list[WriteRecord]
    records: NotRequired[list[RecordRef]]


class ErrorOutcome(TypedDict):
    """A typed error with the user's next step (``kind``: see ``agent.events.ErrorInfo``)."""

    type: Literal["error"]
    kind: str
    message: str
    action: str | None
    scopes: list[str]


Outcome = ReplyOutcome | ErrorOutcome
"""What ``respond`` says."""


# --------------------------------------------------------------------------- the state


class AgentState(TypedDict, total=False):
    """One conversation thread. Every node returns a partial ``AgentState`` (its update).

    Per-request keys (reset by :func:`new_request`):
        message: The user's text of the request being handled.
        requester: Who asked (only they may approve, reject or edit).
        plan: The request's ``Plan`` (JSON).
        mentions: Mention key → resolution.
        clarify: The question the ``clarify`` node asks next (set by ``resolve``).
        edits: Values the user changed at confirmation (``Value`` JSON), applied on top of the
            plan's values.
        proposal: The pending confirmation: steps (field by field), requester, expiry.
        execution: Idempotency key → the record of each approved step.
        reply: The last answer to an interrupt (what ``interpret`` reads), then its route.
        outcome: What ``respond`` says: a reply, the question's answer, or a typed error.
        notes: Short remarks to prepend to the reply (e.g. a cancelled confirmation).

    Per-thread keys (kept across requests):
        recent: Records the conversation touched, most recent first (for "that deal", "her").
        last_question: The last read the user asked (``Question`` JSON), for follow-ups about
            "those" deals.
    """

    message: str
    requester: Requester
    plan: JSON | None
    mentions: dict[str, MentionEntry]
    clarify: ClarifyRequest | None
    edits: list[JSON]
    proposal: ConfirmationRequest | None
    execution: dict[str, ExecutionRecord]
    reply: Reply | None
    outcome: Outcome | None
    notes: list[str]
    recent: list[RecordRef]
    last_question: JSON | None


def new_request(message: str, requester: Requester, plan: JSON | None = None) -> AgentState:
    """The input of a run for a new user request: the message and every per-request key reset."""
    return AgentState(
        message=message,
        requester=requester,
        plan=plan,
        mentions={},
        clarify=None,
        edits=[],
        proposal=None,
        execution={},
        reply=None,
        outcome=None,
        notes=[],
    )


RECENT_MAX = 10


def remember(recent: list[RecordRef], records: list[RecordRef]) -> list[RecordRef]:
    """``recent`` with ``records`` moved to the front, newest first."""
    seen = {(r["object_type"], r["id"]) for r in records}
    kept = [r for r in recent if (r["object_type"], r["id"]) not in seen]
    return (records + kept)[:RECENT_MAX]

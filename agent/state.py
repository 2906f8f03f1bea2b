"""The graph's state: JSON-like only (dicts, lists, strings, numbers), so checkpoints stay portable.

Pydantic models (``Plan``, ``Answer``) are stored as their ``model_dump(mode="json")`` and read back
with ``model_validate``; nothing else (no datetimes, no sets) ever enters the state, which is what
``LANGGRAPH_STRICT_MSGPACK=true`` requires.
"""

from __future__ import annotations

from typing import Any, TypedDict

JSON = dict[str, Any]


Requester = dict[str, str]
"""The Alysio user a request (and so its confirmation) belongs to: ``{"user_id", "email"}``."""


class AgentState(TypedDict, total=False):
    """One conversation thread.

    Per-request keys (reset by :func:`new_request`):
        message: The user's text of the request being handled.
        requester: Who asked (only they may approve, reject or edit).
        plan: The request's ``Plan`` (JSON).
        mentions: Mention key → resolution (``status``: ``resolved``/``ambiguous``/``missing``/``create``;
            ``record``; ``candidates``; the ``mention`` itself).
        clarify: The question the ``clarify`` node asks next (set by ``resolve``).
        edits: Values the user changed at confirmation, applied on top of the plan's values.
        proposal: The pending confirmation: steps (field by field), requester, expiry.
        execution: Idempotency key → ``{status, started_at, result}`` of each approved step.
        reply: The last answer to an interrupt (what ``interpret`` reads).
        outcome: What ``respond`` says: a reply, the question's answer, or a typed error.
        notes: Short remarks to prepend to the reply (e.g. a cancelled confirmation).

    Per-thread keys (kept across requests):
        recent: Records the conversation touched, most recent first (for "that deal", "her").
        last_question: The last read the user asked (``Question`` JSON), for follow-ups about
            "those" deals.
        recovering: Set by the service when it resumes a run that died mid-write.
    """

    message: str
    requester: Requester
    plan: JSON | None
    mentions: dict[str, JSON]
    clarify: JSON | None
    edits: list[JSON]
    proposal: JSON | None
    execution: dict[str, JSON]
    reply: JSON | None
    outcome: JSON | None
    notes: list[str]
    recent: list[JSON]
    last_question: JSON | None
    recovering: bool


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
        recovering=False,
    )


RECENT_MAX = 10


def remember(recent: list[JSON], records: list[JSON]) -> list[JSON]:
    """``recent`` with ``records`` ({object_type, id, label}) moved to the front, newest first."""
    seen = {(r["object_type"], r["id"]) for r in records}
    kept = [r for r in recent if (r["object_type"], r["id"]) not in seen]
    return (records + kept)[:RECENT_MAX]

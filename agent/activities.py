"""A plan's :class:`~agent.plan.Activity` → the HubSpot properties of that engagement type.

Per HubSpot's activity guides (HUBSPOT_FACTS §5.6): every engagement needs ``hs_timestamp``
(when it happened; a task's due time; a meeting's start); the text goes to the type's own body
property; enumerations take HubSpot's upper-case values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from agent.plan import Activity

_DEFAULT_MEETING_MINUTES: Final = 30

_CALL_DIRECTIONS: Final = frozenset({"INBOUND", "OUTBOUND"})
_CALL_STATUSES: Final = frozenset(
    {"BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED", "IN_PROGRESS",
     "NO_ANSWER", "QUEUED", "RINGING"}
)  # fmt: skip
_MEETING_OUTCOMES: Final = frozenset({"SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"})
_EMAIL_DIRECTIONS: Final = frozenset({"EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"})
_TASK_STATUSES: Final = frozenset({"NOT_STARTED", "COMPLETED", "IN_PROGRESS", "WAITING", "DEFERRED"})
_TASK_PRIORITIES: Final = frozenset({"LOW", "MEDIUM", "HIGH", "NONE"})


class ActivityError(ValueError):
    """The activity cannot be expressed as valid HubSpot properties."""


def _iso(value: str) -> str:
    """ISO-8601 UTC (``...Z``) of an ISO datetime or date."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ActivityError(f"Not a date and time: {value!r}.") from None
    if parsed.tzinfo is None:
        raise ActivityError(f"A date and time needs a timezone: {value!r}.")
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _enum(value: str | None, allowed: frozenset[str], what: str) -> str | None:
    if value is None:
        return None
    upper = value.strip().upper().replace(" ", "_")
    if upper not in allowed:
        raise ActivityError(f"{value!r} is not a {what} ({', '.join(sorted(allowed))}).")
    return upper


def activity_properties(activity: Activity, now: datetime) -> dict[str, str]:
    """HubSpot properties for logging ``activity`` (``now``: aware; the default time).

    Raises:
        ActivityError: A value is not valid for the type (unknown status, bad date).
    """
    when = _iso(activity.when) if activity.when else _iso(now.isoformat())
    props: dict[str, str] = {"hs_timestamp": when}
    body, subject = activity.body, activity.subject
    kind = activity.type
    if kind == "notes":
        text = "\n\n".join(p for p in (subject, body) if p)
        if not text:
            raise ActivityError("A note needs some text.")
        props["hs_note_body"] = text
    elif kind == "calls":
        props["hs_call_title"] = subject or "Call"
        if body:
            props["hs_call_body"] = body
        direction = _enum(activity.direction, _CALL_DIRECTIONS, "call direction")
        props["hs_call_direction"] = direction or "OUTBOUND"
        props["hs_call_status"] = _enum(activity.status, _CALL_STATUSES, "call status") or "COMPLETED"
    elif kind == "meetings":
        props["hs_meeting_title"] = subject or "Meeting"
        if body:
            props["hs_meeting_body"] = body
        props["hs_meeting_start_time"] = when
        start = datetime.fromisoformat(when.replace("Z", "+00:00"))
        end = _iso(activity.end) if activity.end else None
        if end is None:
            end = (start + timedelta(minutes=_DEFAULT_MEETING_MINUTES)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        props["hs_meeting_end_time"] = end
        outcome = _enum(activity.status, _MEETING_OUTCOMES, "meeting outcome")
        props["hs_meeting_outcome"] = outcome or ("SCHEDULED" if start > now else "COMPLETED")
    elif kind == "emails":
        props["hs_email_subject"] = subject or "Email"
        if body:
            props["hs_email_text"] = body
        props["hs_email_direction"] = (
            _enum(activity.direction, _EMAIL_DIRECTIONS, "email direction") or "EMAIL"
        )
        props["hs_email_status"] = "SENT"
    elif kind == "tasks":
        if not (subject or body):
            raise ActivityError("A task needs a subject.")
        props["hs_task_subject"] = subject or (body or "")[:80]
        if body:
            props["hs_task_body"] = body
        props["hs_task_status"] = _enum(activity.status, _TASK_STATUSES, "task status") or "NOT_STARTED"
        priority = _enum(activity.priority, _TASK_PRIORITIES, "task priority")
        if priority:
            props["hs_task_priority"] = priority
    return props

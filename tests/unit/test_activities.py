"""Plan activities → HubSpot engagement properties (HUBSPOT_FACTS §5.6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.activities import ActivityError, activity_properties
from agent.plan import Activity

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_every_type_gets_hs_timestamp_defaulting_to_now() -> None:
    for kind in ("notes", "calls", "meetings", "emails", "tasks"):
        props = activity_properties(Activity(type=kind, subject="S", body="B"), NOW)
        assert props["hs_timestamp"] == "2026-03-02T15:00:00.000Z"


def test_note_body() -> None:
    assert (
        activity_properties(Activity(type="notes", body="Switching vendors"), NOW)["hs_note_body"]
        == "Switching vendors"
    )


def test_call_defaults_and_enums() -> None:
    props = activity_properties(Activity(type="calls", body="demo", direction="inbound"), NOW)
    assert props["hs_call_direction"] == "INBOUND" and props["hs_call_status"] == "COMPLETED"
    assert props["hs_call_title"] == "Call" and props["hs_call_body"] == "demo"


def test_meeting_in_the_future_is_scheduled_with_a_default_half_hour() -> None:
    props = activity_properties(
        Activity(type="meetings", subject="Pricing", when="2026-03-03T20:00:00Z"), NOW
    )
    assert props["hs_meeting_start_time"] == props["hs_timestamp"] == "2026-03-03T20:00:00.000Z"
    assert props["hs_meeting_end_time"] == "2026-03-03T20:30:00.000Z"
    assert props["hs_meeting_outcome"] == "SCHEDULED"


def test_meeting_in_the_past_is_completed() -> None:
    props = activity_properties(Activity(type="meetings", when="2026-03-01T20:00:00Z"), NOW)
    assert props["hs_meeting_outcome"] == "COMPLETED"


def test_task_due_time_priority_and_status() -> None:
    props = activity_properties(
        Activity(type="tasks", subject="Send proposal", when="2026-03-06T22:00:00+00:00", priority="high"),
        NOW,
    )
    assert props == {
        "hs_timestamp": "2026-03-06T22:00:00.000Z",
        "hs_task_subject": "Send proposal",
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": "HIGH",
    }


def test_email_is_logged_as_sent() -> None:
    props = activity_properties(Activity(type="emails", subject="Contract", body="Attached"), NOW)
    assert props["hs_email_direction"] == "EMAIL" and props["hs_email_status"] == "SENT"
    assert props["hs_email_text"] == "Attached"


@pytest.mark.parametrize(
    "activity",
    [
        Activity(type="notes"),
        Activity(type="tasks"),
        Activity(type="calls", status="SHOUTING"),
        Activity(type="notes", body="x", when="tomorrow"),
        Activity(type="notes", body="x", when="2026-03-02T10:00:00"),
    ],
)
def test_invalid_activities_are_refused(activity: Activity) -> None:
    with pytest.raises(ActivityError):
        activity_properties(activity, NOW)

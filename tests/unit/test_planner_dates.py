"""Relative and absolute dates resolve in the user's timezone from the turn's clock.

The clock is Monday 2026-03-02 10:00 local, in New York (EST, UTC-5) and in Berlin (CET, UTC+1).
New York moves to daylight time on Sunday 8 March 2026, Berlin on Sunday 29 March 2026.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.planners.base import PlanningInput
from agent.planners.offline import plan_message
from agent.planners.offline.dates import find_temporal, to_utc_iso

ZONES = {"America/New_York": ZoneInfo("America/New_York"), "Europe/Berlin": ZoneInfo("Europe/Berlin")}


def monday(zone: str) -> datetime:
    return datetime(2026, 3, 2, 10, 0, tzinfo=ZONES[zone])


BOTH = pytest.mark.parametrize("zone", list(ZONES))

SINGLE_DAYS = [
    ("today", date(2026, 3, 2)),
    ("tomorrow", date(2026, 3, 3)),
    ("day after tomorrow", date(2026, 3, 4)),
    ("yesterday", date(2026, 3, 1)),
    ("Tuesday", date(2026, 3, 3)),
    ("on friday", date(2026, 3, 6)),
    ("this friday", date(2026, 3, 6)),
    ("next Friday", date(2026, 3, 13)),
    ("next monday", date(2026, 3, 9)),
    ("monday", date(2026, 3, 9)),
    ("last friday", date(2026, 2, 27)),
    ("EOD", date(2026, 3, 2)),
    ("EOW", date(2026, 3, 6)),
    ("end of month", date(2026, 3, 31)),
    ("end of next month", date(2026, 4, 30)),
    ("end of the quarter", date(2026, 3, 31)),
    ("end of year", date(2026, 12, 31)),
    ("in two weeks", date(2026, 3, 16)),
    ("in 3 days", date(2026, 3, 5)),
    ("in a month", date(2026, 4, 2)),
    ("2 weeks from now", date(2026, 3, 16)),
    ("Dec 15", date(2026, 12, 15)),
    ("December 15th", date(2026, 12, 15)),
    ("15 March 2027", date(2027, 3, 15)),
    ("Feb 10", date(2027, 2, 10)),
    ("2026-05-01", date(2026, 5, 1)),
    ("12/15", date(2026, 12, 15)),
    ("12/15/2027", date(2027, 12, 15)),
    ("15.12.", date(2026, 12, 15)),
    ("the 15th", date(2026, 3, 15)),
    ("next month", date(2026, 4, 30)),
    ("Q3", date(2026, 9, 30)),
]

PERIODS = [
    ("this week", date(2026, 3, 2), date(2026, 3, 8)),
    ("next week", date(2026, 3, 9), date(2026, 3, 15)),
    ("last week", date(2026, 2, 23), date(2026, 3, 1)),
    ("this month", date(2026, 3, 1), date(2026, 3, 31)),
    ("next month", date(2026, 4, 1), date(2026, 4, 30)),
    ("last month", date(2026, 2, 1), date(2026, 2, 28)),
    ("this quarter", date(2026, 1, 1), date(2026, 3, 31)),
    ("next quarter", date(2026, 4, 1), date(2026, 6, 30)),
    ("last quarter", date(2025, 10, 1), date(2025, 12, 31)),
    ("Q3", date(2026, 7, 1), date(2026, 9, 30)),
    ("q4 2025", date(2025, 10, 1), date(2025, 12, 31)),
    ("this year", date(2026, 1, 1), date(2026, 12, 31)),
    ("last year", date(2025, 1, 1), date(2025, 12, 31)),
    ("ytd", date(2026, 1, 1), date(2026, 3, 2)),
    ("next 30 days", date(2026, 3, 2), date(2026, 4, 1)),
    ("today", date(2026, 3, 2), date(2026, 3, 2)),
]


@BOTH
@pytest.mark.parametrize(("phrase", "expected"), SINGLE_DAYS)
def test_single_days(zone: str, phrase: str, expected: date) -> None:
    assert find_temporal(phrase, monday(zone), zone).single_date() == expected


@BOTH
@pytest.mark.parametrize(("phrase", "first", "last"), PERIODS)
def test_periods_for_filters(zone: str, phrase: str, first: date, last: date) -> None:
    assert find_temporal(phrase, monday(zone), zone).period() == (first, last)


@pytest.mark.parametrize(
    ("phrase", "zone", "expected"),
    [
        ("3/4", "America/New_York", date(2026, 3, 4)),
        ("3/4", "Europe/Berlin", date(2026, 4, 3)),
        ("12/15", "Europe/Berlin", date(2026, 12, 15)),
    ],
)
def test_numeric_dates_read_in_the_users_regional_order(phrase: str, zone: str, expected: date) -> None:
    assert find_temporal(phrase, monday(zone), zone).single_date() == expected


NAMED_MONTHS = [
    # Today's own date said with its month is next year's; numeric dates keep today.
    ("March 2", date(2027, 3, 2)),
    ("2 March", date(2027, 3, 2)),
    ("March 3", date(2026, 3, 3)),
    ("Feb 29", date(2028, 2, 29)),  # the next leap year's
    ("29th of February, 2028", date(2028, 2, 29)),
    ("3rd of June, 2027", date(2027, 6, 3)),
    ("5 of may", date(2026, 5, 5)),
    ("Sept. 3", date(2026, 9, 3)),
    ("sep 3rd", date(2026, 9, 3)),
    ("DEC 05", date(2026, 12, 5)),
    ("Jan 1, 1999", date(1999, 1, 1)),  # a year given is kept, past or not
    ("on Jan 1st", date(2027, 1, 1)),
]


@BOTH
@pytest.mark.parametrize(("phrase", "expected"), NAMED_MONTHS)
def test_dates_with_a_named_month(zone: str, phrase: str, expected: date) -> None:
    found = find_temporal(phrase, monday(zone), zone)
    assert [hit.day for hit in found.days] == [expected]
    assert found.spans == [(0, len(phrase))]


@pytest.mark.parametrize(
    "phrase", ["Feb 30", "June 31", "29 Feb 2027", "Dec 0", "Dec 00", "Dec 32", "45 March"]
)
def test_a_named_month_with_no_such_day_is_not_a_date(phrase: str) -> None:
    found = find_temporal(phrase, monday("America/New_York"), "America/New_York")
    assert (found.days, found.periods) == ([], [])


@pytest.mark.parametrize(
    ("phrase", "zone", "expected"),
    [
        ("tomorrow 3pm", "America/New_York", "2026-03-03T20:00:00Z"),
        ("tomorrow 3pm", "Europe/Berlin", "2026-03-03T14:00:00Z"),
        ("tomorrow at 3", "America/New_York", "2026-03-03T20:00:00Z"),
        ("tomorrow at 10:30", "Europe/Berlin", "2026-03-03T09:30:00Z"),
        ("noon tomorrow", "America/New_York", "2026-03-03T17:00:00Z"),
        ("EOD", "America/New_York", "2026-03-02T22:00:00Z"),
        ("EOD", "Europe/Berlin", "2026-03-02T16:00:00Z"),
        ("EOW", "America/New_York", "2026-03-06T22:00:00Z"),
        ("3pm", "America/New_York", "2026-03-02T20:00:00Z"),
        # 9am has passed at 10:00, so a bare time means tomorrow.
        ("9am", "Europe/Berlin", "2026-03-03T08:00:00Z"),
        # New York is on daylight time (UTC-4) from 8 March.
        ("next Friday 9am", "America/New_York", "2026-03-13T13:00:00Z"),
        ("next Friday 9am", "Europe/Berlin", "2026-03-13T08:00:00Z"),
    ],
)
def test_moments_are_local_times_sent_as_utc(phrase: str, zone: str, expected: str) -> None:
    moment = find_temporal(phrase, monday(zone), zone).moment(monday(zone), None)
    assert moment is not None
    assert to_utc_iso(moment) == expected


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        # Friday before New York's spring-forward: Monday 3pm is EDT (UTC-4), not EST.
        (
            datetime(2026, 3, 6, 10, 0, tzinfo=ZONES["America/New_York"]),
            "America/New_York",
            "2026-03-09T19:00:00Z",
        ),
        # Friday before Berlin's spring-forward: Monday 3pm is CEST (UTC+2).
        (
            datetime(2026, 3, 27, 10, 0, tzinfo=ZONES["Europe/Berlin"]),
            "Europe/Berlin",
            "2026-03-30T13:00:00Z",
        ),
        # Friday before New York's fall-back (1 November 2026): Monday 3pm is EST again.
        (
            datetime(2026, 10, 30, 10, 0, tzinfo=ZONES["America/New_York"]),
            "America/New_York",
            "2026-11-02T20:00:00Z",
        ),
    ],
)
def test_daylight_saving_changes_between_now_and_the_date_are_applied(
    now: datetime, zone: str, expected: str
) -> None:
    result = plan_message("book a meeting with Hank Monday 3pm", PlanningInput(now=now, timezone=zone))
    activity = result.writes[0].activity
    assert activity is not None
    assert activity.when == expected


def test_relative_days_count_from_the_users_date_not_utcs() -> None:
    # 23:30 UTC on 2 March is already 3 March in Berlin.
    now = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    result = plan_message(
        "push the Acme close date to tomorrow", PlanningInput(now=now, timezone="Europe/Berlin")
    )
    assert result.writes[0].values[0].model_dump() == {
        "property": "closedate",
        "value": "2026-03-04",
        "kind": "literal",
    }


@pytest.mark.parametrize(
    ("phrase", "minutes"),
    [
        ("for 30 minutes", 30),
        ("for 30 min", 30),
        ("for an hour", 60),
        ("1.5 hours", 90),
        ("45-minute", 45),
        ("2 hrs", 120),
    ],
)
def test_durations(phrase: str, minutes: int) -> None:
    found = find_temporal(phrase, monday("America/New_York"), "America/New_York")
    assert [hit.length for hit in found.durations] == [timedelta(minutes=minutes)]


@pytest.mark.parametrize("text", ["Acme Corp", "50k", "call Jane", "15 people", "top 5 deals"])
def test_text_without_dates_has_none(text: str) -> None:
    found = find_temporal(text, monday("America/New_York"), "America/New_York")
    assert (found.days, found.periods, found.times) == ([], [], [])


@BOTH
def test_a_task_without_a_time_is_due_at_nine_local(zone: str) -> None:
    result = plan_message("remind me to call Jane on Dec 15", PlanningInput(now=monday(zone), timezone=zone))
    activity = result.writes[0].activity
    assert activity is not None
    expected = datetime(2026, 12, 15, 9, 0, tzinfo=ZONES[zone]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert activity.when == expected

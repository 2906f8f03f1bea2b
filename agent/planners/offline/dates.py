"""Dates, times, periods and durations in a message, resolved in the user's timezone.

Sales shorthand ("EOD", "EOW", "end of next month", "Q3", "next Friday") is handled here with
calendar arithmetic, and so are absolute dates ("Dec 15", "12/15", "15 March 2027"): without a
year, the next such day from the turn's clock. Every hit keeps its span so the planner can cut
dates out of names and subjects.

Conventions (documented because people differ): a bare weekday is its next occurrence after
today; "next Friday" is the Friday of next week (Monday-based weeks); EOD is 17:00 local today;
EOW is Friday 17:00; "next month" as a single date (a close date) is the month's last day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

_NUMBER_WORDS: Final[dict[str, int]] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple": 2,
    "couple of": 2,
    "few": 3,
}
_WEEKDAYS: Final[dict[str, int]] = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_MONTH: Final[str] = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_NUM: Final[str] = (
    r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple(?: of)?|few)"
)
_LEAD: Final[str] = r"(?:\b(?:by|on|before|until|till|due|for|from|at|of|in)\s+)?"
_EOD_TIME: Final[time] = time(17, 0)


@dataclass(frozen=True)
class DayHit:
    """A single day, optionally with the time its phrase implies (EOD -> 17:00)."""

    start: int
    end: int
    day: date
    clock: time | None = None


@dataclass(frozen=True)
class PeriodHit:
    """A range of days ("this month", "Q3"), both ends included."""

    start: int
    end: int
    first: date
    last: date


@dataclass(frozen=True)
class TimeHit:
    """A time of day ("3pm", "at 10:30", "noon")."""

    start: int
    end: int
    clock: time


@dataclass(frozen=True)
class DurationHit:
    """A length of time ("for 30 minutes", "1 hour")."""

    start: int
    end: int
    length: timedelta


@dataclass
class Temporal:
    """Everything time-related found in one message."""

    days: list[DayHit] = field(default_factory=list)
    periods: list[PeriodHit] = field(default_factory=list)
    times: list[TimeHit] = field(default_factory=list)
    durations: list[DurationHit] = field(default_factory=list)

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Character spans of every hit."""
        hits: list[DayHit | PeriodHit | TimeHit | DurationHit] = [
            *self.days,
            *self.periods,
            *self.times,
            *self.durations,
        ]
        return sorted((hit.start, hit.end) for hit in hits)

    def single_date(self) -> date | None:
        """The day meant as one date (a close date): a day, else the last day of a period."""
        if self.days:
            return self.days[0].day
        if self.periods:
            return self.periods[0].last
        return None

    def period(self) -> tuple[date, date] | None:
        """The range meant (a filter): a period, else a single day as a one-day range."""
        if self.periods:
            return self.periods[0].first, self.periods[0].last
        if self.days:
            return self.days[0].day, self.days[0].day
        return None

    def moment(self, now: datetime, default_clock: time | None) -> datetime | None:
        """The local datetime meant, or None when no day or time was said.

        Args:
            now: The turn's clock, aware, in the user's zone.
            default_clock: The time used when a day is given without one (None: keep ``now``'s).
        """
        clock = self.times[0].clock if self.times else None
        if self.days:
            hit = self.days[0]
            day = hit.day
            # "EOD next friday": the day of one phrase at the time of the other.
            timed = next((other for other in self.days if other.clock is not None), None)
            plain = next((other for other in self.days if other.clock is None), None)
            if timed is not None and plain is not None:
                day, hit = plain.day, timed
            clock = clock or hit.clock or default_clock
        elif self.periods:
            day = self.periods[0].last
            clock = clock or default_clock
        elif clock is not None:
            day = now.date()
            if datetime.combine(day, clock, tzinfo=now.tzinfo) < now:
                day += timedelta(days=1)
        else:
            return None
        if clock is None:
            return (
                now
                if day == now.date()
                else datetime.combine(day, now.timetz().replace(tzinfo=None), tzinfo=now.tzinfo)
            )
        return datetime.combine(day, clock, tzinfo=now.tzinfo)


def to_utc_iso(moment: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` suffix, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(word: str) -> int:
    word = word.strip().lower()
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _month_number(name: str) -> int:
    """1-12 for a month's name or abbreviation ("june", "Sept.")."""
    key = name.lower().rstrip(".")[:3]
    return ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].index(key) + 1


def _month_last(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first_month = 3 * (quarter - 1) + 1
    return date(year, first_month, 1), _month_last(year, first_month + 2)


def _week_bounds(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _named_date(month_name: str, day: int, year_text: str | None, today: date) -> date | None:
    """A date whose month is named ("Dec 15", "3rd of June, 2027"); None when there is no such day.

    Without a year it is the next such day after today (today's own date means next year's, and
    "Feb 29" the next leap year's).
    """
    month = _month_number(month_name)
    if year_text:
        try:
            return date(int(year_text), month, day)
        except ValueError:
            return None
    for year in range(today.year, today.year + 9):  # Feb 29 comes back within eight years
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found > today:
            return found
    return None


class _Finder:
    """Scans one message; each pattern claims a span no later pattern may overlap."""

    def __init__(self, text: str, now: datetime, month_first: bool) -> None:
        self.text = text
        self.now = now
        self.today = now.date()
        self.month_first = month_first
        self.taken: list[tuple[int, int]] = []
        self.found = Temporal()

    def _free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.taken)

    def scan(self, pattern: str) -> list[re.Match[str]]:
        matches = []
        for match in re.finditer(pattern, self.text, flags=re.IGNORECASE):
            if self._free(match.start(), match.end()):
                self.taken.append((match.start(), match.end()))
                matches.append(match)
        return matches

    def day(self, match: re.Match[str], day: date, clock: time | None = None) -> None:
        self.found.days.append(DayHit(match.start(), match.end(), day, clock))

    def period(self, match: re.Match[str], first: date, last: date) -> None:
        self.found.periods.append(PeriodHit(match.start(), match.end(), first, last))

    def run(self) -> Temporal:
        self._ends()
        self._relative_days()
        self._periods()
        self._absolute()
        self._times()
        self._durations()
        for hits in (self.found.days, self.found.periods, self.found.times, self.found.durations):
            hits.sort(key=lambda hit: hit.start)
        return self.found

    def _ends(self) -> None:
        today = self.today
        for m in self.scan(_LEAD + r"\b(?:eod|end of (?:the |to)?day|close of business|cob)\b"):
            self.day(m, today, _EOD_TIME)
        for m in self.scan(_LEAD + r"\b(?:eow|end of (?:the |this )?week)\b"):
            friday = today + timedelta(days=(4 - today.weekday()) % 7)
            self.day(m, friday, _EOD_TIME)
        for m in self.scan(_LEAD + r"\b(?:eom|end of (the |this |next )?month)\b"):
            year, month = _add_months(today, 1 if (m.group(1) or "").strip() == "next" else 0)
            self.day(m, _month_last(year, month))
        for m in self.scan(_LEAD + r"\bend of (?:the month of\s+)?" + _MONTH + r"(?!\w)"):
            name = re.search(_MONTH, m.group(0)[m.group(0).lower().rindex("end of") :], re.IGNORECASE)
            month = _month_number(name.group(0) if name else "")
            year = today.year + (1 if month < today.month else 0)
            self.day(m, _month_last(year, month))
        for m in self.scan(_LEAD + r"\b(?:eoq|end of (the |this |next )?quarter)\b"):
            quarter = (today.month - 1) // 3 + (2 if (m.group(1) or "").strip() == "next" else 1)
            year = today.year + (quarter - 1) // 4
            self.day(m, _quarter_bounds(year, (quarter - 1) % 4 + 1)[1])
        for m in self.scan(_LEAD + r"\b(?:eoy|end of (the |this |next )?year)\b"):
            self.day(m, date(today.year + (1 if (m.group(1) or "").strip() == "next" else 0), 12, 31))

    def _relative_days(self) -> None:
        today = self.today
        for m in self.scan(_LEAD + r"\b(?:the )?day after tomorrow\b"):
            self.day(m, today + timedelta(days=2))
        for m in self.scan(_LEAD + r"\b(today|tonight|this morning|this afternoon|tomorrow|yesterday)\b"):
            word = m.group(1).lower()
            offset = {"tomorrow": 1, "yesterday": -1}.get(word, 0)
            clock = {"tonight": time(19, 0), "this morning": time(9, 0), "this afternoon": time(14, 0)}.get(
                word
            )
            self.day(m, today + timedelta(days=offset), clock)
        for m in self.scan(_LEAD + r"\bin\s+" + _NUM + r"\s+(day|week|month)s?\b"):
            self._offset(m, _number(m.group(1)), m.group(2).lower())
        for m in self.scan(_LEAD + _NUM + r"\s+(day|week|month)s?\s+from\s+(?:now|today)\b"):
            self._offset(m, _number(m.group(1)), m.group(2).lower())
        for m in self.scan(
            _LEAD + r"\b(?:(this|next|coming|last|past)\s+)?(" + "|".join(_WEEKDAYS) + r")\b\.?"
        ):
            which = (m.group(1) or "").lower()
            weekday = _WEEKDAYS[m.group(2).lower()]
            if which == "next":
                monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
                self.day(m, monday + timedelta(days=weekday))
            elif which in ("last", "past"):
                back = (today.weekday() - weekday) % 7 or 7
                self.day(m, today - timedelta(days=back))
            elif which == "this":
                self.day(m, today + timedelta(days=(weekday - today.weekday()) % 7))
            else:
                self.day(m, today + timedelta(days=(weekday - today.weekday()) % 7 or 7))

    def _offset(self, m: re.Match[str], count: int, unit: str) -> None:
        if unit == "month":
            year, month = _add_months(self.today, count)
            self.day(m, date(year, month, min(self.today.day, calendar.monthrange(year, month)[1])))
        else:
            self.day(m, self.today + timedelta(days=count * (7 if unit == "week" else 1)))

    def _periods(self) -> None:
        today = self.today
        for m in self.scan(
            _LEAD + r"\b(?:the )?(this|next|last|past|previous|coming)\s+(week|month|quarter|year)\b"
        ):
            which, unit = m.group(1).lower(), m.group(2).lower()
            step = {"next": 1, "coming": 1, "last": -1, "past": -1, "previous": -1}.get(which, 0)
            self.period(m, *self._unit_bounds(unit, step))
        for m in self.scan(_LEAD + r"\b(?:the )?(?:next|last|past)\s+(\d+)\s+(day|week)s\b"):
            length = int(m.group(1)) * (7 if m.group(2).lower() == "week" else 1)
            if "next" in m.group(0).lower():
                self.period(m, today, today + timedelta(days=length))
            else:
                self.period(m, today - timedelta(days=length), today)
        for m in self.scan(_LEAD + r"\b(?:ytd|year to date)\b"):
            self.period(m, date(today.year, 1, 1), today)
        for m in self.scan(_LEAD + r"\bq([1-4])(?:\s*(?:of\s+)?'?(\d{4}|\d{2}))?\b"):
            year = today.year if not m.group(2) else int(m.group(2)) % 100 + 2000
            self.period(m, *_quarter_bounds(year, int(m.group(1))))
        for m in self.scan(_LEAD + r"\b(?:in|during)\s+(20\d{2})\b"):
            year = int(m.group(1))
            self.period(m, date(year, 1, 1), date(year, 12, 31))

    def _unit_bounds(self, unit: str, step: int) -> tuple[date, date]:
        today = self.today
        if unit == "week":
            return _week_bounds(today + timedelta(days=7 * step))
        if unit == "month":
            year, month = _add_months(today, step)
            return date(year, month, 1), _month_last(year, month)
        if unit == "quarter":
            index = today.year * 4 + (today.month - 1) // 3 + step
            return _quarter_bounds(index // 4, index % 4 + 1)
        return date(today.year + step, 1, 1), date(today.year + step, 12, 31)

    def _absolute(self) -> None:
        # Numeric dates are read here: their order depends on the user's region ("3/4" is March 4
        # in New York, 3 April in Berlin), and a day-first "15.12." is European everywhere.
        for m in self.scan(_LEAD + r"\b(\d{4})-(\d{2})-(\d{2})\b"):
            self._numeric(m, int(m.group(2)), int(m.group(3)), m.group(1))
        for m in self.scan(_LEAD + r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b"):
            first, second = int(m.group(1)), int(m.group(2))
            month, day = (first, second) if self.month_first else (second, first)
            if month > 12 >= day:
                month, day = day, month
            self._numeric(m, month, day, m.group(3))
        for m in self.scan(_LEAD + r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})?(?!\d)"):
            self._numeric(m, int(m.group(2)), int(m.group(1)), m.group(3))
        for pattern in (
            r"(?P<month>" + _MONTH + r")\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{4}))?",
            r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>"
            + _MONTH
            + r")(?:,?\s+(?P<year>\d{4}))?",
        ):
            for m in self.scan(_LEAD + pattern):
                found = _named_date(m.group("month"), int(m.group("day")), m.group("year"), self.today)
                if found is not None:
                    self.day(m, found)
                else:
                    self.taken.remove((m.start(), m.end()))
        for m in self.scan(_LEAD + r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b"):
            wanted = int(m.group(1))
            year, month = self.today.year, self.today.month
            if wanted <= self.today.day:
                year, month = _add_months(self.today, 1)
            if wanted <= calendar.monthrange(year, month)[1]:
                self.day(m, date(year, month, wanted))

    def _numeric(self, m: re.Match[str], month: int, day: int, year_text: str | None) -> None:
        """A numeric date; without a year, its next occurrence from today."""
        year = (
            self.today.year
            if not year_text
            else int(year_text) % 100 + 2000
            if len(year_text) == 2
            else int(year_text)
        )
        try:
            found = date(year, month, day)
            if not year_text and found < self.today:
                found = date(year + 1, month, day)
        except ValueError:
            self.taken.remove((m.start(), m.end()))
            return
        self.day(m, found)

    def _times(self) -> None:
        # "2-3pm", "10-11:30am": a start and an end, both in the meridiem given last.
        for m in self.scan(
            r"(?:\b(?:from|at)\s+)?\b(\d{1,2})(?::(\d{2}))?\s*(?:-|–|to)\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b"
        ):
            pm = m.group(5).lower() == "pm"
            end_hour = int(m.group(3)) % 12 + (12 if pm else 0)
            start_hour = int(m.group(1)) % 12 + (12 if pm else 0)
            if start_hour > end_hour:
                start_hour -= 12
            self._time(m, start_hour, int(m.group(2) or 0))
            start = time(start_hour, int(m.group(2) or 0))
            end = time(end_hour, int(m.group(4) or 0))
            minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            if minutes > 0:
                self.found.durations.append(DurationHit(m.start(), m.end(), timedelta(minutes=minutes)))
        for m in self.scan(r"(?:\b(?:at|@)\s*)?\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)(?!\w)"):
            hour = int(m.group(1)) % 12 + (12 if m.group(3).lower().startswith("p") else 0)
            self._time(m, hour, int(m.group(2) or 0))
        for m in self.scan(r"(?:\b(?:at|@)\s*)?\b([01]?\d|2[0-3]):([0-5]\d)\b"):
            self._time(m, int(m.group(1)), int(m.group(2)))
        for m in self.scan(
            r"\b(?:at|@)\s*(\d{1,2})\b(?!\s*(?:%|k\b|m\b|days?|weeks?|months?|minutes|hours?|people))"
        ):
            hour = int(m.group(1))
            if 1 <= hour <= 12:
                self._time(m, hour + 12 if hour <= 7 else hour, 0)
        for m in self.scan(r"\b(?:at\s+)?(noon|midday|midnight|lunch ?time)\b"):
            self._time(m, 0 if m.group(1).lower() == "midnight" else 12, 0)
        for m in self.scan(r"\b(?:in the\s+)?(morning|afternoon|evening)\b"):
            self._time(m, {"morning": 9, "afternoon": 14, "evening": 18}[m.group(1).lower()], 0)

    def _time(self, m: re.Match[str], hour: int, minute: int) -> None:
        if hour < 24:
            self.found.times.append(TimeHit(m.start(), m.end(), time(hour, minute)))

    def _durations(self) -> None:
        unit = r"(minutes?|mins?|hours?|hrs?|h)\b"
        amount = r"(\d+(?:\.\d+)?|half an?|an?|one|two|three|four)"
        for m in self.scan(
            r"\b(?:for\s+)?(?:an?\s+)?" + amount + r"[\s-]*" + unit + r"(?:\s+(?:long|meeting|call))?"
        ):
            raw, which = m.group(1).lower(), m.group(2).lower()
            count = 0.5 if raw.startswith("half") else float(raw) if raw[0].isdigit() else float(_number(raw))
            minutes = count if which.startswith("min") else count * 60
            self.found.durations.append(DurationHit(m.start(), m.end(), timedelta(minutes=minutes)))


def find_temporal(text: str, now: datetime, timezone: str) -> Temporal:
    """Find every date, period, time and duration in ``text``.

    Args:
        text: The (normalised) message.
        now: The turn's clock, aware, in the user's zone.
        timezone: The user's IANA zone; numeric dates read month-first in the Americas.

    Returns:
        The hits, each list in the order of the text.
    """
    return _Finder(text, now, month_first=timezone.startswith("America/") or timezone == "UTC").run()

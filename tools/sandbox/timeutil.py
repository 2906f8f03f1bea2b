"""Timestamp parsing and formatting in HubSpot's wire formats."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH_MS = re.compile(r"^-?\d{1,16}$")


def iso(dt: datetime) -> str:
    """HubSpot's ISO-8601 UTC form with milliseconds: ``2024-01-17T19:55:04.281Z``."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def epoch_ms(dt: datetime) -> int:
    """Milliseconds since the Unix epoch."""
    return int(dt.timestamp() * 1000)


def from_epoch_ms(ms: int) -> datetime:
    """The UTC datetime of an epoch-milliseconds value."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def parse_instant(value: str) -> datetime | None:
    """Parse what HubSpot accepts for a date or datetime: epoch ms, ``YYYY-MM-DD`` or ISO-8601.

    Returns:
        The UTC datetime, or None when the text is none of these forms. A naive ISO datetime is
        taken as UTC.
    """
    text = value.strip()
    try:
        if _EPOCH_MS.match(text):
            return from_epoch_ms(int(text))
        if _ISO_DATE.match(text):
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)

"""Retry policy for tenacity: what is safe to send again, and how long to wait first.

Reads, PATCH and the association PUT are retried on 429, 5xx, timeouts and connection errors.
Creates and merges are retried only when HubSpot surely did not act (a 429, or a request that
never left); an ambiguous failure goes to the client's look-before-resend check instead.
"""

from __future__ import annotations

from typing import Final

from tenacity import RetryCallState

from tools.hubspot.errors import HubSpotError, UpstreamUnavailable

MAX_RETRY_WAIT_SECONDS: Final = 30.0
"""Longer waits (a daily limit, a data-centre move) are not slept through: the user is told instead."""


def retryable(exc: BaseException) -> bool:
    """Reads, PATCH and the association PUT: retry 429s, 5xx, timeouts and connection errors."""
    if not isinstance(exc, HubSpotError) or not exc.retryable:
        return False
    wait = getattr(exc, "retry_after", None)
    return wait is None or wait <= MAX_RETRY_WAIT_SECONDS


def retryable_unsent(exc: BaseException) -> bool:
    """Creates and merges: retry only when HubSpot surely did not act (429, nothing sent)."""
    if isinstance(exc, UpstreamUnavailable) and exc.ambiguous:
        return False
    return retryable(exc)


def wait_seconds(state: RetryCallState) -> float:
    """HubSpot's own wait (``Retry-After`` or its rate-limit window) when given, else exponential backoff."""
    exc = state.outcome.exception() if state.outcome else None
    wait = getattr(exc, "retry_after", None)
    if isinstance(wait, int | float):
        return float(wait)
    return float(min(8.0, 0.25 * 2 ** (state.attempt_number - 1)))

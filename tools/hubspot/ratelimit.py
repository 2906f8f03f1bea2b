"""Client-side rate limiting per HubSpot portal, so users see no 429s in normal use.

HubSpot's burst limit is a rolling 10-second window (100 requests for the lowest tiers) and
search has its own 5 requests per second per account (and is exempt from the burst window).
The defaults stay just under both. :class:`RateLimiter` is a Protocol so a shared backend
(Redis, for several replicas) can replace :class:`InMemoryRateLimiter` without touching the client.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Literal, Protocol

RequestKind = Literal["general", "search"]
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter(Protocol):
    """Waits until one more request to a portal fits under the limits, then counts it."""

    async def acquire(self, portal_key: str, kind: RequestKind) -> float:
        """Reserve a slot for one request.

        Args:
            portal_key: Identifies the HubSpot account (tenant + credential).
            kind: ``search`` requests count against the search limit, others the burst window.

        Returns:
            Seconds spent waiting.
        """
        ...


class _Window:
    """Sliding-window log: at most ``limit`` events in any ``period`` seconds."""

    __slots__ = ("events", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.events: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self.events and self.events[0] <= now - self.period:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.events[0] + self.period - now


class InMemoryRateLimiter:
    """Per-process sliding-window limiter (one window per portal and request kind).

    Args:
        requests: Requests allowed per ``window_seconds`` (HubSpot's burst limit).
        window_seconds: Length of the rolling window.
        search_per_second: Search requests allowed per second.
        clock: Monotonic seconds; injectable so tests control time.
        sleep: Async sleep; injectable so tests never really wait.
    """

    def __init__(
        self,
        *,
        requests: int = 100,
        window_seconds: float = 10.0,
        search_per_second: int = 4,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._limits: dict[RequestKind, tuple[int, float]] = {
            "general": (requests, window_seconds),
            "search": (search_per_second, 1.0),
        }
        self._clock = clock
        self._sleep = sleep
        self._windows: dict[tuple[str, RequestKind], _Window] = {}

    async def acquire(self, portal_key: str, kind: RequestKind) -> float:
        """See :meth:`RateLimiter.acquire`."""
        window = self._windows.get((portal_key, kind))
        if window is None:
            window = self._windows[(portal_key, kind)] = _Window(*self._limits[kind])
        waited = 0.0
        # Check-and-record has no await in between, so concurrent tasks cannot both take the last slot.
        while (delay := window.wait_time(self._clock())) > 0:
            waited += delay
            await self._sleep(delay)
        window.events.append(self._clock())
        return waited

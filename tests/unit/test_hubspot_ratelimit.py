"""The per-portal rate limiter, driven by an injected clock (nothing really sleeps)."""

from __future__ import annotations

from tools.hubspot.ratelimit import InMemoryRateLimiter, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _limiter(clock: Clock, **kw: int | float) -> InMemoryRateLimiter:
    return InMemoryRateLimiter(clock=clock, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


async def test_requests_under_the_limit_do_not_wait() -> None:
    clock = Clock()
    limiter = _limiter(clock, requests=3, window_seconds=10)
    for _ in range(3):
        assert await limiter.acquire("portal-a", "general") == 0.0
    assert clock.sleeps == []


async def test_the_request_over_the_window_waits_for_the_oldest_to_expire() -> None:
    clock = Clock()
    limiter = _limiter(clock, requests=3, window_seconds=10)
    for step in (0.0, 1.0, 2.0):
        clock.now = 1000.0 + step
        await limiter.acquire("portal-a", "general")
    clock.now = 1005.0
    waited = await limiter.acquire("portal-a", "general")
    assert waited == 5.0 and clock.sleeps == [5.0]  # the first request leaves the window at t=1010


async def test_search_has_its_own_per_second_limit() -> None:
    clock = Clock()
    limiter = _limiter(clock, requests=100, window_seconds=10, search_per_second=4)
    for _ in range(4):
        await limiter.acquire("portal-a", "search")
    assert await limiter.acquire("portal-a", "general") == 0.0  # search is exempt from the burst window
    assert await limiter.acquire("portal-a", "search") == 1.0


async def test_portals_are_limited_independently() -> None:
    clock = Clock()
    limiter = _limiter(clock, requests=1, window_seconds=10)
    await limiter.acquire("portal-a", "general")
    assert await limiter.acquire("portal-b", "general") == 0.0
    assert await limiter.acquire("portal-a", "general") == 10.0


async def test_a_hundred_requests_per_ten_seconds_by_default() -> None:
    clock = Clock()
    limiter = _limiter(clock)
    for _ in range(100):
        await limiter.acquire("p", "general")
    assert clock.sleeps == []
    await limiter.acquire("p", "general")
    assert clock.sleeps == [10.0]


def test_in_memory_limiter_satisfies_the_protocol() -> None:
    limiter: RateLimiter = InMemoryRateLimiter()
    assert callable(limiter.acquire)

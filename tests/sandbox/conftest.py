"""Shared fixtures: an in-process sandbox with a fake clock and an httpx client per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tools.sandbox import Sandbox, SandboxApp, create_app
from tools.scopes_catalog import ALL_SCOPES

BASE_URL = "http://127.0.0.1:8765"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class FakeSleep:
    """Records requested sleeps and moves the clock instead of waiting."""

    clock: FakeClock
    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_sleep(clock: FakeClock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture
def app(clock: FakeClock, fake_sleep: FakeSleep) -> SandboxApp:
    return create_app("empty", clock=clock, sleep=fake_sleep)


@pytest.fixture
def sandbox(app: SandboxApp) -> Sandbox:
    return app.sandbox


@pytest.fixture
def make_client(app: SandboxApp) -> Callable[..., httpx.AsyncClient]:
    def make(token: str | None = None, **headers: str) -> httpx.AsyncClient:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers)

    return make


@pytest.fixture
async def client(
    sandbox: Sandbox, make_client: Callable[..., httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose token has every scope the integration lists."""
    async with make_client(sandbox.create_token(ALL_SCOPES)) as c:
        yield c


def error_body_ok(body: Any, category: str) -> None:
    """HubSpot's error shape: status, message, correlationId, category."""
    assert body["status"] == "error"
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["correlationId"], str) and body["correlationId"]
    assert body["category"] == category

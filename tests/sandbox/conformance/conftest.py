"""Fixtures for the sandbox conformance suite.

The suite checks the sandbox from the outside, the way HubSpot's real API would be checked:
through the official `hubspot-api-client` SDK (which uses urllib3, so the sandbox runs on a
loopback port under uvicorn) and through plain HTTP for what the SDK does not cover.
Each test starts from an empty portal (`POST /_sandbox/reset`).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from hubspot import HubSpot

from tools.scopes_catalog import ALL_SCOPES


class TickingClock:
    """A deterministic clock for the sandbox: every reading is 1 ms after the previous one.

    Readings never repeat, so creation order and "updated after created" are observable without
    sleeping; `advance` jumps forward (e.g. past a rate-limit window).
    """

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self._now += timedelta(milliseconds=1)
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


@pytest.fixture(scope="session")
def clock() -> TickingClock:
    return TickingClock(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def sandbox_app(clock: TickingClock) -> Any:
    """The sandbox ASGI app, built once for the whole suite, on the ticking clock."""
    from tools.sandbox import create_app

    return create_app(fixture="empty", clock=clock)


@pytest.fixture(scope="session")
def base_url(sandbox_app: Any) -> Iterator[str]:
    """Serve the sandbox with uvicorn on a free loopback port in a background thread.

    The listening socket is bound before the server starts, so requests made before uvicorn
    enters its loop wait in the accept backlog instead of failing: no readiness polling.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY; without it small responses wait ~40 ms on delayed ACKs.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(sandbox_app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Portal:
    """One test's view of a freshly reset sandbox portal.

    Attributes:
        base_url: Root URL of the sandbox (HubSpot paths are served at its root).
        http: An httpx client on `base_url` without credentials.
        token: A bearer token holding every scope the product document lists.
    """

    base_url: str
    http: httpx.Client
    token: str

    def new_token(self, scopes: list[str] | tuple[str, ...]) -> str:
        """Create a HubSpot bearer token with exactly `scopes`."""
        response = self.http.post("/_sandbox/tokens", json={"scopes": list(scopes)})
        assert response.status_code in (200, 201), response.text
        token = response.json()["token"]
        assert isinstance(token, str)
        return token

    def sdk(self, token: str | None = None) -> HubSpot:
        """The official SDK pointed at the sandbox (`host=` sets every API group's base path)."""
        return HubSpot(access_token=token or self.token, host=self.base_url)

    def api(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        """A raw HubSpot API request with a bearer token (all scopes unless given)."""
        headers = {"Authorization": f"Bearer {token or self.token}", **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def load(self, portal: dict[str, Any]) -> dict[str, str]:
        """Add a `portal:` block (EVAL_CASES.md format) and return its ref -> id map."""
        response = self.http.post("/_sandbox/fixtures", json={"portal": portal})
        assert response.status_code in (200, 201), response.text
        return {str(k): str(v) for k, v in response.json().items()}

    def create(self, object_type: str, properties: dict[str, str], **body: Any) -> dict[str, Any]:
        """Create a record over raw HTTP and return the created object."""
        response = self.api("POST", f"/crm/v3/objects/{object_type}", json={"properties": properties, **body})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@pytest.fixture
def portal(base_url: str) -> Iterator[Portal]:
    """An empty portal (HubSpot's defaults only) and a token with every listed scope."""
    with httpx.Client(base_url=base_url, timeout=10) as http:
        reset = http.post("/_sandbox/reset")
        assert reset.status_code in (200, 204), reset.text
        view = Portal(base_url=base_url, http=http, token="")
        view.token = view.new_token(ALL_SCOPES)
        yield view


# A valid minimal record per object type (HUBSPOT_FACTS §2.6 minimum properties; activities
# need hs_timestamp, given here as ISO-8601 UTC and as epoch milliseconds).
MINIMAL_PROPERTIES: dict[str, dict[str, str]] = {
    "contacts": {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace"},
    "companies": {"name": "Example Industries", "domain": "example.com"},
    "deals": {
        "dealname": "Example deal",
        "amount": "1500",
        "pipeline": "default",
        "dealstage": "appointmentscheduled",
        "closedate": "2026-12-15T00:00:00.000Z",
    },
    "tasks": {
        "hs_task_subject": "Call back",
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": "HIGH",
        "hs_timestamp": "2026-12-01T15:00:00.000Z",
    },
    "notes": {"hs_note_body": "Met at the trade show.", "hs_timestamp": "1764600000000"},
    "calls": {
        "hs_call_title": "Discovery call",
        "hs_call_direction": "OUTBOUND",
        "hs_call_status": "COMPLETED",
        "hs_timestamp": "2026-11-20T10:00:00.000Z",
    },
    "meetings": {
        "hs_meeting_title": "Demo",
        "hs_meeting_outcome": "SCHEDULED",
        "hs_meeting_start_time": "2026-12-03T14:00:00.000Z",
        "hs_meeting_end_time": "2026-12-03T15:00:00.000Z",
        "hs_timestamp": "2026-12-03T14:00:00.000Z",
    },
    "emails": {
        "hs_email_subject": "Proposal",
        "hs_email_text": "Please find the proposal attached.",
        "hs_email_direction": "EMAIL",
        "hs_email_status": "SENT",
        "hs_timestamp": "2026-11-21T09:30:00.000Z",
    },
}

OBJECT_TYPES: tuple[str, ...] = tuple(MINIMAL_PROPERTIES)

# Singular names used by the SDK's AssociationType enum (`CONTACT_TO_COMPANY`, ...).
SINGULAR: dict[str, str] = {
    "contacts": "CONTACT",
    "companies": "COMPANY",
    "deals": "DEAL",
    "tasks": "TASK",
    "notes": "NOTE",
    "calls": "CALL",
    "meetings": "MEETING",
    "emails": "EMAIL",
}


def assert_hubspot_error(body: Any, *, category: str | None = None) -> None:
    """Assert the HubSpot error envelope (HUBSPOT_FACTS §9.1): status, message, correlationId."""
    assert isinstance(body, dict), body
    assert body.get("status") == "error", body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert isinstance(body.get("correlationId"), str) and body["correlationId"], body
    if category is not None:
        assert body.get("category") == category, body

"""HubSpot's rate limits as the sandbox enforces them when switched on.

Sources: HUBSPOT_FACTS §11: 100 requests per rolling 10 s for a Free/Starter private app,
`X-HubSpot-RateLimit-Max` / `-Remaining` / `-Interval-Milliseconds` headers, the ten-secondly 429
body (`policyName: TEN_SECONDLY_ROLLING`, ISS-PY117), search limited to 5 requests per second
and exempt from the ten-secondly limit (`x-hubspot-rate-limit-exemptions` in every search spec).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from tools.scopes_catalog import ALL_SCOPES

from .conftest import TickingClock


@pytest.fixture
def limited() -> Iterator[tuple[TestClient, TickingClock]]:
    from tools.sandbox import create_app

    clock = TickingClock(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    app = create_app(fixture="empty", rate_limits=True, clock=clock)
    token = app.state.sandbox.create_token(ALL_SCOPES)
    with TestClient(app, base_url="http://sandbox.test") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client, clock


def test_responses_carry_the_ten_secondly_headers(limited: tuple[TestClient, TickingClock]) -> None:
    client, _ = limited

    first = client.get("/crm/v3/owners")
    second = client.get("/crm/v3/owners")

    assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert first.headers["X-HubSpot-RateLimit-Max"] == "100"
    assert (
        int(second.headers["X-HubSpot-RateLimit-Remaining"])
        == int(first.headers["X-HubSpot-RateLimit-Remaining"]) - 1
    )


def test_the_101st_request_in_ten_seconds_is_a_429_with_hubspots_body(
    limited: tuple[TestClient, TickingClock],
) -> None:
    client, clock = limited
    statuses = [client.get("/crm/v3/owners").status_code for _ in range(100)]

    refused = client.get("/crm/v3/owners")
    clock.advance(10)
    later = client.get("/crm/v3/owners")

    assert statuses == [200] * 100
    assert refused.status_code == 429
    body = refused.json()
    assert body["status"] == "error"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["errorType"] == "RATE_LIMIT"
    assert isinstance(body["correlationId"], str)
    assert refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert later.status_code == 200


def test_the_sixth_search_in_a_second_is_a_429(limited: tuple[TestClient, TickingClock]) -> None:
    client, clock = limited
    statuses = [client.post("/crm/v3/objects/contacts/search", json={}).status_code for _ in range(5)]

    refused = client.post("/crm/v3/objects/contacts/search", json={})
    clock.advance(1)
    later = client.post("/crm/v3/objects/contacts/search", json={})

    assert statuses == [200] * 5
    assert refused.status_code == 429
    assert refused.json()["message"] == "You have reached your secondly limit."
    assert later.status_code == 200


def test_search_is_exempt_from_the_ten_secondly_limit(limited: tuple[TestClient, TickingClock]) -> None:
    client, _ = limited
    for _ in range(100):
        client.get("/crm/v3/owners")

    search = client.post("/crm/v3/objects/contacts/search", json={})

    assert client.get("/crm/v3/owners").status_code == 429
    assert search.status_code == 200

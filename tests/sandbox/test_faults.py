"""Injected faults, added latency and HubSpot's rate limits; no real waiting (the sleep is injected)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.sandbox.conftest import BASE_URL, FakeClock, FakeSleep
from tools.sandbox import DroppedConnection, RateLimits, Sandbox, SimulatedTimeout, create_app
from tools.scopes_catalog import ALL_SCOPES


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_next_n_matching_requests_answer_the_status(
    client: httpx.AsyncClient, sandbox: Sandbox, status: int
) -> None:
    sandbox.add_fault(status=status, count=2, method="POST", path="/crm/v3/objects/*/search")
    assert (await client.get("/crm/v3/owners")).status_code == 200  # not matching
    for _ in range(2):
        r = await client.post("/crm/v3/objects/contacts/search", json={})
        assert r.status_code == status
        assert r.json()["status"] == "error"
    assert (await client.post("/crm/v3/objects/contacts/search", json={})).status_code == 200
    assert [e["status"] for e in sandbox.requests][-3:] == [status, status, 200]


async def test_429_fault_uses_hubspots_ten_secondly_body(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.add_fault(status=429)
    r = await client.get("/crm/v3/owners")
    assert r.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert r.headers["x-hubspot-ratelimit-interval-milliseconds"] == "10000"


async def test_delay_waits_through_the_injected_sleep(
    client: httpx.AsyncClient, sandbox: Sandbox, fake_sleep: FakeSleep
) -> None:
    sandbox.add_fault(kind="delay", seconds=2.5)
    assert (await client.get("/crm/v3/owners")).status_code == 200
    assert fake_sleep.calls == [2.5]


async def test_timeout_and_dropped_connection_reach_the_client_as_transport_errors(
    client: httpx.AsyncClient, sandbox: Sandbox, fake_sleep: FakeSleep
) -> None:
    sandbox.add_fault(kind="timeout", seconds=30)
    with pytest.raises(httpx.TimeoutException):
        await client.get("/crm/v3/owners")
    assert fake_sleep.calls == [30.0]
    sandbox.add_fault(kind="drop")
    with pytest.raises(httpx.TransportError):
        await client.get("/crm/v3/owners")
    assert issubclass(DroppedConnection, httpx.RemoteProtocolError) and issubclass(
        SimulatedTimeout, httpx.ReadTimeout
    )
    assert [e["status"] for e in sandbox.requests] == [0, 0]
    assert (await client.get("/crm/v3/owners")).status_code == 200


async def test_seeded_random_faults_repeat_exactly(clock: FakeClock) -> None:
    async def run() -> list[int]:
        app = create_app("empty", clock=clock)
        app.sandbox.faults.configure({"random": {"rate": 0.5, "seed": 7, "statuses": [503]}})
        token = app.sandbox.create_token(ALL_SCOPES)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=BASE_URL,
            headers={"Authorization": f"Bearer {token}"},
        ) as c:
            return [(await c.get("/crm/v3/owners")).status_code for _ in range(20)]

    first, second = await run(), await run()
    assert first == second
    assert set(first) == {200, 503}


async def test_added_latency_applies_to_every_request(
    client: httpx.AsyncClient, sandbox: Sandbox, fake_sleep: FakeSleep
) -> None:
    sandbox.faults.configure({"latencyMs": 40})
    await client.get("/crm/v3/owners")
    await client.get("/crm/v3/owners")
    assert fake_sleep.calls == [0.04, 0.04]


async def test_faults_over_http_and_clear(
    client: httpx.AsyncClient, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    async with make_client() as admin:
        r = await admin.post("/_sandbox/faults", json={"status": 502, "count": 3, "path": "/crm/v3/owners"})
        assert r.json()["faults"][0]["remaining"] == 3
        assert (await client.get("/crm/v3/owners")).status_code == 502
        await admin.post("/_sandbox/faults", json={"clear": True})
        assert (await admin.get("/_sandbox/faults")).json()["faults"] == []
        assert (await admin.post("/_sandbox/faults", json={"status": 418})).status_code == 400
    assert (await client.get("/crm/v3/owners")).status_code == 200


async def test_rate_limit_ten_second_window_per_token(clock: FakeClock) -> None:
    app = create_app("empty", clock=clock, rate_limits=RateLimits(enabled=True, per_ten_seconds=3))
    token = app.sandbox.create_token(ALL_SCOPES)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {token}"},
    ) as c:
        statuses = [(await c.get("/crm/v3/owners")) for _ in range(4)]
        assert [r.status_code for r in statuses] == [200, 200, 200, 429]
        assert statuses[0].headers["x-hubspot-ratelimit-max"] == "3"
        assert statuses[2].headers["x-hubspot-ratelimit-remaining"] == "0"
        body = statuses[3].json()
        assert (body["policyName"], body["errorType"]) == ("TEN_SECONDLY_ROLLING", "RATE_LIMIT")
        clock.advance(seconds=10.5)
        assert (await c.get("/crm/v3/owners")).status_code == 200


async def test_search_limit_per_second_and_exempt_from_ten_second_window(clock: FakeClock) -> None:
    app = create_app(
        "empty", clock=clock, rate_limits=RateLimits(enabled=True, per_ten_seconds=1, search_per_second=2)
    )
    token = app.sandbox.create_token(ALL_SCOPES)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {token}"},
    ) as c:
        codes = [(await c.post("/crm/v3/objects/contacts/search", json={})).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        clock.advance(seconds=1.01)
        r = await c.post("/crm/v3/objects/contacts/search", json={})
        assert r.status_code == 200
        assert "x-hubspot-ratelimit-max" not in r.headers  # search carries no rate-limit headers


async def test_rate_limits_are_off_by_default_and_configurable_over_http(
    client: httpx.AsyncClient, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    for _ in range(120):
        assert (await client.get("/crm/v3/owners")).status_code == 200
    async with make_client() as admin:
        cfg = (await admin.post("/_sandbox/rate-limits", json={"enabled": True, "perTenSeconds": 1})).json()
        assert cfg == {"enabled": True, "perTenSeconds": 1, "searchPerSecond": 5}
    assert (await client.get("/crm/v3/owners")).status_code == 200
    assert (await client.get("/crm/v3/owners")).status_code == 429


async def test_a_lost_answer_means_hubspot_acted_but_the_caller_never_heard(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.add_fault(kind="lost", method="POST", path="/crm/v3/objects/deals")
    with pytest.raises(httpx.TransportError):
        await client.post("/crm/v3/objects/deals", json={"properties": {"dealname": "Lost answer"}})
    sandbox.add_fault(kind="lost", status=504, method="POST", path="/crm/v3/objects/deals")
    r = await client.post("/crm/v3/objects/deals", json={"properties": {"dealname": "Gateway timeout"}})
    assert r.status_code == 504
    names = sorted(d["properties"]["dealname"] for d in sandbox.state()["records"].get("deals", []))
    assert names == ["Gateway timeout", "Lost answer"]
    assert [(e["method"], e["status"]) for e in sandbox.requests] == [("POST", 201), ("POST", 201)]


async def test_a_late_request_times_out_for_the_caller_and_is_carried_out_when_due(
    client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    sandbox.add_fault(kind="late", seconds=5, timeout=2, method="POST", path="/crm/v3/objects/deals")
    with pytest.raises(httpx.TimeoutException):
        await client.post("/crm/v3/objects/deals", json={"properties": {"dealname": "Slow"}})
    assert sandbox.state()["records"].get("deals", []) == []  # 2 s in: HubSpot is still working on it
    clock.advance(seconds=3)
    r = await client.post("/crm/v3/objects/deals/search", json={})
    assert [d["properties"]["dealname"] for d in r.json()["results"]] == ["Slow"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_sandbox/search-lag", b'{"seconds": 1e999}'),
        ("/_sandbox/search-lag", b'{"seconds": NaN}'),
        ("/_sandbox/search-lag", b'{"seconds": -1}'),
        ("/_sandbox/search-lag", b'{"seconds": Infinity}'),
        ("/_sandbox/faults", b'{"latencyMs": 1e999}'),
        ("/_sandbox/faults", b'{"kind": "delay", "seconds": NaN}'),
        ("/_sandbox/faults", b'{"kind": "late", "seconds": 1, "timeout": 5}'),
        ("/_sandbox/faults", b'{"random": {"rate": NaN}}'),
        ("/_sandbox/faults", b'{"random": {"rate": 0.5, "seed": {}}}'),
        ("/_sandbox/rate-limits", b'{"enabled": true, "perTenSeconds": 1e999}'),
        ("/_sandbox/rate-limits", b'{"enabled": true, "searchPerSecond": -3}'),
        ("/_sandbox/rate-limits", b'{"enabled": "yes"}'),
    ],
)
async def test_the_admin_api_refuses_figures_that_are_not_finite_non_negative_numbers(
    client: httpx.AsyncClient, sandbox: Sandbox, path: str, body: bytes
) -> None:
    r = await client.post(path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert (await client.post("/crm/v3/objects/contacts/search", json={})).status_code == 200

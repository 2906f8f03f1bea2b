"""``--state``: the portal and tokens survive a restart through the SQLite file."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.sandbox.conftest import BASE_URL, FakeClock
from tools.sandbox import create_app


async def test_portal_and_tokens_survive_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    state = tmp_path / "portal.sqlite"
    first = create_app("empty", clock=clock, state_path=state)
    token = first.sandbox.create_token(["crm.objects.companies.read", "crm.objects.companies.write"])
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first), base_url=BASE_URL, headers=headers
    ) as c:
        a = (await c.post("/crm/v3/objects/companies", json={"properties": {"name": "Globex"}})).json()["id"]
        b = (await c.post("/crm/v3/objects/companies", json={"properties": {"name": "Globex Corp"}})).json()[
            "id"
        ]
        merged = (
            await c.post("/crm/v3/objects/companies/merge", json={"primaryObjectId": a, "objectIdToMerge": b})
        ).json()
        await c.patch(
            f"/crm/v3/objects/companies/{merged['id']}", json={"properties": {"city": "Springfield"}}
        )

    second = create_app("demo", clock=clock, state_path=state)  # the saved portal wins over the fixture
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=second), base_url=BASE_URL, headers=headers
    ) as c:
        got = (await c.get(f"/crm/v3/objects/companies/{a}", params={"properties": "name,city"})).json()
        assert got["id"] == merged["id"]
        assert got["properties"]["city"] == "Springfield"
        assert [r["id"] for r in (await c.get("/crm/v3/objects/companies")).json()["results"]] == [
            merged["id"]
        ]
        new = (
            await c.post("/crm/v3/objects/companies", json={"properties": {"name": "After restart"}})
        ).json()["id"]
        assert new not in (a, b, merged["id"])


def test_state_round_trips_through_json(clock: FakeClock) -> None:
    from tools.sandbox.store import Portal

    app = create_app("demo", clock=clock)
    data = app.sandbox.portal.to_json()
    assert Portal.from_json(data).to_json() == data

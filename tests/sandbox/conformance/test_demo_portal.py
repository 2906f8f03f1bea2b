"""The bundled `demo` portal loads and holds what the demo and the evals rely on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from tools.scopes_catalog import ALL_SCOPES

DEMO = Path(__file__).resolve().parents[3] / "tools" / "sandbox" / "fixtures" / "demo.yaml"
STAGES = [
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
]


@pytest.fixture(scope="module")
def demo() -> Iterator[TestClient]:
    from tools.sandbox import create_app

    app = create_app(fixture="demo")
    token = app.state.sandbox.create_token(ALL_SCOPES)
    with TestClient(app, base_url="http://sandbox.test") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _all(client: TestClient, object_type: str, properties: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        body: dict[str, Any] = {"limit": 200, "properties": properties}
        if after:
            body["after"] = after
        page = client.post(f"/crm/v3/objects/{object_type}/search", json=body).json()
        out += page["results"]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            return out


def test_demo_file_is_a_portal_block_with_unique_refs() -> None:
    data = yaml.safe_load(DEMO.read_text())

    refs = [entry["ref"] for section in data.values() for entry in section]
    assert len(refs) == len(set(refs))
    assert {"owners", "users", "roles", "teams", "companies", "contacts", "deals"} <= set(data)


def test_demo_has_the_promised_volume(demo: TestClient) -> None:
    assert len(_all(demo, "companies", ["name"])) >= 20
    assert len(_all(demo, "contacts", ["email"])) >= 60
    assert len(_all(demo, "deals", ["dealname"])) >= 30
    for activity in ("notes", "calls", "meetings", "emails", "tasks"):
        assert len(_all(demo, activity, [])) >= 3, activity


def test_demo_deals_cover_every_default_stage_with_amounts_and_close_dates(demo: TestClient) -> None:
    deals = _all(demo, "deals", ["dealstage", "amount", "closedate", "pipeline"])

    assert set(Counter(d["properties"]["dealstage"] for d in deals)) == set(STAGES)
    assert all(d["properties"]["pipeline"] == "default" for d in deals)
    assert all(float(d["properties"]["amount"]) > 0 for d in deals)
    now = datetime.now(UTC)
    closes = [datetime.fromisoformat(d["properties"]["closedate"].replace("Z", "+00:00")) for d in deals]
    assert any(c.year == now.year and c.month == now.month for c in closes), "nothing closes this month"
    next_month = (now.year + now.month // 12, now.month % 12 + 1)
    assert any((c.year, c.month) == next_month for c in closes), "nothing closes next month"
    assert any(c > now for c in closes) and any(c < now for c in closes)


def test_demo_has_acme_and_a_duplicate_company_pair(demo: TestClient) -> None:
    companies = _all(demo, "companies", ["name", "domain"])
    by_domain = Counter(c["properties"]["domain"] for c in companies)

    assert any(
        c["properties"]["name"] == "Acme Corp" and c["properties"]["domain"] == "acme.com" for c in companies
    )
    assert [d for d, n in by_domain.items() if n > 1] == ["globex.com"]


def test_demo_has_two_contacts_sharing_a_first_name_at_different_companies(demo: TestClient) -> None:
    janes = [
        c for c in _all(demo, "contacts", ["firstname", "company"]) if c["properties"]["firstname"] == "Jane"
    ]

    assert len(janes) == 2
    assert len({j["properties"]["company"] for j in janes}) == 2


def test_demo_owners_include_the_default_chat_user_and_an_archived_owner(demo: TestClient) -> None:
    active = demo.get("/crm/v3/owners").json()["results"]
    archived = demo.get("/crm/v3/owners", params={"archived": "true"}).json()["results"]

    alex = [o for o in active if o["email"] == "alex@acme-sales.io"]
    assert len(alex) == 1 and (alex[0]["firstName"], alex[0]["lastName"]) == ("Alex", "Rivera")
    assert len(active) >= 4
    assert len(archived) == 1


def test_demo_has_teams_and_roles(demo: TestClient) -> None:
    assert len(demo.get("/settings/v3/users/teams").json()["results"]) >= 2
    assert len(demo.get("/settings/v3/users/roles").json()["results"]) >= 2


def test_demo_activities_are_associated_with_records(demo: TestClient) -> None:
    for activity in ("notes", "calls", "meetings", "emails", "tasks"):
        for record in _all(demo, activity, []):
            linked = [
                demo.get(f"/crm/v4/objects/{activity}/{record['id']}/associations/{to}").json()["results"]
                for to in ("contacts", "companies", "deals")
            ]
            assert any(linked), (activity, record["id"])

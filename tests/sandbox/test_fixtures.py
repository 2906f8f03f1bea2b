"""Fixture loading: refs, owners and users as one person, value forms, extensions and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.sandbox.conftest import FakeClock
from tools.sandbox import FixtureError, Sandbox, create_app


def test_refs_map_to_real_looking_ids_and_values_resolve(sandbox: Sandbox) -> None:
    refs = sandbox.load_fixture(
        {
            "owners": [
                {"ref": "alex", "email": "alex@acme-sales.io", "firstName": "Alex", "lastName": "Rivera"}
            ],
            "companies": [
                {"ref": "acme", "properties": {"name": "Acme Corp", "hubspot_owner_id": {"owner": "alex"}}}
            ],
            "deals": [
                {
                    "ref": "d",
                    "properties": {
                        "dealname": "Acme expansion",
                        "amount": 50000,
                        "dealstage": {"stage": "Contract Sent"},
                        "closedate": {"days": 10},
                    },
                    "associations": [{"to": "companies", "ref": "acme"}],
                }
            ],
            "tasks": [
                {"ref": "t", "properties": {"hs_task_subject": "Follow up", "hs_timestamp": {"days": -1}}}
            ],
            "notes": [
                {
                    "ref": "n",
                    "properties": {"hs_note_body": "Kickoff"},
                    "associations": [{"to": "deals", "ref": "d"}],
                }
            ],
        }
    )
    assert set(refs) == {"alex", "acme", "d", "t", "n"}
    assert all(v.isdigit() for v in refs.values())
    deal = sandbox.portal.get("deals", refs["d"])
    assert deal is not None
    assert deal.properties["dealstage"] == "contractsent"
    assert deal.properties["amount"] == "50000"
    assert deal.properties["closedate"] == "2026-03-12T12:00:00.000Z"  # the sandbox clock + 10 days, noon UTC
    company = sandbox.portal.get("companies", refs["acme"])
    assert company is not None and company.properties["hubspot_owner_id"] == refs["alex"]
    task = sandbox.portal.get("tasks", refs["t"])
    assert task is not None and task.properties["hs_timestamp"] == "2026-03-01T12:00:00.000Z"
    note = sandbox.portal.get("notes", refs["n"])
    assert note is not None and note.properties["hs_timestamp"] == "2026-03-02T10:00:00.000Z"  # load time
    assert sandbox.portal.associated(("deals", refs["d"]), "companies") == {refs["acme"]: {5, 341}}


def test_days_on_a_date_property_is_a_plain_date(sandbox: Sandbox) -> None:
    refs = sandbox.load_fixture(
        {
            "properties": [
                {
                    "objectType": "deals",
                    "name": "renewal_date",
                    "label": "Renewal",
                    "type": "date",
                    "fieldType": "date",
                }
            ],
            "deals": [{"ref": "d", "properties": {"dealname": "x", "renewal_date": {"days": -2}}}],
        }
    )
    deal = sandbox.portal.get("deals", refs["d"])
    assert deal is not None and deal.properties["renewal_date"] == "2026-02-28"


def test_first_company_of_a_contact_becomes_primary(sandbox: Sandbox) -> None:
    refs = sandbox.load_fixture(
        {
            "companies": [
                {"ref": "a", "properties": {"name": "A"}},
                {"ref": "b", "properties": {"name": "B"}},
            ],
            "contacts": [
                {
                    "ref": "c",
                    "properties": {"email": "c@a.io"},
                    "associations": [{"to": "companies", "ref": "a"}, {"to": "companies", "ref": "b"}],
                }
            ],
        }
    )
    links = sandbox.portal.associated(("contacts", refs["c"]), "companies")
    assert links == {refs["a"]: {1, 279}, refs["b"]: {279}}
    contact = sandbox.portal.get("contacts", refs["c"])
    assert contact is not None and contact.properties["associatedcompanyid"] == refs["a"]


def test_owner_without_user_gets_one_and_user_with_same_email_is_reused(sandbox: Sandbox) -> None:
    refs = sandbox.load_fixture(
        {
            "users": [{"ref": "u", "email": "pat@acme-sales.io", "firstName": "Pat"}],
            "owners": [
                {"ref": "pat", "email": "pat@acme-sales.io", "firstName": "Pat", "lastName": "Kim"},
                {"ref": "lee", "email": "lee@acme-sales.io", "firstName": "Lee", "lastName": "Park"},
            ],
        }
    )
    assert str(sandbox.portal.owners[refs["pat"]].user_id) == refs["u"]
    lee_user = str(sandbox.portal.owners[refs["lee"]].user_id)
    assert sandbox.portal.users[lee_user].email == "lee@acme-sales.io"


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ({"companys": []}, "'companys'"),
        ({"companies": [{"ref": "a", "props": {}}]}, "'props'"),
        ({"owners": [{"ref": "o", "email": "o@x.io", "team": []}]}, "'team'"),
        ({"companies": [{"ref": "a", "properties": {"nme": "A"}}]}, "nme"),
        ({"deals": [{"ref": "d", "properties": {"dealstage": {"stage": "Won-ish"}}}]}, "Won-ish"),
        ({"deals": [{"ref": "d", "properties": {"hubspot_owner_id": {"owner": "ghost"}}}]}, "ghost"),
        (
            {
                "contacts": [
                    {
                        "ref": "c",
                        "properties": {"email": "c@x.io"},
                        "associations": [{"to": "companies", "ref": "nope"}],
                    }
                ]
            },
            "nope",
        ),
        ({"companies": [{"ref": "a", "properties": {"name": {"weird": 1}}}]}, "weird"),
        ({"companies": [{"ref": "a", "properties": {}}, {"ref": "a", "properties": {}}]}, "twice"),
    ],
)
def test_mistakes_are_clear_errors(sandbox: Sandbox, block: dict[str, Any], fragment: str) -> None:
    with pytest.raises(FixtureError, match=fragment):
        sandbox.load_fixture(block)


def test_yaml_file_with_or_without_portal_key(tmp_path: Path, clock: FakeClock) -> None:
    content = {"companies": [{"ref": "acme", "properties": {"name": "Acme Corp"}}]}
    wrapped = tmp_path / "wrapped.yaml"
    wrapped.write_text(yaml.safe_dump({"portal": content}))
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(content))
    for path in (wrapped, bare):
        app = create_app(path, clock=clock)
        assert [r["properties"]["name"] for r in app.sandbox.state()["records"]["companies"]] == ["Acme Corp"]
    with pytest.raises(FixtureError, match="Cannot read"):
        create_app(tmp_path / "missing.yaml")


def test_bundled_demo_fixture_loads(clock: FakeClock) -> None:
    app = create_app("demo", clock=clock)
    state = app.sandbox.state()
    assert len(state["records"]["companies"]) >= 15
    assert any(r["properties"].get("name") == "Acme Corp" for r in state["records"]["companies"])
    assert any(o["email"] == "alex@acme-sales.io" for o in state["owners"])
    assert any(o["archived"] for o in state["owners"])


async def test_fixture_records_are_served(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    refs = sandbox.load_fixture({"companies": [{"ref": "acme", "properties": {"name": "Acme Corp"}}]})
    assert (await client.get(f"/crm/v3/objects/companies/{refs['acme']}")).json()["properties"][
        "name"
    ] == "Acme Corp"


def test_a_failing_fixture_changes_nothing(sandbox: Sandbox) -> None:
    sandbox.load_fixture({"companies": [{"ref": "keep", "properties": {"name": "Keep Ltd"}}]})
    before = sandbox.state()
    with pytest.raises(FixtureError):
        sandbox.load_fixture(
            {
                "owners": [{"ref": "o", "email": "o@x.io"}],
                "companies": [
                    {"ref": "new", "properties": {"name": "New"}},
                    {"ref": "bad", "properties": {"nme": "x"}},
                ],
            }
        )
    assert sandbox.state() == before


def test_malformed_values_are_fixture_errors(sandbox: Sandbox) -> None:
    with pytest.raises(FixtureError):
        sandbox.load_fixture(
            {"pipelines": [{"label": "P", "stages": [{"label": "S", "probability": "high"}]}]}
        )

"""Replay HubSpot's own example responses and compare the sandbox's answers to them.

Each file in `tests/fixtures/hubspot_recorded/` holds a request, HubSpot's status and body, and
the source URL. The sandbox must answer the same request with the same status and a body whose
structure covers the recorded one: every recorded key present, with the same JSON type (extra
keys are allowed, since HubSpot documents many optional fields). Values differ (ids, times).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Portal

RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "hubspot_recorded"
FILES = sorted(RECORDED.glob("*.json"))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def structure_mismatches(
    recorded: Any, actual: Any, path: str = "", lenient: frozenset[str] = frozenset()
) -> list[str]:
    """Where `actual` lacks a key of `recorded` or holds another JSON type, as readable paths.

    Lists match when every recorded element matches some actual element (order-free), because
    example lists and real lists rarely hold the same records in the same order; an empty list
    of scalars matches any list of scalars.
    """
    if path in lenient:
        return []
    if _kind(recorded) != _kind(actual):
        return [f"{path or '<root>'}: expected {_kind(recorded)}, got {_kind(actual)}"]
    if isinstance(recorded, dict):
        out: list[str] = []
        for key, value in recorded.items():
            child = f"{path}.{key}" if path else key
            if key not in actual:
                out.append(f"{child}: missing")
            else:
                out += structure_mismatches(value, actual[key], child, lenient)
        return out
    if isinstance(recorded, list):
        if not actual and not any(isinstance(item, dict | list) for item in recorded):
            return []  # an empty list of scalars (e.g. no additional currencies) is data, not shape
        out = []
        for index, item in enumerate(recorded):
            candidates = [structure_mismatches(item, other, f"{path}[]", lenient) for other in actual]
            if not any(not c for c in candidates):
                best = min(candidates, key=len) if candidates else [f"{path}[{index}]: no element"]
                out += best
        return out
    return []


def test_the_structure_comparison_reports_missing_keys_and_type_changes() -> None:
    recorded = {"a": 1, "b": {"c": "x"}, "d": [{"e": True}]}

    assert structure_mismatches(recorded, {"a": 2, "b": {"c": "y"}, "d": [{"e": False}], "z": 0}) == []
    assert structure_mismatches(recorded, {"a": "2", "b": {}, "d": [{"e": None}]}) == [
        "a: expected number, got str",
        "b.c: missing",
        "d[].e: expected boolean, got null",
    ]


def _prepare(portal: Portal, name: str) -> dict[str, str]:
    """Create the records the recorded request needs; returns path placeholders."""
    if name == "search_contacts_contains_token.json":
        portal.create(
            "contacts", {"email": "testperson@hubspot.com", "firstname": "Test", "lastname": "Person"}
        )
        portal.create(
            "contacts", {"email": "emailmaria@hubspot.com", "firstname": "Maria", "lastname": "Johnson"}
        )
        portal.create(
            "contacts", {"email": "someone@example.com", "firstname": "Other", "lastname": "Person"}
        )
    elif name == "owners_list.json":
        portal.load(
            {
                "teams": [{"ref": "sales", "name": "Sales Team", "members": ["owner"]}],
                "owners": [
                    {
                        "ref": "owner",
                        "email": "email@hubspot.com",
                        "firstName": "HubSpot",
                        "lastName": "Test Owner",
                        "teams": ["sales"],
                    }
                ],
            }
        )
    elif name == "associations_v4_contact_primary_company.json":
        company = portal.create("companies", {"name": "Acme Corp"})["id"]
        contact = portal.create(
            "contacts",
            {"email": "jane@acme.com"},
            associations=[
                {
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
                }
            ],
        )["id"]
        return {"contact": contact}
    elif name == "error_409_contact_exists.json":
        portal.create("contacts", {"email": "dup@example.com"})
    return {}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_sandbox_answer_has_the_recorded_status_and_structure(portal: Portal, path: Path) -> None:
    recorded = json.loads(path.read_text())
    assert recorded["source"].startswith("https://")
    request = recorded["request"]
    placeholders = _prepare(portal, path.name)
    token = request.get("token") or (portal.new_token(request["scopes"]) if "scopes" in request else None)

    response = portal.api(
        request["method"], request["path"].format(**placeholders), token=token, json=request.get("json")
    )

    assert response.status_code == recorded["status"], response.text
    mismatches = structure_mismatches(
        recorded["body"], response.json(), lenient=frozenset(recorded.get("lenient_paths", []))
    )
    assert mismatches == [], mismatches


def test_recorded_error_messages_match_word_for_word(portal: Portal) -> None:
    """HubSpot's fixed error texts, which integrations match on, are reproduced exactly."""
    for name in (
        "error_401_invalid_authentication.json",
        "error_403_missing_scopes.json",
        "error_404_object_not_found.json",
    ):
        recorded = json.loads((RECORDED / name).read_text())
        request = recorded["request"]
        token = request.get("token") or (portal.new_token(request["scopes"]) if "scopes" in request else None)

        body = portal.api(request["method"], request["path"], token=token, json=request.get("json")).json()

        assert body["message"] == recorded["body"]["message"], name
        assert body["category"] == recorded["body"]["category"], name
        if "errors" in recorded["body"]:
            assert body["errors"] == recorded["body"]["errors"], name


def test_recorded_validation_error_entry_matches(portal: Portal) -> None:
    recorded = json.loads((RECORDED / "error_400_property_doesnt_exist.json").read_text())

    body = portal.api("POST", "/crm/v3/objects/companies", json=recorded["request"]["json"]).json()

    assert body["errors"] == recorded["body"]["errors"]
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix)
    detail = json.loads(body["message"][len(prefix) :])
    assert detail[0]["error"] == "PROPERTY_DOESNT_EXIST"
    assert detail[0]["name"] == "testproperty"
    assert detail[0]["isValid"] is False

"""Bad input never answers 500: random paths, methods, bodies and query strings (hypothesis)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.conftest import BASE_URL
from tools.sandbox import create_app
from tools.scopes_catalog import ALL_SCOPES

_APP = create_app({"companies": [{"ref": "a", "properties": {"name": "Acme Corp"}}]})
_TOKEN = _APP.sandbox.create_token(ALL_SCOPES)
_COMPANY = _APP.sandbox.state()["records"]["companies"][0]["id"]

segments = st.sampled_from(
    [
        "crm",
        "v3",
        "v4",
        "objects",
        "contacts",
        "companies",
        "deals",
        "notes",
        "widgets",
        "search",
        "merge",
        "associations",
        "default",
        "owners",
        "pipelines",
        "properties",
        "settings",
        "users",
        "roles",
        "teams",
        "account-info",
        "details",
        "groups",
        "stages",
        _COMPANY,
        "0-1",
        "²",
        "%00",
        "-1",
        "9" * 40,
        "",
    ]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40),
    st.fixed_dictionaries(
        {},
        optional={
            "properties": st.dictionaries(
                st.sampled_from(["name", "email", "amount", "closedate", "x"]), json_values
            ),
            "filterGroups": json_values,
            "sorts": json_values,
            "limit": json_values,
            "after": json_values,
            "associations": json_values,
            "primaryObjectId": json_values,
        },
    ).map(lambda v: json.dumps(v).encode()),
)


def _request(method: str, path: str, query: dict[str, Any], body: bytes) -> httpx.Response:
    transport = httpx.ASGITransport(app=_APP)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=transport, base_url=BASE_URL, headers={"Authorization": f"Bearer {_TOKEN}"}
        ) as c:
            return await c.request(method, path, params=query, content=body)

    return asyncio.run(go())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE"]),
    parts=st.lists(segments, min_size=1, max_size=8),
    query=st.dictionaries(
        st.sampled_from(["limit", "after", "properties", "archived", "idProperty", "associations"]),
        st.text(max_size=12),
        max_size=3,
    ),
    body=bodies,
)
def test_no_input_gives_a_500(method: str, parts: list[str], query: dict[str, Any], body: bytes) -> None:
    # A path starting with "//" is not a sendable relative URL (httpx refuses it before any request
    # leaves); empty segments further on ("/crm//objects") are kept.
    path = "/" + "/".join(parts).lstrip("/")
    r = _request(method, path, query, body)
    assert r.status_code < 500, r.text
    payload = r.json()
    if r.status_code >= 400:
        assert payload["status"] == "error" and payload["category"]


ROUTES = [
    ("POST", "/crm/v3/objects/contacts"),
    ("POST", "/crm/v3/objects/deals"),
    ("POST", "/crm/v3/objects/contacts/search"),
    ("POST", "/crm/v3/objects/deals/search"),
    ("POST", "/crm/v3/objects/companies/merge"),
    ("PATCH", f"/crm/v3/objects/companies/{_COMPANY}"),
    ("PUT", f"/crm/v4/objects/companies/{_COMPANY}/associations/contacts/1"),
    ("GET", f"/crm/v4/objects/companies/{_COMPANY}/associations/contacts"),
    ("GET", "/crm/v3/objects/companies"),
    ("GET", "/crm/v3/owners"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    route=st.sampled_from(ROUTES),
    body=bodies,
    query=st.dictionaries(
        st.sampled_from(["limit", "after", "properties", "archived"]), st.text(max_size=8), max_size=2
    ),
)
def test_known_endpoints_answer_4xx_shapes_for_garbage(
    route: tuple[str, str], body: bytes, query: dict[str, Any]
) -> None:
    r = _request(route[0], route[1], query, body)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        payload = r.json()
        assert payload["status"] == "error" and payload["message"] and payload["category"]


@pytest.mark.parametrize("path", ["/crm//objects", "/crm/v3/objects//search"])
def test_empty_path_segments_answer_a_hubspot_4xx(path: str) -> None:
    r = _request("GET", path, {}, b"")
    assert 400 <= r.status_code < 500, r.text
    payload = r.json()
    assert payload["status"] == "error" and payload["category"]

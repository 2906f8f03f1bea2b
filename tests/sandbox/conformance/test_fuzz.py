"""Property-based fuzzing: bad input never gives a 500, and every 4xx is HubSpot-shaped.

HubSpot answers bad requests with a JSON body holding `status: "error"`, `message`,
`correlationId` and `category` (HUBSPOT_FACTS §9.1). The fuzzer sends malformed JSON, wrong
types, unknown object types, oversized limits, random filter structures and random paths and
methods, in process (Starlette's TestClient, on httpx), with a small example budget per test so
the whole suite stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tools.scopes_catalog import ALL_SCOPES

from .conftest import OBJECT_TYPES

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)

OPERATORS = [
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
]
KNOWN_PROPERTIES = [
    "email",
    "firstname",
    "amount",
    "closedate",
    "createdate",
    "lifecyclestage",
    "dealstage",
    "hs_object_id",
    "hs_timestamp",
    "associations.company",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
object_types = st.sampled_from(OBJECT_TYPES) | st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    from tools.sandbox import create_app

    app = create_app(fixture="empty")
    token = app.state.sandbox.create_token(ALL_SCOPES)
    with TestClient(app, raise_server_exceptions=False, base_url="http://sandbox.test") as test_client:
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


class _Response(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def assert_hubspot_shaped(response: _Response) -> None:
    """No 5xx; a 4xx carries HubSpot's error envelope."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert body.get("status") == "error", body
        assert isinstance(body.get("message"), str), body
        assert isinstance(body.get("correlationId"), str), body
        assert isinstance(body.get("category"), str), body


@FUZZ
@given(
    object_type=st.sampled_from(OBJECT_TYPES),
    raw=st.binary(max_size=64) | st.text(max_size=64).map(str.encode),
)
def test_malformed_json_bodies_get_a_4xx(client: TestClient, object_type: str, raw: bytes) -> None:
    try:
        json.loads(raw)
        return  # valid JSON is covered by the tests below
    except ValueError:
        pass
    for path in (f"/crm/v3/objects/{object_type}", f"/crm/v3/objects/{object_type}/search"):
        response = client.post(path, content=raw, headers={"Content-Type": "application/json"})
        assert_hubspot_shaped(response)
        assert response.status_code == 400


@FUZZ
@given(object_type=st.sampled_from(OBJECT_TYPES), body=json_values)
def test_create_and_patch_with_any_json_never_fail_with_a_5xx(
    client: TestClient, object_type: str, body: Any
) -> None:
    assert_hubspot_shaped(client.post(f"/crm/v3/objects/{object_type}", json=body))
    assert_hubspot_shaped(client.patch(f"/crm/v3/objects/{object_type}/1", json=body))


@FUZZ
@given(
    object_type=st.sampled_from(OBJECT_TYPES),
    properties=st.dictionaries(
        st.sampled_from(KNOWN_PROPERTIES) | st.text(max_size=10), json_values, max_size=4
    ),
)
def test_wrongly_typed_property_values_get_a_4xx_or_are_accepted(
    client: TestClient, object_type: str, properties: dict[str, Any]
) -> None:
    assert_hubspot_shaped(client.post(f"/crm/v3/objects/{object_type}", json={"properties": properties}))


filters = st.fixed_dictionaries(
    {},
    optional={
        "propertyName": st.sampled_from(KNOWN_PROPERTIES) | json_values,
        "operator": st.sampled_from(OPERATORS) | json_values,
        "value": st.text(max_size=10) | json_values,
        "highValue": st.text(max_size=10) | json_values,
        "values": st.lists(st.text(max_size=6), max_size=3) | json_values,
    },
)
search_bodies = st.fixed_dictionaries(
    {},
    optional={
        "filterGroups": st.lists(
            st.fixed_dictionaries({"filters": st.lists(filters, max_size=7)}), max_size=7
        )
        | json_values,
        "query": st.text(max_size=20) | json_values,
        "sorts": st.lists(
            st.text(max_size=10)
            | st.fixed_dictionaries(
                {"propertyName": st.sampled_from(KNOWN_PROPERTIES), "direction": st.text(max_size=10)}
            ),
            max_size=2,
        )
        | json_values,
        "properties": st.lists(st.text(max_size=10), max_size=3) | json_values,
        "limit": st.integers(min_value=-(10**12), max_value=10**12) | json_values,
        "after": st.integers(min_value=-(10**12), max_value=10**12).map(str) | json_values,
    },
)


@FUZZ
@given(object_type=object_types, body=search_bodies)
def test_random_search_requests_never_fail_with_a_5xx(
    client: TestClient, object_type: str, body: Any
) -> None:
    assert_hubspot_shaped(client.post(f"/crm/v3/objects/{object_type}/search", json=body))


@FUZZ
@given(
    from_type=object_types,
    to_type=object_types,
    object_id=st.text(alphabet="0123456789abc-", min_size=1, max_size=12),
    limit=st.integers(min_value=-(10**15), max_value=10**15).map(str) | st.text(max_size=6),
)
def test_association_reads_with_any_ids_and_limits_never_fail_with_a_5xx(
    client: TestClient, from_type: str, to_type: str, object_id: str, limit: str
) -> None:
    assert_hubspot_shaped(
        client.get(f"/crm/v4/objects/{from_type}/{object_id}/associations/{to_type}", params={"limit": limit})
    )
    assert_hubspot_shaped(
        client.put(f"/crm/v4/objects/{from_type}/{object_id}/associations/default/{to_type}/{object_id}")
    )


@FUZZ
@given(body=json_values)
def test_merge_with_any_json_never_fails_with_a_5xx(client: TestClient, body: Any) -> None:
    assert_hubspot_shaped(client.post("/crm/v3/objects/companies/merge", json=body))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["limit", "after", "archived", "email", "properties", "associations", "idProperty"]),
        st.text(max_size=12) | st.integers(min_value=-(10**15), max_value=10**15).map(str),
        max_size=3,
    ),
    path=st.sampled_from(
        [
            "/crm/v3/owners",
            "/crm/v3/owners/",
            "/settings/v3/users/",
            "/settings/v3/users/roles",
            "/settings/v3/users/teams",
            "/crm/v3/pipelines/deals",
            "/crm/v3/properties/contacts",
            "/crm/v3/objects/contacts/1",
            "/account-info/v3/details",
        ]
    ),
)
def test_query_parameters_of_any_value_never_fail_with_a_5xx(
    client: TestClient, params: dict[str, str], path: str
) -> None:
    assert_hubspot_shaped(client.get(path, params=params))


segments = st.sampled_from(
    [
        "crm",
        "v3",
        "v4",
        "objects",
        "contacts",
        "deals",
        "search",
        "associations",
        "default",
        "pipelines",
        "properties",
        "owners",
        "settings",
        "users",
        "teams",
        "roles",
        "account-info",
        "details",
        "merge",
        "1",
        "0-1",
    ]
) | st.text(
    alphabet=st.characters(min_codepoint=48, max_codepoint=122, categories=["Ll", "Lu", "Nd"]), max_size=8
)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
    parts=st.lists(segments, min_size=1, max_size=7),
    body=st.none() | json_values,
)
def test_random_paths_and_methods_never_fail_with_a_5xx(
    client: TestClient, method: str, parts: list[str], body: Any
) -> None:
    # A leading "//" is not a sendable relative URL (httpx refuses it client-side); inner empty
    # segments are kept.
    path = "/" + "/".join(parts).lstrip("/")
    if path.startswith(("/_sandbox", "/projects")):
        return  # the admin API and the Paragon routes have their own shapes
    kwargs: dict[str, Any] = {} if body is None or method in ("GET", "HEAD", "OPTIONS") else {"json": body}
    response = client.request(method, path, **kwargs)
    if method == "HEAD":
        assert response.status_code < 500
    else:
        assert_hubspot_shaped(response)


@FUZZ
@given(token=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40))
def test_any_unknown_token_gets_a_401(client: TestClient, token: str) -> None:
    response = client.get("/crm/v3/owners", headers={"Authorization": f"Bearer {token}"})

    assert_hubspot_shaped(response)
    assert response.status_code == 401

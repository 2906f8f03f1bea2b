"""The endpoint table, and what is derived from it: the allow-list and the classification of observed requests."""

from __future__ import annotations

import itertools
import string
from typing import get_args

import pytest

from tools import paragon
from tools.hubspot.allowlist import ALLOWED_REQUESTS, ensure_allowed
from tools.hubspot.endpoints import (
    BY_OPERATION,
    ENDPOINTS,
    HUBSPOT_ENDPOINTS,
    PLACEHOLDERS,
    Endpoint,
    classify,
)
from tools.hubspot.errors import NotAllowed
from tools.hubspot.scopes import SCOPE_TABLE, Operation
from tools.hubspot.types import OBJECT_TYPES


def test_every_operation_has_exactly_one_endpoint() -> None:
    assert [e.operation for e in ENDPOINTS] == list(BY_OPERATION)
    assert set(BY_OPERATION) == set(get_args(Operation))
    assert len({(e.method, e.template) for e in ENDPOINTS}) == len(ENDPOINTS)


def test_every_endpoint_operation_has_scopes_in_the_scope_table() -> None:
    # The row links to the scope table; the table, not the row, says which scopes.
    with_scopes = {operation for operation, _ in SCOPE_TABLE}
    assert {e.operation for e in ENDPOINTS} <= with_scopes


def test_nothing_deletes() -> None:
    assert "DELETE" not in {e.method for e in ENDPOINTS}
    assert not any("archive" in t or "gdpr" in t for e in ENDPOINTS for t in (e.template, *e.variants))


def test_the_allow_list_is_the_tables_hubspot_rows() -> None:
    assert [(m, p.pattern) for m, p in ALLOWED_REQUESTS] == [
        (e.method, e.allowed_pattern()) for e in HUBSPOT_ENDPOINTS
    ]
    assert [e.operation for e in ENDPOINTS if e not in HUBSPOT_ENDPOINTS] == ["paragon_me"]


def test_the_paragon_row_is_the_url_the_client_calls() -> None:
    row = BY_OPERATION["paragon_me"]
    api = "https://api.useparagon.com"
    assert paragon.me_url(api, "proj-1") == api + row.path(projectId="proj-1")


def test_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown placeholder"):
        Endpoint("get_object", "GET", "/crm/v3/objects/{objectType}/{recordId}")


# --------------------------------------------------------------------------- the allow-list, exactly

_TYPES = (*OBJECT_TYPES, "tickets", "0-1", "contact", "merge", "search")
_IDS = ("512", "abc", "default")
_SAMPLES = {"object_type": _TYPES, "id": _IDS, "slug": ("default", "123", "a.b")}
_FOREIGN = (
    "/crm/v3/objects/{objectType}/{objectId}/associations/{toObjectType}",
    "/crm/v3/objects/{objectType}/batch/archive",
    "/crm/v3/pipelines/{objectType}/{pipelineId}",
    "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
    "/oauth/v1/access-tokens/{objectId}",
)


def _filled(template: str) -> set[str]:
    names = Endpoint("get_object", "GET", template).placeholders
    pools = [_SAMPLES[PLACEHOLDERS[n]] for n in names]
    return {template.format(**dict(zip(names, values, strict=True))) for values in itertools.product(*pools)}


def _valid(kind: str, value: str) -> bool:
    if kind == "object_type":
        return value in OBJECT_TYPES
    if kind == "id":
        return value != "" and all(c in string.digits for c in value)
    return value != "" and all(c in string.ascii_letters + string.digits + "_-" for c in value)


def _is_shape(row: Endpoint, path: str) -> bool:
    """An independent reading of a row: segment by segment, no regex."""
    if row.trailing_slash and path.endswith("/"):
        path = path[:-1]
    want, got = row.template.split("/"), path.split("/")
    if len(want) != len(got):
        return False
    for w, g in zip(want, got, strict=True):
        if w.startswith("{"):
            if not _valid(PLACEHOLDERS[w[1:-1]], g):
                return False
        elif w != g:
            return False
    return True


def _candidates() -> list[str]:
    templates = [t for e in ENDPOINTS for t in (e.template, *e.variants)] + list(_FOREIGN)
    paths = set().union(*(_filled(t) for t in templates))
    return sorted(paths | {p + "/" for p in paths} | {p + "/x" for p in paths})


def test_the_allow_list_accepts_exactly_the_tables_shapes() -> None:
    accepted = 0
    for method in ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"):
        for path in _candidates():
            expected = any(row.method == method and _is_shape(row, path) for row in HUBSPOT_ENDPOINTS)
            try:
                ensure_allowed(method, path)
                allowed = True
            except NotAllowed:
                allowed = False
            assert allowed == expected, (method, path)
            accepted += allowed
    # Each row's own shapes are among the candidates, so each row was accepted somewhere.
    assert accepted >= len(HUBSPOT_ENDPOINTS)


_GOOD = {"object_type": "companies", "id": "9001", "slug": "default"}


@pytest.mark.parametrize("row", HUBSPOT_ENDPOINTS, ids=lambda e: e.operation)
def test_each_row_filled_with_good_values_is_allowed(row: Endpoint) -> None:
    ensure_allowed(row.method, row.path(**{n: _GOOD[PLACEHOLDERS[n]] for n in row.placeholders}))


# --------------------------------------------------------------------------- observed requests


@pytest.mark.parametrize("row", HUBSPOT_ENDPOINTS, ids=lambda e: e.operation)
def test_each_row_classifies_as_itself_with_any_segment_and_a_trailing_slash(row: Endpoint) -> None:
    path = row.path(**{n: "x-1" for n in row.placeholders})
    for observed in (path, path + "/"):
        found = classify(row.method, observed)
        assert found is not None and found.endpoint == row
        assert dict(found.values) == {n: "x-1" for n in row.placeholders}


@pytest.mark.parametrize(
    ("method", "path", "operation", "object_types"),
    [
        ("GET", "/settings/v3/users/roles", "list_roles", ()),
        ("GET", "/settings/v3/users/teams/", "list_teams", ()),
        ("GET", "/settings/v3/users/42", "list_users", ()),
        ("GET", "/crm/v3/owners/7/", "list_owners", ()),
        ("GET", "/crm/v3/objects/0-1", "get_object", ("0-1",)),
        ("GET", "/crm/v3/objects/companies/merge", "get_object", ("companies",)),
        ("POST", "/crm/v3/objects/companies/merge", "merge", ("companies",)),
        ("POST", "/crm/v3/objects/notes/search", "search", ("notes",)),
        ("GET", "/crm/v3/pipelines/deals/default/stages", "pipeline_stages", ("deals",)),
        ("GET", "/crm/v4/objects/deals/1/associations/company", "list_associations", ("deals", "company")),
        (
            "PUT",
            "/crm/v4/objects/contacts/1/associations/default/companies/2",
            "associate_default",
            ("contacts", "companies"),
        ),
    ],
)
def test_observed_requests_are_classified_leniently(
    method: str, path: str, operation: str, object_types: tuple[str, ...]
) -> None:
    found = classify(method, path)
    assert found is not None
    assert (found.endpoint.operation, found.object_types) == (operation, object_types)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/crm/v3/objects/contacts/1"),
        ("GET", "/projects/p/sdk/me"),  # Paragon's, not HubSpot's
        ("POST", "/crm/v3/objects/contacts/batch/archive"),
        ("GET", "/crm/v3/pipelines/deals/default"),
        ("PATCH", "/crm/v3/objects/contacts"),
    ],
)
def test_other_requests_are_not_classified(method: str, path: str) -> None:
    assert classify(method, path) is None


def test_variants_are_never_on_the_allow_list() -> None:
    variants = [(row.method, v) for row in HUBSPOT_ENDPOINTS for v in row.variants]
    assert variants  # owners and users by id, the list form of a record read
    for method, variant in variants:
        names = Endpoint("get_object", "GET", variant).placeholders
        with pytest.raises(NotAllowed):
            ensure_allowed(method, variant.format(**{n: _GOOD[PLACEHOLDERS[n]] for n in names}))

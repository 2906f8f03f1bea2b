"""Every client operation sends its endpoint-table row: the method, the template, a path the allow-list accepts."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from tests.contract.conftest import BASE, CONN, PROJECT_ID, MakeClient
from tools.hubspot import client as client_module
from tools.hubspot.client import HubSpotClient, RequestRecord
from tools.hubspot.endpoints import BY_OPERATION, PLACEHOLDERS
from tools.hubspot.errors import HubSpotError
from tools.hubspot.models import AssociationInput, SearchRequest
from tools.hubspot.scopes import Operation

Call = Callable[[HubSpotClient], Awaitable[Any]]

CALLS: dict[str, Call] = {
    "account_details": lambda c: c.account_details(CONN),
    "list_owners": lambda c: c.list_owners(CONN),
    "list_users": lambda c: c.list_users(CONN),
    "list_roles": lambda c: c.list_roles(CONN),
    "list_teams": lambda c: c.list_teams(CONN),
    "search": lambda c: c.search(CONN, "contacts", SearchRequest()),
    "search_all": lambda c: c.search_all(CONN, "deals", SearchRequest()),
    "get_object": lambda c: c.get_object(CONN, "contacts", "512", associations=["companies"]),
    "list_associations": lambda c: c.list_associations(CONN, "deals", "777", "companies"),
    "list_pipelines": lambda c: c.list_pipelines(CONN, "deals"),
    "pipeline_stages": lambda c: c.pipeline_stages(CONN, "deals", "default"),
    "list_properties": lambda c: c.list_properties(CONN, "companies"),
    "create": lambda c: c.create(
        CONN, "notes", {"hs_note_body": "x"}, [AssociationInput.default("notes", "contacts", "512")]
    ),
    "update": lambda c: c.update(CONN, "deals", "777", {"amount": "1"}),
    "merge_companies": lambda c: c.merge_companies(CONN, "9001", "9002"),
    "associate_default": lambda c: c.associate_default(CONN, "contacts", "512", "companies", "9001"),
    "paragon_me": lambda c: c.paragon_me(CONN),
    # Not an endpoint of its own: it searches (the search row), so it must send that row.
    "find_created": lambda c: c.find_created(CONN, "deals", {"dealname": "X"}, since=0.0),
}


def _public_operations() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(HubSpotClient, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "aclose"
    }


def test_every_public_operation_of_the_client_is_exercised_here() -> None:
    assert set(CALLS) == _public_operations()


async def test_every_client_operation_sends_its_tables_row(make_client: MakeClient) -> None:
    sent: list[httpx.Request] = []
    records: list[RequestRecord] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(404, json={"status": "error", "category": "OBJECT_NOT_FOUND", "message": "no"})

    async def hook(record: RequestRecord) -> None:
        records.append(record)

    client = await make_client(transport=httpx.MockTransport(answer), request_hook=hook)
    for name, call in CALLS.items():
        with pytest.raises(HubSpotError):
            await call(client)
        assert records, f"{name} sent nothing"
    assert len(sent) == len(records)
    for request, record in zip(sent, records, strict=True):
        row = BY_OPERATION[cast(Operation, record.operation)]
        assert (record.method, record.path_template) == (row.method, row.template)
        assert request.method == row.method
        if row.api == "hubspot":
            assert str(request.url).startswith(BASE)
            assert re.fullmatch(row.allowed_pattern(), request.url.path.removeprefix(httpx.URL(BASE).path))
        else:
            assert request.url.path == row.path(projectId=PROJECT_ID)
    assert {r.operation for r in records} == set(BY_OPERATION)
    assert records[-1].operation == "search"  # find_created's search


def _string_constants_outside_docstrings(tree: ast.AST) -> list[str]:
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_client_writes_no_path_of_its_own() -> None:
    """Methods, templates and paths come from the endpoint table, never from a literal in the client."""
    source = Path(inspect.getfile(client_module)).read_text(encoding="utf-8")
    literals = _string_constants_outside_docstrings(ast.parse(source))
    assert not [s for s in literals if "/v3/" in s or "/v4/" in s or "/sdk/" in s]
    assert not [s for s in literals if any(f"{{{name}}}" in s for name in PLACEHOLDERS)]

"""Bearer tokens and scopes: 401 like HubSpot for bad or revoked tokens, 403 MISSING_SCOPES per endpoint."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.sandbox.conftest import error_body_ok
from tools.sandbox import Sandbox


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}])
async def test_missing_or_unknown_token_is_401_invalid_authentication(
    make_client: Callable[..., httpx.AsyncClient], headers: dict[str, str]
) -> None:
    async with make_client(**headers) as c:
        r = await c.get("/crm/v3/owners")
    assert r.status_code == 401
    error_body_ok(r.json(), "INVALID_AUTHENTICATION")
    assert r.headers["x-hubspot-auth-failure"] == "401 Unauthorized"


async def test_revoked_token_is_401_afterwards(
    sandbox: Sandbox, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    token = sandbox.create_token(["crm.objects.owners.read"])
    async with make_client(token) as c:
        assert (await c.get("/crm/v3/owners")).status_code == 200
        sandbox.revoke(token)
        assert (await c.get("/crm/v3/owners")).status_code == 401


@pytest.mark.parametrize(
    ("granted", "method", "path", "body", "needed"),
    [
        ([], "GET", "/crm/v3/objects/deals/1", None, "crm.objects.deals.read"),
        (
            ["crm.objects.deals.read"],
            "POST",
            "/crm/v3/objects/deals",
            {"properties": {}},
            "crm.objects.deals.write",
        ),
        (
            ["crm.objects.contacts.read"],
            "POST",
            "/crm/v3/objects/companies/search",
            {},
            "crm.objects.companies.read",
        ),
        (
            ["crm.objects.companies.read"],
            "POST",
            "/crm/v3/objects/companies/merge",
            {},
            "crm.objects.companies.write",
        ),
        (["crm.objects.deals.read"], "POST", "/crm/v3/objects/notes/search", {}, "crm.objects.contacts.read"),
        (
            ["crm.objects.contacts.read"],
            "POST",
            "/crm/v3/objects/tasks",
            {"properties": {}},
            "crm.objects.contacts.write",
        ),
        ([], "GET", "/crm/v3/owners", None, "crm.objects.owners.read"),
        (["crm.objects.owners.read"], "GET", "/settings/v3/users", None, "settings.users.read"),
        (["settings.users.read"], "GET", "/settings/v3/users/teams", None, "settings.users.teams.read"),
        (["crm.objects.contacts.read"], "GET", "/account-info/v3/details", None, "oauth"),
        (["oauth"], "GET", "/crm/v3/properties/deals", None, "crm.schemas.custom.read"),
        (["oauth"], "GET", "/crm/v3/pipelines/deals", None, "crm.objects.deals.read"),
        (
            ["oauth"],
            "GET",
            "/crm/v4/objects/contacts/1/associations/companies",
            None,
            "crm.objects.contacts.read",
        ),
    ],
)
async def test_missing_scope_is_403_listing_the_accepted_scopes(
    sandbox: Sandbox,
    make_client: Callable[..., httpx.AsyncClient],
    granted: list[str],
    method: str,
    path: str,
    body: object,
    needed: str,
) -> None:
    async with make_client(sandbox.create_token(granted)) as c:
        r = await c.request(method, path, json=body)
    assert r.status_code == 403
    payload = r.json()
    error_body_ok(payload, "MISSING_SCOPES")
    assert needed in payload["errors"][0]["context"]["requiredGranularScopes"]
    assert payload["links"] == {"scopes": "https://developers.hubspot.com/scopes"}


async def test_sales_email_read_alone_reads_emails_but_not_notes(
    sandbox: Sandbox, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    async with make_client(sandbox.create_token(["sales-email-read"])) as c:
        assert (await c.post("/crm/v3/objects/emails/search", json={})).status_code == 200
        assert (await c.post("/crm/v3/objects/notes/search", json={})).status_code == 403


async def test_scope_check_comes_before_validation(
    sandbox: Sandbox, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    async with make_client(sandbox.create_token(["crm.objects.contacts.read"])) as c:
        r = await c.post("/crm/v3/objects/contacts", content=b"{broken")
    assert r.status_code == 403

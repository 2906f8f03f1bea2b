"""The Paragon proxy mode: user JWT, credential selection, the output wrapper and raw responses, /sdk/me."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.sandbox.conftest import BASE_URL, START, FakeClock
from tools.sandbox import Sandbox, SandboxApp, create_app

PROJECT = "proj-123"
PROXY = f"/projects/{PROJECT}/sdk/proxy/hubspot"


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


PRIVATE, PUBLIC = _key_pair()


def user_token(
    sub: str = "u-alex", *, aud: str | None = f"useparagon.com/{PROJECT}", key: str = PRIVATE, ttl: int = 3600
) -> str:
    now = int(START.timestamp())
    claims: dict[str, object] = {"sub": sub, "iat": now, "exp": now + ttl}
    if aud is not None:
        claims["aud"] = aud
    return jwt.encode(claims, key, algorithm="RS256")


@pytest.fixture
def papp(clock: FakeClock) -> SandboxApp:
    return create_app("empty", project_id=PROJECT, paragon_public_key_pem=PUBLIC, clock=clock)


@pytest.fixture
def psandbox(papp: SandboxApp) -> Sandbox:
    return papp.sandbox


@pytest.fixture
def pclient(papp: SandboxApp) -> Callable[..., httpx.AsyncClient]:
    def make(token: str | None = None, **headers: str) -> httpx.AsyncClient:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=papp), base_url=BASE_URL, headers=headers)

    return make


async def test_proxy_wraps_hubspot_json_in_output(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    psandbox.add_connection("u-alex")
    async with pclient(user_token()) as c:
        r = await c.post(f"{PROXY}/crm/v3/objects/companies", json={"properties": {"name": "Acme Corp"}})
        assert r.status_code == 201
        assert r.json()["output"]["properties"]["name"] == "Acme Corp"
        listed = await c.get(f"{PROXY}/crm/v3/objects/companies", params={"limit": 5})
        assert listed.json()["output"]["results"][0]["properties"]["name"] == "Acme Corp"


async def test_raw_response_passes_hubspot_status_headers_and_body(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    psandbox.add_connection("u-alex")
    async with pclient(user_token(), **{"X-Paragon-Use-Raw-Response": "1"}) as c:
        r = await c.get(f"{PROXY}/crm/v3/objects/contacts/42")
    assert r.status_code == 404
    assert r.json()["category"] == "OBJECT_NOT_FOUND"
    assert "x-hubspot-correlation-id" in r.headers


async def test_hubspot_error_without_raw_mode_is_a_paragon_integration_error(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    psandbox.add_connection("u-alex")
    async with pclient(user_token()) as c:
        r = await c.get(f"{PROXY}/crm/v3/objects/contacts/42")
    assert r.status_code == 404
    body = r.json()
    assert body["meta"]["isIntegrationError"] is True
    assert body["meta"]["output"]["category"] == "OBJECT_NOT_FOUND"


async def test_full_hubspot_url_in_the_path_is_accepted(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    psandbox.add_connection("u-alex")
    async with pclient(user_token(), **{"X-Paragon-Use-Raw-Response": "1"}) as c:
        r = await c.get(f"{PROXY}/https://api.hubapi.com/account-info/v3/details")
    assert r.status_code == 200
    assert psandbox.requests[-1]["path"] == "/account-info/v3/details"
    assert psandbox.requests[-1]["user"] == "u-alex"


async def test_unknown_user_gets_integration_not_enabled(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    async with pclient(user_token("stranger")) as c:
        r = await c.get(f"{PROXY}/crm/v3/owners")
    assert r.status_code == 400
    assert r.json() == {
        "message": "Integration not enabled for user.",
        "code": "11002",
        "status": 400,
        "meta": {},
    }
    assert (psandbox.requests[-1]["user"], psandbox.requests[-1]["status"]) == ("stranger", 400)


async def test_unknown_credential_gets_integration_not_enabled(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    psandbox.add_connection("u-alex", credential_id="cred-1")
    async with pclient(user_token(), **{"X-Paragon-Credential": "cred-other"}) as c:
        r = await c.get(f"{PROXY}/crm/v3/owners")
    assert r.json()["message"] == "Integration not enabled for user."


async def test_credential_header_selects_the_connection_and_its_scopes(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    psandbox.add_connection("u-alex", credential_id="full")
    psandbox.add_connection("u-alex", credential_id="narrow", scopes=["oauth"])
    raw = {"X-Paragon-Use-Raw-Response": "1"}
    async with pclient(user_token(), **raw, **{"X-Paragon-Credential": "narrow"}) as c:
        r = await c.get(f"{PROXY}/crm/v3/owners")
        assert r.status_code == 403
        assert r.json()["category"] == "MISSING_SCOPES"
    async with pclient(user_token(), **raw, **{"X-Paragon-Credential": "full"}) as c:
        assert (await c.get(f"{PROXY}/crm/v3/owners")).status_code == 200
    assert psandbox.requests[-1]["credential"] == "full"


@pytest.mark.parametrize(
    "token",
    [
        user_token(aud=None),
        user_token(aud="useparagon.com/other-project"),
        user_token(key=_key_pair()[0]),
        user_token(ttl=-10),
        "not-a-jwt",
    ],
)
async def test_bad_user_tokens_are_401(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient], token: str
) -> None:
    psandbox.add_connection("u-alex")
    async with pclient(token) as c:
        r = await c.get(f"{PROXY}/crm/v3/owners")
    assert r.status_code == 401
    assert set(r.json()) == {"message", "code", "status", "meta"}


async def test_token_expiry_follows_the_sandbox_clock(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient], clock: FakeClock
) -> None:
    psandbox.add_connection("u-alex")
    token = user_token(ttl=60)
    async with pclient(token) as c:
        assert (await c.get(f"{PROXY}/crm/v3/owners")).status_code == 200
        clock.advance(seconds=61)
        assert (await c.get(f"{PROXY}/crm/v3/owners")).status_code == 401


async def test_revoked_connection_answers_401(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    cid = psandbox.add_connection("u-alex")
    psandbox.revoke(cid)
    async with pclient(user_token(), **{"X-Paragon-Use-Raw-Response": "1"}) as c:
        r = await c.get(f"{PROXY}/crm/v3/owners")
    assert r.status_code == 401
    assert r.json()["category"] == "INVALID_AUTHENTICATION"


async def test_wrong_project_is_404(psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]) -> None:
    psandbox.add_connection("u-alex")
    async with pclient(user_token()) as c:
        r = await c.get("/projects/other/sdk/proxy/hubspot/crm/v3/owners")
    assert r.status_code == 404


async def test_sdk_me_reports_the_hubspot_credential(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    cid = psandbox.add_connection("u-alex")
    async with pclient(user_token()) as c:
        me = (await c.get(f"/projects/{PROJECT}/sdk/me")).json()
        assert me["authenticated"] is True and me["userId"] == "u-alex"
        hub = me["integrations"]["hubspot"]
        assert (hub["enabled"], hub["credentialId"], hub["credentialStatus"]) == (True, cid, "VALID")
        assert [c["id"] for c in hub["allCredentials"]] == [cid]
        psandbox.revoke(cid)
        hub = (await c.get(f"/projects/{PROJECT}/sdk/me")).json()["integrations"]["hubspot"]
        assert (hub["enabled"], hub["credentialStatus"]) == (False, "INVALID")
    async with pclient(user_token("nobody")) as c:
        assert (await c.get(f"/projects/{PROJECT}/sdk/me")).json()["integrations"]["hubspot"] == {
            "enabled": False,
            "configuredWorkflows": {},
        }
    async with pclient("garbage") as c:
        assert (await c.get(f"/projects/{PROJECT}/sdk/me")).json() == {"authenticated": False}


async def test_generated_key_pair_signs_tokens_in_process(clock: FakeClock) -> None:
    app = create_app("empty", clock=clock)
    sandbox = app.sandbox
    assert sandbox.paragon_private_key_pem is not None
    sandbox.add_connection("u-1")
    now = int(clock().timestamp())
    token = jwt.encode(
        {"sub": "u-1", "aud": "useparagon.com/sandbox-project", "iat": now, "exp": now + 600},
        sandbox.paragon_private_key_pem,
        algorithm="RS256",
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        r = await c.get("/projects/sandbox-project/sdk/proxy/hubspot/crm/v3/pipelines/deals")
    assert r.json()["output"]["results"][0]["id"] == "default"


async def test_proxy_url_header_replaces_the_path(
    psandbox: Sandbox, pclient: Callable[..., httpx.AsyncClient]
) -> None:
    psandbox.add_connection("u-alex")
    headers = {
        "X-Paragon-Proxy-Url": "https://api.hubapi.com/crm/v3/pipelines/deals/default/stages?x=1",
        "X-Paragon-Use-Raw-Response": "true",
    }
    async with pclient(user_token(), **headers) as c:
        r = await c.get(f"/projects/{PROJECT}/sdk/proxy/hubspot")
    assert r.status_code == 200
    assert len(r.json()["results"]) == 7
    assert (psandbox.requests[-1]["path"], psandbox.requests[-1]["query"]) == (
        "/crm/v3/pipelines/deals/default/stages",
        {"x": ["1"]},
    )

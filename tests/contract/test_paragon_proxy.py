"""The Paragon proxy path: URL shape, headers, the user token, wrapped answers, Paragon's errors, secrets."""

from __future__ import annotations

import logging

import httpx
import jwt
import pytest
import respx

from tests.contract import bodies
from tests.contract.conftest import CONN, PROJECT_ID, FakeTime, KeyPair, MakeClient
from tools.hubspot.client import Connection, HubSpotClient, RequestRecord
from tools.hubspot.config import HubSpotClientConfig
from tools.hubspot.errors import HubSpotError, ReconnectRequired, ValidationFailed
from tools.settings import SettingsError, load_settings


async def test_requests_go_to_the_proxy_url_with_paragon_headers(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    route = router.get("/crm/v3/objects/contacts/512").respond(200, json=bodies.record("512"))
    await client.get_object(CONN, "contacts", "512", properties=["email"])
    request = route.calls.last.request
    assert str(request.url) == (
        "https://proxy.useparagon.com/projects/proj-123/sdk/proxy/hubspot/crm/v3/objects/contacts/512?properties=email"
    )
    assert request.headers["x-paragon-credential"] == "cred-1"
    assert request.headers["x-paragon-use-raw-response"] == "1"
    assert request.headers["authorization"].startswith("Bearer ")


async def test_no_credential_header_when_the_connection_names_none(
    client: HubSpotClient, router: respx.MockRouter
) -> None:
    route = router.get("/account-info/v3/details").respond(200, json=bodies.ACCOUNT_DETAILS)
    await client.account_details(Connection(tenant_id="t-acme", user_id="u-alex"))
    assert "x-paragon-credential" not in route.calls.last.request.headers


async def test_user_token_is_an_rs256_jwt_with_paragon_claims(
    client: HubSpotClient, router: respx.MockRouter, keys: KeyPair, fake_time: FakeTime
) -> None:
    route = router.get("/account-info/v3/details").respond(200, json=bodies.ACCOUNT_DETAILS)
    await client.account_details(CONN)
    token = route.calls.last.request.headers["authorization"].removeprefix("Bearer ")
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(
        token,
        keys.public_pem,
        algorithms=["RS256"],
        audience=f"useparagon.com/{PROJECT_ID}",
        options={"verify_exp": False},
    )
    assert claims["sub"] == "u-alex"
    assert claims["iat"] == int(fake_time.now)
    assert claims["exp"] == int(fake_time.now) + 600


async def test_user_token_is_cached_per_user_until_near_expiry(
    client: HubSpotClient, router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.get("/account-info/v3/details").respond(200, json=bodies.ACCOUNT_DETAILS)

    async def token_for(conn: Connection) -> str:
        await client.account_details(conn)
        return route.calls.last.request.headers["authorization"]

    first = await token_for(CONN)
    fake_time.now += 500
    assert await token_for(CONN) == first
    other_user = await token_for(Connection(tenant_id="t-acme", user_id="u-sam", credential_id="cred-1"))
    assert other_user != first
    fake_time.now += 50  # inside the last minute before expiry: a fresh token
    assert await token_for(CONN) != first


async def test_wrapped_output_answers_are_unwrapped(client: HubSpotClient, router: respx.MockRouter) -> None:
    router.get("/account-info/v3/details").respond(200, json={"output": bodies.ACCOUNT_DETAILS})
    assert (await client.account_details(CONN)).portal_id == 123456


async def test_wrapped_hubspot_errors_are_mapped(client: HubSpotClient, router: respx.MockRouter) -> None:
    router.post("/crm/v3/objects/companies").respond(400, json={"output": bodies.PROPERTY_DOESNT_EXIST})
    with pytest.raises(ValidationFailed) as info:
        await client.create(CONN, "companies", {"colour": "red"})
    assert info.value.property_names == ["colour"]


@pytest.mark.parametrize("status", [400, 404, 200])
async def test_paragon_integration_not_enabled_means_reconnect(
    client: HubSpotClient, router: respx.MockRouter, status: int
) -> None:
    router.get("/crm/v3/owners").respond(status, json=bodies.PARAGON_NOT_ENABLED)
    with pytest.raises(ReconnectRequired) as info:
        await client.list_owners(CONN)
    assert info.value.kind == "reconnect"
    assert "Settings → Integrations" in info.value.user_action


async def test_other_paragon_errors_keep_their_code(
    make_client: MakeClient, router: respx.MockRouter
) -> None:
    client = await make_client(settings={"max_retries": 0})
    router.get("/crm/v3/owners").respond(
        500, json={"message": "Proxy failure", "code": "41070", "status": 500, "meta": {"requestId": "r1"}}
    )
    with pytest.raises(HubSpotError) as info:
        await client.list_owners(CONN)
    assert info.value.kind == "upstream" and info.value.category == "PARAGON_41070"


async def test_paragon_401_is_reconnect(client: HubSpotClient, router: respx.MockRouter) -> None:
    router.get("/crm/v3/owners").respond(
        401, json={"message": "Unauthorized", "code": "7201", "status": 401, "meta": {}}
    )
    with pytest.raises(ReconnectRequired):
        await client.list_owners(CONN)


async def test_direct_mode_uses_the_private_app_token(fake_time: FakeTime) -> None:
    router = respx.MockRouter(base_url="https://api.hubapi.com", assert_all_called=False)
    route = router.get("/crm/v3/owners").respond(200, json={"results": []})
    settings = load_settings(hubspot_mode="direct", hubspot_access_token="pat-na1-secret-token")
    async with HubSpotClient(
        HubSpotClientConfig.from_settings(settings),
        transport=httpx.MockTransport(router.async_handler),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
    ) as client:
        await client.list_owners(CONN)
    request = route.calls.last.request
    assert request.url.path == "/crm/v3/owners"
    assert request.headers["authorization"] == "Bearer pat-na1-secret-token"
    assert "x-paragon-credential" not in request.headers


async def test_sandbox_mode_is_the_paragon_path_with_an_injected_key(
    keys: KeyPair, fake_time: FakeTime
) -> None:
    router = respx.MockRouter(base_url="http://127.0.0.1:8765", assert_all_called=False)
    route = router.get("/projects/sandbox/sdk/proxy/hubspot/account-info/v3/details").respond(
        200, json=bodies.ACCOUNT_DETAILS
    )
    settings = load_settings(hubspot_mode="sandbox", paragon_proxy_url="http://127.0.0.1:8765")
    async with HubSpotClient(
        HubSpotClientConfig.from_settings(settings, signing_key_pem=keys.private_pem),
        transport=httpx.MockTransport(router.async_handler),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
    ) as client:
        await client.account_details(CONN)
    token = route.calls.last.request.headers["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(
        token,
        keys.public_pem,
        algorithms=["RS256"],
        audience="useparagon.com/sandbox",
        options={"verify_exp": False},
    )
    assert claims["sub"] == "u-alex"


def test_plain_http_is_refused_unless_loopback(keys: KeyPair) -> None:
    settings = load_settings(hubspot_mode="direct", hubspot_access_token="pat")
    # Settings validate URLs too; a settings object built around them is still refused by the client.
    unsafe = settings.model_copy(update={"hubspot_base_url": "http://api.hubapi.com"})
    with pytest.raises(SettingsError, match="https"):
        HubSpotClient(HubSpotClientConfig.from_settings(unsafe))
    unsafe_proxy = load_settings(hubspot_mode="sandbox").model_copy(
        update={"paragon_proxy_url": "http://proxy.example.com"}
    )
    with pytest.raises(SettingsError, match="https"):
        HubSpotClient(HubSpotClientConfig.from_settings(unsafe_proxy, signing_key_pem=keys.private_pem))


def test_a_bad_signing_key_is_reported_without_its_content() -> None:
    bad = "-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----"
    with pytest.raises(SettingsError) as info:
        HubSpotClient(
            HubSpotClientConfig.from_settings(load_settings(hubspot_mode="sandbox"), signing_key_pem=bad)
        )
    assert "TOPSECRETMATERIAL" not in str(info.value)


async def test_secrets_never_appear_in_reprs_logs_errors_or_records(
    make_client: MakeClient,
    router: respx.MockRouter,
    keys: KeyPair,
    records: list[RequestRecord],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await make_client(settings={"max_retries": 1})
    route = router.get("/crm/v3/objects/deals/1")
    route.side_effect = [
        httpx.Response(500, json=bodies.SERVER_ERROR),
        httpx.Response(401, json=bodies.EXPIRED),
    ]
    with pytest.raises(ReconnectRequired) as info:
        await client.get_object(CONN, "deals", "1")
    token = route.calls.last.request.headers["authorization"].removeprefix("Bearer ")
    key_body = keys.private_pem.splitlines()[1]
    texts = [
        repr(client),
        str(client.__dict__.get("_signer")),
        repr(client._signer),
        str(info.value),
        repr(info.value),
        repr(info.value.to_dict()),
        caplog.text,
        *(repr(r) for r in records),
    ]
    for text in texts:
        assert token not in text
        assert key_body not in text
    settings = load_settings(hubspot_mode="direct", hubspot_access_token="pat-na1-secret-token")
    assert "pat-na1-secret-token" not in repr(settings) and "pat-na1-secret-token" not in str(settings)
    assert len(records) == 2


async def test_direct_mode_token_never_appears_in_errors_logs_or_records(
    fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    router = respx.MockRouter(base_url="https://api.hubapi.com", assert_all_called=False)
    router.get("/crm/v3/owners").respond(401, json=bodies.EXPIRED)
    seen: list[RequestRecord] = []

    async def hook(record: RequestRecord) -> None:
        seen.append(record)

    settings = load_settings(hubspot_mode="direct", hubspot_access_token="pat-na1-secret-token")
    async with HubSpotClient(
        HubSpotClientConfig.from_settings(settings),
        transport=httpx.MockTransport(router.async_handler),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        request_hook=hook,
    ) as client:
        with pytest.raises(ReconnectRequired) as info:
            await client.list_owners(CONN)
        texts = [
            repr(client),
            str(vars(client)),
            str(info.value),
            repr(info.value.to_dict()),
            caplog.text,
            repr(seen),
        ]
    assert seen and all("pat-na1-secret-token" not in t for t in texts)


async def test_paragon_mode_assumes_the_required_scopes_plus_configured_optional_ones(
    make_client: MakeClient,
) -> None:
    from tools.scopes_catalog import REQUIRED_SCOPES

    client = await make_client(settings={"hubspot_scopes": ("crm.objects.contacts.read", "timeline")})
    # A required scope cannot be missing from a completed install; "timeline" is optional but configured.
    assert client.grant_for(CONN).scopes == {*REQUIRED_SCOPES, "timeline"}
    narrow = await make_client(settings={"hubspot_scopes": ("oauth",)})
    assert narrow.grant_for(CONN).scopes == set(REQUIRED_SCOPES)
    explicit = await make_client(granted_scopes=["oauth"])
    assert explicit.grant_for(CONN).scopes == {"oauth"}

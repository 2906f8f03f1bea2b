"""The client's own config: built from the settings, checked when made, frozen, without secrets in its repr."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from pydantic import SecretStr

from tests.contract.conftest import KeyPair
from tools.hubspot import Connection, HubSpotClient, HubSpotClientConfig
from tools.scopes_catalog import REQUIRED_SCOPES
from tools.settings import SettingsError, load_settings


@pytest.fixture
def pem(keys: KeyPair) -> str:
    return keys.private_pem


def test_from_settings_takes_the_clients_part(pem: str) -> None:
    settings = load_settings(
        hubspot_mode="paragon",
        paragon_project_id="proj-1",
        paragon_signing_key=pem,
        http_timeout_seconds=12.5,
        max_retries=2,
        rate_limit_requests=50,
        rate_limit_window_seconds=5.0,
        rate_limit_search_per_second=3,
        paragon_token_ttl_seconds=300,
    )
    config = HubSpotClientConfig.from_settings(settings)
    assert (config.mode, config.paragon_project_id) == ("paragon", "proj-1")
    assert (config.paragon_proxy_url, config.paragon_api_url) == (
        "https://proxy.useparagon.com",
        "https://api.useparagon.com",
    )
    assert config.signing_key_pem is not None and config.signing_key_pem.get_secret_value() == pem
    assert (config.timeout_seconds, config.max_retries, config.token_ttl_seconds) == (12.5, 2, 300)
    assert (
        config.rate_limit_requests,
        config.rate_limit_window_seconds,
        config.rate_limit_search_per_second,
    ) == (
        50,
        5.0,
        3,
    )
    assert REQUIRED_SCOPES and config.granted_scopes >= set(REQUIRED_SCOPES)
    assert pem.splitlines()[1] not in repr(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.max_retries = 9  # type: ignore[misc]


def test_sandbox_mode_defaults_the_project_and_takes_an_injected_key_and_scopes(pem: str) -> None:
    config = HubSpotClientConfig.from_settings(
        load_settings(hubspot_mode="sandbox"), signing_key_pem=pem, granted_scopes=["oauth"]
    )
    assert config.paragon_project_id == "sandbox"
    assert config.granted_scopes == frozenset({"oauth"})


def test_direct_mode_needs_no_paragon_key() -> None:
    settings = load_settings(hubspot_mode="direct", hubspot_access_token="pat-na1-secret")
    config = HubSpotClientConfig.from_settings(settings)
    assert config.signing_key_pem is None and config.access_token == SecretStr("pat-na1-secret")
    assert "pat-na1-secret" not in repr(config)


def test_a_config_is_checked_when_made() -> None:
    base = HubSpotClientConfig.from_settings(load_settings(hubspot_mode="direct", hubspot_access_token="pat"))
    with pytest.raises(SettingsError, match="ALYSIO_HUBSPOT_ACCESS_TOKEN"):
        dataclasses.replace(base, access_token=None)
    with pytest.raises(SettingsError, match="https"):
        dataclasses.replace(base, hubspot_base_url="http://api.hubapi.com")
    with pytest.raises(SettingsError, match="ALYSIO_PARAGON_PROJECT_ID"):
        dataclasses.replace(base, mode="paragon")
    with pytest.raises(SettingsError, match="ALYSIO_PARAGON_SIGNING_KEY"):
        dataclasses.replace(base, mode="paragon", paragon_project_id="p")


async def test_a_client_needs_only_its_config() -> None:
    """No application settings: the config alone (here made by hand) is enough."""
    config = HubSpotClientConfig(
        mode="direct",
        hubspot_base_url="https://api.hubapi.com",
        access_token=SecretStr("pat-1"),
        paragon_proxy_url="https://proxy.useparagon.com",
        paragon_api_url="https://api.useparagon.com",
        token_ttl_seconds=600,
        timeout_seconds=5.0,
        max_retries=0,
        rate_limit_requests=10,
        rate_limit_window_seconds=1.0,
        rate_limit_search_per_second=1,
        granted_scopes=frozenset({"oauth"}),
    )
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"portalId": 1, "timeZone": "UTC", "uiDomain": "app.hubspot.com"})

    async with HubSpotClient(config, transport=httpx.MockTransport(answer)) as client:
        details = await client.account_details(Connection("t1", "u1"))
    assert details.portal_id == 1
    assert str(seen[0].url) == "https://api.hubapi.com/account-info/v3/details"
    assert seen[0].headers["authorization"] == "Bearer pat-1"

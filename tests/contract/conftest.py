"""Contract-test setup: a client in paragon mode against respx, with a fake clock and sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tools.hubspot.client import Connection, HubSpotClient, RequestRecord
from tools.hubspot.config import HubSpotClientConfig
from tools.settings import load_settings

PROJECT_ID = "proj-123"
PROXY = "https://proxy.useparagon.com"
BASE = f"{PROXY}/projects/{PROJECT_ID}/sdk/proxy/hubspot"
CONN = Connection(tenant_id="t-acme", user_id="u-alex", credential_id="cred-1")


@dataclass
class KeyPair:
    private_pem: str
    public_pem: str


@pytest.fixture(scope="session")
def keys() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem)


@dataclass
class FakeTime:
    """A wall clock that only moves when the code under test sleeps."""

    now: float = 1_764_400_000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(base_url=BASE, assert_all_called=False, assert_all_mocked=True)


@pytest.fixture
def records() -> list[RequestRecord]:
    return []


MakeClient = Callable[..., Awaitable[HubSpotClient]]


@pytest.fixture
async def make_client(
    keys: KeyPair, router: respx.MockRouter, fake_time: FakeTime, records: list[RequestRecord]
) -> AsyncIterator[MakeClient]:
    made: list[HubSpotClient] = []

    async def hook(record: RequestRecord) -> None:
        records.append(record)

    async def factory(**overrides: Any) -> HubSpotClient:
        """A client from paragon-mode settings; ``settings={...}`` changes them, ``granted_scopes``
        goes to the config, any other keyword to the client."""
        settings_kw: dict[str, Any] = {
            "hubspot_mode": "paragon",
            "paragon_project_id": PROJECT_ID,
            "paragon_signing_key": keys.private_pem,
            "max_retries": 3,
        }
        settings_kw.update(overrides.pop("settings", {}))
        config = HubSpotClientConfig.from_settings(
            load_settings(**settings_kw), granted_scopes=overrides.pop("granted_scopes", None)
        )
        kwargs: dict[str, Any] = {
            "transport": httpx.MockTransport(router.async_handler),
            "clock": fake_time.clock,
            "sleep": fake_time.sleep,
            "request_hook": hook,
        }
        kwargs.update(overrides)
        client = HubSpotClient(config, **kwargs)
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()


@pytest.fixture
async def client(make_client: MakeClient) -> HubSpotClient:
    return await make_client()

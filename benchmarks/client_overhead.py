"""Per-call overhead of the HubSpot client over bare httpx, both against an ``httpx.MockTransport``.

Run: ``python benchmarks/client_overhead.py [N]``. The client path includes everything a real call
does except the network: scope check, allow-list, rate limiter, Paragon headers (cached user
token), tenacity, JSON decoding, pydantic parsing and the request hook. Target: < 0.2 ms per call.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tools.hubspot.client import Connection, HubSpotClient, RequestRecord
from tools.hubspot.config import HubSpotClientConfig
from tools.paragon import ParagonTokenSigner
from tools.settings import load_settings

BODY: dict[str, Any] = {
    "id": "512",
    "properties": {"hs_object_id": "512", "email": "jane@acme.com", "firstname": "Jane", "lastname": "Doe"},
    "createdAt": "2024-01-17T19:55:04.281Z",
    "updatedAt": "2024-01-17T19:55:04.281Z",
    "archived": False,
}
URL = "https://proxy.useparagon.com/projects/bench/sdk/proxy/hubspot/crm/v3/objects/contacts/512"


def _handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=BODY)


async def _bare(n: int, token: str) -> float:
    # The same request the client sends (same URL, same headers), minus everything the client adds.
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Paragon-Use-Raw-Response": "1",
        "X-Paragon-Credential": "c1",
        "Accept": "application/json",
        "User-Agent": "alysio-hubspot-agent",
    }
    async with httpx.AsyncClient(transport=httpx.MockTransport(_handler)) as http:
        start = time.perf_counter()
        for _ in range(n):
            response = await http.get(URL, headers=headers)
            response.json()
        return time.perf_counter() - start


async def _client(n: int, pem: str) -> float:
    settings = load_settings(
        hubspot_mode="paragon",
        paragon_project_id="bench",
        paragon_signing_key=pem,
        rate_limit_requests=10 * n,  # measure the limiter's bookkeeping, not its waiting
    )
    conn = Connection(tenant_id="t1", user_id="u1", credential_id="c1")

    async def hook(record: RequestRecord) -> None:
        return None

    config = HubSpotClientConfig.from_settings(settings)
    async with HubSpotClient(config, transport=httpx.MockTransport(_handler), request_hook=hook) as client:
        await client.get_object(conn, "contacts", "512")  # sign and cache the user token once
        start = time.perf_counter()
        for _ in range(n):
            await client.get_object(conn, "contacts", "512")
        return time.perf_counter() - start


async def main(n: int = 5000, rounds: int = 5) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    token = ParagonTokenSigner("bench", pem).token_for("u1")  # same length as the client's token
    bare_runs, client_runs = [], []
    for _ in range(rounds):
        bare_runs.append(await _bare(n, token))
        client_runs.append(await _client(n, pem))
    bare = statistics.median(bare_runs) / n * 1000
    ours = statistics.median(client_runs) / n * 1000
    print(f"calls per run: {n}, runs: {rounds} (median)")
    print(f"bare httpx:      {bare:.3f} ms/call")
    print(f"HubSpotClient:   {ours:.3f} ms/call")
    print(f"overhead:        {ours - bare:.3f} ms/call (target < 0.2)")
    print(f"ratio:           {ours / bare:.2f}x")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))

"""Paragon Connect: the proxy URL and the Paragon user token (an RS256 JWT per Alysio user).

Paragon holds each tenant's HubSpot OAuth tokens; Alysio proves who is calling with a
short-lived JWT signed by the project's signing key (``sub`` = the Alysio user id,
``aud`` = ``useparagon.com/{projectId}``). Tokens are cached per user until shortly before they
expire, so signing (about a millisecond) happens once per user per lifetime, not per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tools.settings import SettingsError

PROXY_HEADERS = {"X-Paragon-Use-Raw-Response": "1"}
"""Ask the proxy for HubSpot's raw answer: its status, headers (rate limits, Retry-After) and body."""

CREDENTIAL_HEADER = "X-Paragon-Credential"


def proxy_base_url(proxy_url: str, project_id: str) -> str:
    """``{proxy}/projects/{projectId}/sdk/proxy/hubspot``: HubSpot paths are appended to it."""
    return f"{proxy_url.rstrip('/')}/projects/{quote(project_id, safe='')}/sdk/proxy/hubspot"


def me_url(api_url: str, project_id: str) -> str:
    """Paragon's ``/sdk/me`` (the user's connected integrations and credential status)."""
    return f"{api_url.rstrip('/')}/projects/{quote(project_id, safe='')}/sdk/me"


def unwrap_output(body: Any) -> Any:
    """Strip Paragon's ``{"output": <provider body>}`` wrapper when present."""
    if isinstance(body, dict) and len(body) == 1 and "output" in body:
        return body["output"]
    return body


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    refresh_at: float

    def __repr__(self) -> str:  # never show the token itself
        return f"_Token(refresh_at={self.refresh_at})"


class ParagonTokenSigner:
    """Signs and caches Paragon user tokens.

    Args:
        project_id: The Paragon project id (``aud`` = ``useparagon.com/{project_id}``).
        signing_key_pem: The project's RS256 private key, PEM text (PKCS#8 or PKCS#1).
        ttl_seconds: Token lifetime.
        clock: Wall-clock seconds since the epoch; injectable for tests.
    """

    def __init__(
        self,
        project_id: str,
        signing_key_pem: str,
        *,
        ttl_seconds: int = 600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            key = load_pem_private_key(signing_key_pem.replace("\\n", "\n").encode(), password=None)
        except (ValueError, TypeError):
            # The library's message may quote key material: say only what is wrong.
            raise SettingsError("ALYSIO_PARAGON_SIGNING_KEY is not a readable PEM private key") from None
        if not isinstance(key, RSAPrivateKey):
            raise SettingsError("ALYSIO_PARAGON_SIGNING_KEY must be an RSA key (Paragon signs with RS256)")
        self._key = key
        self.project_id = project_id
        self.audience = f"useparagon.com/{project_id}"
        self.ttl_seconds = ttl_seconds
        # Refresh a little before expiry so a token never expires in flight.
        self._margin = min(60.0, ttl_seconds / 5)
        self._clock = clock
        self._cache: dict[str, _Token] = {}

    def __repr__(self) -> str:
        return f"ParagonTokenSigner(project_id={self.project_id!r}, ttl_seconds={self.ttl_seconds})"

    def token_for(self, user_id: str) -> str:
        """A valid user token for ``user_id`` (``sub``), from the cache when still fresh."""
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and now < cached.refresh_at:
            return cached.value
        issued = int(now)
        claims = {"sub": user_id, "aud": self.audience, "iat": issued, "exp": issued + self.ttl_seconds}
        value = jwt.encode(claims, self._key, algorithm="RS256")
        self._cache[user_id] = _Token(value, issued + self.ttl_seconds - self._margin)
        return value

    def forget(self, user_id: str) -> None:
        """Drop a user's cached token (e.g. after Paragon refused it)."""
        self._cache.pop(user_id, None)

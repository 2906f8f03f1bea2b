"""The HubSpot client's own configuration: what it needs to know, and nothing else of the settings.

:meth:`HubSpotClientConfig.from_settings` builds it from the application's
:class:`~tools.settings.Settings`; a config is checked when it is made (a missing token, project
id or key, or a plain-http URL outside loopback, raises :class:`~tools.settings.SettingsError`
naming the environment variable), so a client never starts half-configured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

from tools.scopes_catalog import OPTIONAL_SCOPES, REQUIRED_SCOPES
from tools.settings import HubSpotMode, Settings, SettingsError, is_loopback_host


def _require_secure(url: str, env_name: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(url)):
        return
    raise SettingsError(f"{env_name} must use https:// (plain http is only allowed for loopback addresses)")


@dataclass(frozen=True, slots=True, kw_only=True)
class HubSpotClientConfig:
    """How one :class:`~tools.hubspot.client.HubSpotClient` reaches HubSpot and how hard it tries.

    Attributes:
        mode: ``paragon`` (the proxy, production), ``direct`` (a private-app token) or ``sandbox``
            (the Paragon path against the in-process sandbox).
        hubspot_base_url: HubSpot's API (direct mode).
        access_token: The private-app token (direct mode).
        paragon_project_id: The Paragon project (paragon and sandbox modes).
        paragon_proxy_url: Paragon's proxy origin; HubSpot paths go under
            ``/projects/{id}/sdk/proxy/hubspot``.
        paragon_api_url: Paragon's API origin (``/projects/{id}/sdk/me``).
        signing_key_pem: The Paragon signing key, PEM text (paragon and sandbox modes).
        token_ttl_seconds: Lifetime of a Paragon user token.
        timeout_seconds: HTTP timeout of one exchange.
        max_retries: Retries after the first attempt, where retrying is safe.
        rate_limit_requests: Requests per portal per window.
        rate_limit_window_seconds: The rolling window of ``rate_limit_requests``.
        rate_limit_search_per_second: Searches per portal per second.
        granted_scopes: The scopes every connection is assumed to hold until HubSpot says otherwise.
        write_settle_seconds: How long after a create was sent HubSpot may still be carrying it out
            (its answer lost, or slower than the timeout); no absence is concluded before then.
        search_lag_seconds: How long search may lag behind a write (HubSpot: "a few moments").
    """

    mode: HubSpotMode
    hubspot_base_url: str
    access_token: SecretStr | None = None
    paragon_project_id: str | None = None
    paragon_proxy_url: str
    paragon_api_url: str
    signing_key_pem: SecretStr | None = None
    token_ttl_seconds: int
    timeout_seconds: float
    max_retries: int
    rate_limit_requests: int
    rate_limit_window_seconds: float
    rate_limit_search_per_second: int
    granted_scopes: frozenset[str]
    write_settle_seconds: float = 10.0
    search_lag_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.mode == "direct":
            if self.access_token is None:
                raise SettingsError("ALYSIO_HUBSPOT_ACCESS_TOKEN must be set when ALYSIO_HUBSPOT_MODE=direct")
            _require_secure(self.hubspot_base_url, "ALYSIO_HUBSPOT_BASE_URL")
            return
        if not self.paragon_project_id:
            raise SettingsError("ALYSIO_PARAGON_PROJECT_ID must be set when ALYSIO_HUBSPOT_MODE=paragon")
        _require_secure(self.paragon_proxy_url, "ALYSIO_PARAGON_PROXY_URL")
        _require_secure(self.paragon_api_url, "ALYSIO_PARAGON_API_URL")
        if self.signing_key_pem is None:
            raise SettingsError("ALYSIO_PARAGON_SIGNING_KEY is not set")

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        signing_key_pem: str | None = None,
        granted_scopes: Iterable[str] | None = None,
    ) -> HubSpotClientConfig:
        """The client's part of the settings.

        Args:
            settings: The application settings.
            signing_key_pem: A Paragon signing key (PEM) replacing the setting (the sandbox's own).
            granted_scopes: The connections' initial scopes; default: see :func:`initial_scopes`.

        Raises:
            SettingsError: A setting the mode needs is missing or unsafe.
        """
        mode = settings.hubspot_mode
        pem: str | None = None
        if mode != "direct":
            pem = signing_key_pem if signing_key_pem is not None else settings.signing_key_pem()
        return cls(
            mode=mode,
            hubspot_base_url=settings.hubspot_base_url.rstrip("/"),
            access_token=settings.hubspot_access_token,
            paragon_project_id=settings.paragon_project_id or ("sandbox" if mode == "sandbox" else None),
            paragon_proxy_url=settings.paragon_proxy_url,
            paragon_api_url=settings.paragon_api_url,
            signing_key_pem=SecretStr(pem) if pem is not None else None,
            token_ttl_seconds=settings.paragon_token_ttl_seconds,
            timeout_seconds=settings.http_timeout_seconds,
            max_retries=settings.max_retries,
            rate_limit_requests=settings.rate_limit_requests,
            rate_limit_window_seconds=settings.rate_limit_window_seconds,
            rate_limit_search_per_second=settings.rate_limit_search_per_second,
            granted_scopes=frozenset(initial_scopes(settings) if granted_scopes is None else granted_scopes),
            write_settle_seconds=settings.write_settle_seconds,
            search_lag_seconds=settings.search_lag_seconds,
        )


def initial_scopes(settings: Settings) -> frozenset[str]:
    """What a connection is assumed to hold before HubSpot says otherwise.

    Direct and sandbox modes: the configured ``HUBSPOT_SCOPES``. Paragon mode: Paragon does not
    expose granted scopes, but an install cannot complete without the app's required scopes, so
    those plus the optional ones the configuration says are granted.
    """
    configured = frozenset(settings.hubspot_scopes)
    if settings.hubspot_mode != "paragon":
        return configured
    return frozenset(REQUIRED_SCOPES) | (configured & frozenset(OPTIONAL_SCOPES))

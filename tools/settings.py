"""Process settings, read from the environment (prefix ``ALYSIO_``) and an optional ``.env``.

A missing or malformed setting is reported by its environment variable name through
:class:`SettingsError`; the CLI prints that message and exits 2 instead of a traceback.

Every secret setting (each ``SecretStr`` field, and the PEM text of a signing key read from a
file) is registered with :mod:`tools.redact` as soon as the settings are made, so it is masked in
any upstream text, reply or log line even when it has no credential-like shape.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tools.redact import register_secret
from tools.scopes_catalog import ALL_SCOPES

ENV_PREFIX = "ALYSIO_"
HubSpotMode = Literal["paragon", "direct", "sandbox"]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


def is_loopback_address(host: str) -> bool:
    """True when the host name or address ``host`` is this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_loopback_host(url: str) -> bool:
    """True when ``url`` points at this machine (the only place plain HTTP is allowed)."""
    return is_loopback_address(urlsplit(url).hostname or "")


def _check_base_url(value: str, env_name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{env_name} must be an absolute https:// URL, got {value!r}")
    if parts.scheme == "http" and not is_loopback_host(value):
        raise ValueError(f"{env_name} must use https:// (plain http is only allowed for loopback addresses)")
    return value.rstrip("/")


class Settings(BaseSettings):
    """Every knob of the service. Field ``x`` is read from ``ALYSIO_X``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    hubspot_mode: HubSpotMode = "sandbox"

    # Paragon proxy (production path)
    paragon_project_id: str | None = None
    paragon_signing_key: SecretStr | None = Field(
        default=None, description="PEM text (escaped \\n allowed) or a path to a PEM file"
    )
    paragon_proxy_url: str = "https://proxy.useparagon.com"
    paragon_api_url: str = "https://api.useparagon.com"
    paragon_token_ttl_seconds: int = Field(default=600, ge=60, le=86400)

    # Direct mode (private-app token, for development)
    hubspot_access_token: SecretStr | None = None
    hubspot_base_url: str = "https://api.hubapi.com"

    # Granted scopes in direct and sandbox modes (comma- or space-separated in the environment)
    hubspot_scopes: Annotated[tuple[str, ...], NoDecode] = ALL_SCOPES

    # Client-side rate limiting per portal (HubSpot: 100-190 req / 10 s, search 5 req / s)
    rate_limit_requests: int = Field(default=100, ge=1, le=100_000)
    rate_limit_window_seconds: float = Field(default=10.0, gt=0, le=3600)
    rate_limit_search_per_second: int = Field(default=4, ge=1, le=1000)
    http_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    max_retries: int = Field(default=4, ge=0, le=10)
    # A create whose answer was lost: how long HubSpot may still be carrying it out, and how long
    # search may lag behind it, before the agent concludes it did not happen (and sends it again)
    write_settle_seconds: float = Field(default=10.0, ge=0, le=600)
    search_lag_seconds: float = Field(default=5.0, ge=0, le=600)
    # A claim on an approved write is its sender's while renewed; a dead sender's lapses after this
    write_lease_seconds: float = Field(default=15.0, gt=0, le=600)
    # The most writes one approval may carry (more is refused as bulk)
    max_writes_per_approval: int = Field(default=5, ge=1, le=50)

    # Planner: "openai" needs a key; unset = openai when a key is set, else the offline planner
    planner: Literal["offline", "openai"] | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None  # any OpenAI-compatible endpoint
    openai_model: str = "gpt-4.1-mini"
    openai_timeout_seconds: float = Field(default=60.0, gt=0, le=600)

    # Local storage (SQLite by default): conversations' checkpoints and the audit log
    data_dir: Path = Path("~/.alysio")
    checkpoint_path: Path | None = None  # default: {data_dir}/checkpoints.sqlite
    audit_path: Path | None = None  # default: {data_dir}/audit.sqlite
    confirmation_ttl_hours: float = Field(default=24.0, gt=0, le=24 * 30)

    # The default chat user (the demo portal's owner Alex Rivera)
    tenant_id: str = "t-demo"
    user_id: str = "u-alex"
    user_email: str = "alex@acme-sales.io"
    user_name: str = "Alex Rivera"
    user_timezone: str = "America/New_York"

    @field_validator("hubspot_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(s for s in value.replace(",", " ").split() if s)
        return value

    @field_validator("paragon_proxy_url")
    @classmethod
    def _proxy_url(cls, value: str) -> str:
        return _check_base_url(value, "ALYSIO_PARAGON_PROXY_URL")

    @field_validator("paragon_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _check_base_url(value, "ALYSIO_PARAGON_API_URL")

    @field_validator("hubspot_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _check_base_url(value, "ALYSIO_HUBSPOT_BASE_URL")

    @field_validator("openai_base_url")
    @classmethod
    def _openai_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_base_url(value, "ALYSIO_OPENAI_BASE_URL")

    @field_validator("user_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _mode_requirements(self) -> Settings:
        missing: list[str] = []
        if self.hubspot_mode == "paragon":
            if not self.paragon_project_id:
                missing.append("ALYSIO_PARAGON_PROJECT_ID")
            if self.paragon_signing_key is None:
                missing.append("ALYSIO_PARAGON_SIGNING_KEY")
        if self.hubspot_mode == "direct" and self.hubspot_access_token is None:
            missing.append("ALYSIO_HUBSPOT_ACCESS_TOKEN")
        if self.planner == "openai" and self.openai_api_key is None:
            missing.append("ALYSIO_OPENAI_API_KEY")
        if missing:
            raise ValueError(
                f"{', '.join(missing)} must be set for ALYSIO_HUBSPOT_MODE={self.hubspot_mode}"
                + (f" and ALYSIO_PLANNER={self.planner}" if self.planner else "")
            )
        return self

    def model_post_init(self, context: Any, /) -> None:
        """Register every secret setting for redaction (see :mod:`tools.redact`)."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if not isinstance(value, SecretStr):
                continue
            secret = value.get_secret_value()
            if name == "paragon_signing_key" and "PRIVATE KEY" not in secret:
                continue  # the path of the key file: its text is registered when read
            register_secret(secret)
            register_secret(secret.strip().replace("\\n", "\n"))  # a PEM given with escaped newlines

    @property
    def planner_name(self) -> Literal["offline", "openai"]:
        """The planner in effect: the model planner only when chosen or when a key is set."""
        if self.planner is not None:
            return self.planner
        return "openai" if self.openai_api_key is not None else "offline"

    def storage_path(self, which: Literal["checkpoints", "audit", "ledger"]) -> Path:
        """Where the SQLite file of conversations, of the audit log or of the write ledger lives."""
        chosen = {"checkpoints": self.checkpoint_path, "audit": self.audit_path}.get(which)
        return (chosen or self.data_dir / f"{which}.sqlite").expanduser()

    def signing_key_pem(self) -> str:
        """The Paragon signing key as PEM text, read from the file when the setting is a path."""
        if self.paragon_signing_key is None:
            raise SettingsError("ALYSIO_PARAGON_SIGNING_KEY is not set")
        raw = self.paragon_signing_key.get_secret_value().strip()
        if not raw.startswith("-----BEGIN"):
            path = Path(raw).expanduser()
            if not path.is_file():
                raise SettingsError(
                    "ALYSIO_PARAGON_SIGNING_KEY is neither PEM text nor the path of a readable file"
                )
            raw = path.read_text(encoding="utf-8").strip()
        pem = raw.replace("\\n", "\n")
        if "PRIVATE KEY-----" not in pem:
            raise SettingsError("ALYSIO_PARAGON_SIGNING_KEY does not hold a PEM private key")
        register_secret(pem)  # read from a file: the setting itself held only its path
        return pem + "\n"


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "_".join(str(part) for part in loc).upper() if loc else "settings"


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's errors into one :class:`SettingsError` naming each variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except UnicodeDecodeError as exc:  # the only text read as bytes is the .env file
        raise SettingsError(
            f"The .env file in {Path.cwd()} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
            f"offset {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise SettingsError(f"Cannot read the .env file in {Path.cwd()}: {exc.strerror}") from None
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(msg if not err["loc"] else f"{_env_name(err['loc'])}: {msg}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(lines)) from None

"""Typed errors of the HubSpot layer, and the mapping from HubSpot's (or Paragon's) error answers.

Every error carries what a person needs: the HTTP status, HubSpot's ``category`` and
``correlationId`` (for HubSpot support), the message, a plain-language ``user_action`` and a
short ``kind`` that the agent and the eval cases match on. No error ever carries a token: every
text an error holds passes :func:`tools.redact.redact` when the error is made, since HubSpot and
Paragon sometimes quote the request's credentials in their error bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from tools.redact import redact

PARAGON_NOT_ENABLED = "Integration not enabled for user."
"""Paragon's exact message when the user has not connected HubSpot (matched by Paragon's own MCP)."""

_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
_RETRYABLE_5XX_EXCLUDED = frozenset({522, 525, 526})  # HubSpot: contact support, do not retry


def _redacted(text: object) -> str | None:
    """``text`` as redacted text (upstream fields are not always strings), or None."""
    return None if text is None else redact(str(text))


class HubSpotError(Exception):
    """Base of every error the HubSpot layer raises.

    Attributes:
        kind: Short machine-readable name (``reconnect``, ``missing_scope``, ...).
        status: HTTP status, or None when nothing was sent.
        category: HubSpot's ``category`` (``VALIDATION_ERROR``, ``MISSING_SCOPES``...), if any.
        correlation_id: HubSpot's ``correlationId`` (quote it to HubSpot support), if any.
        message: What went wrong.
        user_action: The next step for the person, in plain language.
    """

    kind: ClassVar[str] = "error"
    default_action: ClassVar[str] = "Try again; if it keeps failing, contact support@alysio.ai."

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        category: str | None = None,
        correlation_id: str | None = None,
        user_action: str | None = None,
    ) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.status = status
        self.category = _redacted(category)
        self.correlation_id = _redacted(correlation_id)
        self.user_action = redact(user_action) if user_action else self.default_action

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again later can succeed."""
        return False

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status}{', ' + self.category if self.category else ''})")
        if self.correlation_id:
            parts.append(f"[correlationId {self.correlation_id}]")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for tool results and the audit log."""
        return {
            "kind": self.kind,
            "message": self.message,
            "status": self.status,
            "category": self.category,
            "correlation_id": self.correlation_id,
            "user_action": self.user_action,
        }


class ReconnectRequired(HubSpotError):
    """The HubSpot connection is missing, expired or revoked (401, or Paragon: not enabled)."""

    kind = "reconnect"
    default_action = "Reconnect HubSpot in Alysio under Settings → Integrations."


class MissingScopes(HubSpotError):
    """The connection was not granted a scope the operation needs (403 ``MISSING_SCOPES``).

    Attributes:
        required: Scopes that would authorize the operation (HubSpot's any-of candidates when
            HubSpot answered, otherwise the scope table's requirement).
    """

    kind = "missing_scope"
    default_action = (
        "Reauthorize HubSpot in Alysio under Settings → Integrations and approve the listed scopes."
    )

    def __init__(self, message: str, *, required: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.required = [redact(scope) for scope in required]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "required": self.required}


class Forbidden(HubSpotError):
    """HubSpot refused for a reason other than scopes (e.g. the HubSpot user's own permissions)."""

    kind = "forbidden"
    default_action = "Ask a HubSpot Super Admin to check your HubSpot user permissions."


class NotFound(HubSpotError):
    """The record (or resource) does not exist, or is not visible to this connection."""

    kind = "not_found"
    default_action = "Check the name or id; the record may have been deleted or merged."


class ValidationFailed(HubSpotError):
    """HubSpot (400) or the client rejected the request's content.

    Attributes:
        property_names: The offending property names, when known.
    """

    kind = "validation"
    default_action = "Correct the listed values and try again."

    def __init__(self, message: str, *, property_names: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.property_names = [redact(name) for name in property_names]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "property_names": self.property_names}


class SearchRuleViolation(ValidationFailed):
    """A search request breaks one of HubSpot's search rules; raised before anything is sent."""

    kind = "invalid_search"
    default_action = "Narrow the search: fewer filters or groups, a smaller page, or fewer pages."


class Conflict(HubSpotError):
    """The record already exists (409), e.g. a contact with the same email.

    Attributes:
        existing_id: The id of the existing record, parsed from ``Existing ID: N`` when present.
    """

    kind = "conflict"
    default_action = "Use the existing record instead of creating a new one."

    def __init__(self, message: str, *, existing_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.existing_id = _redacted(existing_id)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "existing_id": self.existing_id}


class RateLimited(HubSpotError):
    """HubSpot's rate limit was hit (429) and retrying did not help in time.

    Attributes:
        retry_after: Seconds to wait before trying again.
    """

    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float = 10.0, **kwargs: Any) -> None:
        kwargs.setdefault(
            "user_action", f"HubSpot is busy; try again in about {max(1, round(retry_after))} seconds."
        )
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "retry_after": self.retry_after}


class UpstreamUnavailable(HubSpotError):
    """HubSpot or Paragon failed (5xx, timeout, connection error) even after retries.

    Attributes:
        retry_after: Seconds HubSpot asked to wait (``Retry-After``), if it said.
        ambiguous: True when the request may have reached HubSpot (a 5xx, a read timeout), so a
            create or merge may have happened; False when it surely did not leave (connect error).
    """

    kind = "upstream"
    default_action = "HubSpot is not answering right now; try again in a few minutes."

    def __init__(
        self, message: str, *, retry_after: float | None = None, ambiguous: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.ambiguous = ambiguous

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status not in _RETRYABLE_5XX_EXCLUDED


class OutcomeUnknown(UpstreamUnavailable):
    """A write's answer was lost and what HubSpot did could not be established: it is not resent."""

    kind = "unknown"
    default_action = "Check the record in HubSpot before asking again; it was not sent a second time."

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, ambiguous=True, **kwargs)

    @property
    def retryable(self) -> bool:
        return False


class NotAllowed(HubSpotError):
    """A request the integration never performs (DELETE, a path outside the allow-list...)."""

    kind = "not_allowed"
    default_action = (
        "Alysio cannot do this through HubSpot (it never deletes CRM data); do it in HubSpot itself."
    )


# --------------------------------------------------------------------------- mapping


def _as_dict(body: Any) -> dict[str, Any]:
    return body if isinstance(body, dict) else {}


def _retry_after(headers: Mapping[str, str], body: Mapping[str, Any]) -> float | None:
    """Seconds to wait, from ``Retry-After`` then HubSpot's rate-limit window header."""
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass  # an HTTP date: rare for HubSpot, fall through to the window header
    interval = headers.get("x-hubspot-ratelimit-interval-milliseconds")
    if interval:
        try:
            return max(0.0, float(interval) / 1000.0)
        except ValueError:
            pass
    return None


def _rate_limit_wait(headers: Mapping[str, str], body: Mapping[str, Any]) -> float:
    explicit = _retry_after(headers, body)
    if explicit is not None:
        return explicit
    # HubSpot's own Node SDK waits 1 s for the secondly (search) limit, 10 s for the rolling one.
    if body.get("policyName") == "SECONDLY" or "secondly limit" in str(body.get("message", "")):
        return 1.0
    return 10.0


def _property_names(body: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for detail in body.get("errors") or []:
        if isinstance(detail, dict):
            context = detail.get("context") or {}
            if isinstance(context, dict):
                names.extend(str(n) for n in context.get("propertyName") or [])
    message = str(body.get("message", ""))
    # "Property values were not valid: [{...,"name":"x",...}]": the JSON array names each property.
    start = message.find("[")
    if not names and start != -1:
        try:
            items = json.loads(message[start:])
        except ValueError:
            items = []
        if isinstance(items, list):
            names.extend(str(i["name"]) for i in items if isinstance(i, dict) and "name" in i)
    return list(dict.fromkeys(names))


def _required_scopes(body: Mapping[str, Any]) -> list[str]:
    scopes: list[str] = []
    for detail in body.get("errors") or []:
        context = detail.get("context") if isinstance(detail, dict) else None
        if isinstance(context, dict):
            scopes.extend(context.get("requiredGranularScopes") or context.get("requiredScopes") or [])
    return list(dict.fromkeys(str(s) for s in scopes))


def is_paragon_error_body(body: Any) -> bool:
    """Paragon's own error shape: ``{message, code (numeric string), status, meta}``."""
    return (
        isinstance(body, dict)
        and "message" in body
        and isinstance(body.get("code"), str)
        and "correlationId" not in body
        and "category" not in body
    )


def error_from_response(
    status: int, body: Any, headers: Mapping[str, str], *, required_scopes: Sequence[str] = ()
) -> HubSpotError:
    """Map an error answer (HubSpot's or Paragon's) to a typed :class:`HubSpotError`.

    Args:
        status: The HTTP status.
        body: The decoded JSON body (already unwrapped from Paragon's ``output``), or None.
        headers: Response headers (case-insensitive mapping).
        required_scopes: The scope table's requirement of the operation, used for 403s whose
            body does not list scopes.
    """
    data = _as_dict(body)
    message = str(data.get("message") or f"HubSpot answered HTTP {status}")
    category = data.get("category") or data.get("errorType")
    common: dict[str, Any] = {
        "status": status,
        "category": str(category) if category else None,
        "correlation_id": data.get("correlationId") or headers.get("x-hubspot-correlation-id"),
    }
    if is_paragon_error_body(body):
        common["category"] = f"PARAGON_{data['code']}"
        if message.strip() == PARAGON_NOT_ENABLED:
            return ReconnectRequired("HubSpot is not connected for this user.", **common)

    if status == 401:
        return ReconnectRequired(message, **common)
    if status == 403:
        if category == "MISSING_SCOPES" or _required_scopes(data):
            required = _required_scopes(data) or list(required_scopes)
            return MissingScopes(message, required=required, **common)
        return Forbidden(message, **common)
    if status == 404:
        return NotFound(message, **common)
    if status == 409:
        match = _EXISTING_ID.search(message)
        return Conflict(message, existing_id=match.group(1) if match else None, **common)
    if status == 429 or category == "RATE_LIMITS" or data.get("errorType") == "RATE_LIMIT":
        return RateLimited(message, retry_after=_rate_limit_wait(headers, data), **common)
    if status == 423:  # HubSpot: locked during high-volume syncs, wait at least 2 s
        return RateLimited(message, retry_after=max(2.0, _retry_after(headers, data) or 0.0), **common)
    if status == 400:
        return ValidationFailed(message, property_names=_property_names(data), **common)
    if status == 477 or status >= 500:
        return UpstreamUnavailable(message, retry_after=_retry_after(headers, data), **common)
    return HubSpotError(message, **common)

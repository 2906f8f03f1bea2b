"""HubSpot-shaped error responses.

Handlers raise :class:`HubSpotError`; the app turns it into HubSpot's JSON body
(``status``, ``message``, ``correlationId``, ``category`` and optional ``errors``/``context``/``links``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

JSON = dict[str, Any]

SCOPES_LINK = "https://developers.hubspot.com/scopes"
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


class HubSpotError(Exception):
    """An error response HubSpot would send.

    Args:
        status: HTTP status code.
        message: Top-level ``message``.
        category: HubSpot's ``category`` (omitted from the body when None).
        errors: ``errors[]`` entries.
        context: Top-level ``context``.
        extra: Other top-level keys (``links``, ``subCategory``, rate-limit fields...).
        headers: Extra response headers.
    """

    def __init__(
        self,
        status: int,
        message: str,
        category: str | None,
        *,
        errors: list[JSON] | None = None,
        context: dict[str, list[str]] | None = None,
        extra: JSON | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.errors = errors
        self.context = context
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> JSON:
        """The JSON body, with a fresh correlation id."""
        out: JSON = {"status": "error", "message": self.message, "correlationId": str(uuid.uuid4())}
        if self.context is not None:
            out["context"] = self.context
        if self.errors is not None:
            out["errors"] = self.errors
        out.update(self.extra)
        if self.category is not None:
            out["category"] = self.category
        return out


def bad_request(
    message: str, *, errors: list[JSON] | None = None, category: str = "VALIDATION_ERROR"
) -> HubSpotError:
    """A 400 ``VALIDATION_ERROR`` (HubSpot's category for malformed requests and bad values)."""
    return HubSpotError(400, message, category, errors=errors)


def invalid_json(detail: str) -> HubSpotError:
    """400 for a body that is not the JSON the endpoint expects."""
    return bad_request(f"Invalid input JSON on line 1, column 1: {detail}")


def unauthorized() -> HubSpotError:
    """401 ``INVALID_AUTHENTICATION`` for a missing, unknown or revoked token."""
    return HubSpotError(
        401,
        AUTH_MESSAGE,
        "INVALID_AUTHENTICATION",
        headers={"x-hubspot-auth-failure": "401 Unauthorized"},
    )


def missing_scopes(required: list[str]) -> HubSpotError:
    """403 ``MISSING_SCOPES`` listing the any-of candidate scopes."""
    return HubSpotError(
        403,
        "This app hasn't been granted all required scopes to make this call. "
        f"Read more about required scopes here: {SCOPES_LINK}.",
        "MISSING_SCOPES",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": list(required)},
            }
        ],
        extra={"links": {"scopes": SCOPES_LINK}},
    )


def object_not_found(object_id: str) -> HubSpotError:
    """404 for a record id that does not exist (HubSpot's ``OBJECT_NOT_FOUND`` body; two spaces are HubSpot's)."""
    return HubSpotError(
        404,
        "Object not found.  objectId are usually numeric.",
        "OBJECT_NOT_FOUND",
        context={"id": [object_id]},
    )


def resource_not_found(message: str = "resource not found") -> HubSpotError:
    """404 for an unknown path or non-record resource."""
    return HubSpotError(404, message, "OBJECT_NOT_FOUND")


def unknown_object_type(name: str) -> HubSpotError:
    """400 for an object type the portal does not have."""
    return bad_request(f"Unable to infer object type from: {name}")


def property_errors(portal_id: int, problems: list[tuple[str, str, str]]) -> HubSpotError:
    """400 ``VALIDATION_ERROR`` for invalid property values.

    Args:
        portal_id: The portal's id (HubSpot repeats it in each validation result).
        problems: ``(property name, error code, message)`` triples.
    """
    results = [
        {
            "isValid": False,
            "message": msg,
            "error": code,
            "name": name,
            "localizedErrorMessage": msg,
            "portalId": portal_id,
        }
        for name, code, msg in problems
    ]
    return bad_request(
        "Property values were not valid: " + json.dumps(results, separators=(",", ":")),
        errors=[
            {"message": msg, "code": code, "context": {"propertyName": [name]}}
            for name, code, msg in problems
        ],
    )


def conflict(message: str) -> HubSpotError:
    """409 ``CONFLICT`` (a duplicate unique value)."""
    return HubSpotError(409, message, "CONFLICT")


def method_not_allowed(method: str, path: str) -> HubSpotError:
    """405 for a method the path does not serve (DELETE is always answered this way; see docs/sandbox.md)."""
    return HubSpotError(
        405,
        f"HTTP {method} is not supported by {path}",
        "METHOD_NOT_ALLOWED",
    )

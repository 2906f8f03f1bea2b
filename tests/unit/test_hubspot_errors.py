"""Mapping HubSpot's and Paragon's error answers to typed errors (no HTTP involved)."""

from __future__ import annotations

import json

import httpx
import pytest

from tools.hubspot.errors import (
    Conflict,
    HubSpotError,
    MissingScopes,
    NotFound,
    RateLimited,
    ReconnectRequired,
    UpstreamUnavailable,
    ValidationFailed,
    error_from_response,
)
from tools.redact import MASK, register_secret


def _map(status: int, body: object, **headers: str) -> HubSpotError:
    return error_from_response(status, body, httpx.Headers(headers))


def test_secondly_limit_waits_one_second() -> None:
    err = _map(
        429, {"status": "error", "message": "You have reached your secondly limit.", "policyName": "SECONDLY"}
    )
    assert isinstance(err, RateLimited) and err.retry_after == 1.0


def test_rolling_limit_without_headers_waits_ten_seconds() -> None:
    err = _map(
        429, {"message": "You have reached your ten_secondly_rolling limit.", "errorType": "RATE_LIMIT"}
    )
    assert isinstance(err, RateLimited) and err.retry_after == 10.0
    assert "10 seconds" in err.user_action


def test_search_rate_limit_reported_as_500_is_still_rate_limited() -> None:
    err = _map(
        500,
        {"status": "error", "message": "You have reached your secondly limit.", "category": "RATE_LIMITS"},
    )
    assert isinstance(err, RateLimited)


def test_locked_423_waits_at_least_two_seconds() -> None:
    err = _map(423, None)
    assert isinstance(err, RateLimited) and err.retry_after == 2.0


def test_migration_477_carries_retry_after() -> None:
    err = _map(477, {"message": "Migration in progress"}, **{"Retry-After": "3600"})
    assert isinstance(err, UpstreamUnavailable) and err.retry_after == 3600.0


@pytest.mark.parametrize(
    ("status", "retryable"), [(502, True), (503, True), (524, True), (522, False), (525, False)]
)
def test_which_5xx_are_retryable(status: int, retryable: bool) -> None:
    assert _map(status, None).retryable is retryable


def test_404_without_category_is_not_found() -> None:
    err = _map(404, {"status": "error", "message": "resource not found", "correlationId": "c-1"})
    assert isinstance(err, NotFound) and err.correlation_id == "c-1" and err.category is None


def test_correlation_id_falls_back_to_the_header() -> None:
    err = _map(404, None, **{"x-hubspot-correlation-id": "c-2"})
    assert err.correlation_id == "c-2"


def test_older_required_scopes_context_is_read() -> None:
    err = _map(
        403,
        {"category": "MISSING_SCOPES", "errors": [{"message": "m", "context": {"requiredScopes": ["a"]}}]},
    )
    assert isinstance(err, MissingScopes) and err.required == ["a"]


def test_property_names_come_from_the_message_array_when_errors_are_absent() -> None:
    body = {
        "category": "VALIDATION_ERROR",
        "message": 'Property values were not valid: [{"isValid":false,"message":"1635535865 is at 22:18:55.865 UTC, '
        'not midnight!","error":"INVALID_DATE","name":"closedate"}]',
    }
    err = _map(400, body)
    assert isinstance(err, ValidationFailed) and err.property_names == ["closedate"]


def test_conflict_without_an_id_still_maps() -> None:
    err = _map(409, {"message": "Conflict", "category": "CONFLICT"})
    assert isinstance(err, Conflict) and err.existing_id is None


def test_paragon_not_enabled_is_reconnect_whatever_the_status() -> None:
    err = _map(
        400, {"message": "Integration not enabled for user.", "code": "11002", "status": 400, "meta": {}}
    )
    assert isinstance(err, ReconnectRequired) and err.category == "PARAGON_11002"


def test_to_dict_carries_kind_action_and_specifics() -> None:
    err = _map(409, {"message": "Contact already exists. Existing ID: 42", "category": "CONFLICT"})
    data = err.to_dict()
    assert data["kind"] == "conflict" and data["existing_id"] == "42" and data["user_action"]
    assert "HTTP 409" in str(err)


# --- no credential survives in an error, whatever HubSpot or Paragon quoted -------------------------

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LWFsZXgifQ.c2lnbmF0dXJlLW9mLXRoZS11c2Vy"
CONFIGURED = "configured-not-token-shaped-7391"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"status": "error", "message": f"Invalid token: Bearer {JWT} ({CONFIGURED})", "category": "X"}),
        (400, {"status": "error", "message": f"Bad value {CONFIGURED}", "category": "VALIDATION_ERROR"}),
        (  # Paragon's own envelope
            401,
            {
                "message": f"Bad user token Bearer {JWT} / {CONFIGURED}",
                "code": "40001",
                "status": 401,
                "meta": {},
            },
        ),
        (
            403,
            {
                "status": "error",
                "message": "This app hasn't been granted all required scopes",
                "category": "MISSING_SCOPES",
                "correlationId": f"corr {JWT}",
                "errors": [{"context": {"requiredGranularScopes": [f"token={CONFIGURED}"]}}],
            },
        ),
        (
            400,
            {
                "status": "error",
                "message": f"Property values were not valid (session {JWT})",
                "category": f"VALIDATION_ERROR {CONFIGURED}",
                "errors": [{"context": {"propertyName": [f"amount {CONFIGURED}"]}}],
            },
        ),
        (
            409,
            {"message": f"Contact already exists. Existing ID: 42. Key {CONFIGURED}", "category": "CONFLICT"},
        ),
    ],
    ids=["hubspot-401", "hubspot-400", "paragon-envelope", "scopes-and-correlation", "fields", "conflict"],
)
def test_tokens_and_configured_secrets_quoted_by_upstream_are_redacted(status: int, body: object) -> None:
    register_secret(CONFIGURED)

    err = _map(status, body)

    shown = " ".join([str(err), repr(err.args), json.dumps(err.to_dict())])
    assert JWT not in shown and CONFIGURED not in shown
    assert MASK in shown


def test_errors_made_anywhere_are_redacted_not_only_mapped_ones() -> None:
    err = UpstreamUnavailable(f"HubSpot said: Authorization: Bearer {JWT}", user_action=f"use {JWT}")
    assert JWT not in str(err) and JWT not in err.user_action and MASK in err.message

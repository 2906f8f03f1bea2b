"""Mapping HubSpot's and Paragon's error answers to typed errors (no HTTP involved)."""

from __future__ import annotations

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

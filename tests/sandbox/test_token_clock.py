"""Paragon user tokens are judged by the sandbox clock, not the machine's (cases pin dates in the future)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from tools.sandbox.auth import generate_key_pair, verify_user_token

PROJECT = "sandbox-project"


def _token(private_pem: str, issued: datetime, ttl: timedelta = timedelta(minutes=10)) -> str:
    claims = {
        "sub": "u-1",
        "aud": f"useparagon.com/{PROJECT}",
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, private_pem, algorithm="RS256")


def test_a_token_issued_at_a_future_sandbox_time_is_accepted() -> None:
    private_pem, public_pem = generate_key_pair()
    later = datetime.now(UTC) + timedelta(days=400)
    assert verify_user_token(_token(private_pem, later), public_pem, PROJECT, later) == "u-1"


def test_a_token_issued_after_the_sandbox_clock_is_refused() -> None:
    private_pem, public_pem = generate_key_pair()
    now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert verify_user_token(_token(private_pem, now + timedelta(hours=1)), public_pem, PROJECT, now) is None


def test_a_token_expired_by_the_sandbox_clock_is_refused() -> None:
    private_pem, public_pem = generate_key_pair()
    issued = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert (
        verify_user_token(_token(private_pem, issued), public_pem, PROJECT, issued + timedelta(hours=1))
        is None
    )

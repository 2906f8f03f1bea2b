"""Secrets never survive redaction, whatever shape the upstream text gives them."""

from __future__ import annotations

import logging

import pytest

from tools.redact import MASK, RedactingFilter, redact, register_secret

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LWFsZXgifQ.c2lnbmF0dXJlLXZhbHVlLWhlcmU"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Invalid token Bearer {JWT} for project", JWT),
        (f'{{"message": "bad auth", "token": "{JWT}"}}', JWT),
        (
            "Authentication credentials not found: pat-na1-11111111-2222-3333-4444-555555555555",
            "pat-na1-1111",
        ),
        ("Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwx1234", "sk-proj-abcdefghijklmnop"),
        ("refresh_token=5f9a8b7c6d5e4f3a2b1c&grant_type=refresh", "5f9a8b7c6d5e4f3a2b1c"),
        (
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
            "MIIEvQIBADANBgkq",
        ),
        ("slack said xoxb-123456789012-abcdefghij", "xoxb-123456789012"),
    ],
)
def test_credential_shapes_are_masked(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert MASK in cleaned


def test_a_registered_secret_is_masked_wherever_it_appears() -> None:
    register_secret("plain-looking-but-configured-9876")
    cleaned = redact(
        "upstream echoed plain-looking-but-configured-9876 twice: plain-looking-but-configured-9876"
    )
    assert "plain-looking-but-configured-9876" not in cleaned
    assert cleaned.count(MASK) == 2


def test_ordinary_text_is_left_alone() -> None:
    text = "Property values were not valid: amount must be a number (deal 12345, stage contractsent)."
    assert redact(text) == text


def test_the_logging_filter_redacts_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="test.redact"):
            logger.info("upstream said %s", f"Bearer {JWT}")
            try:
                raise RuntimeError(f"boom {JWT}")
            except RuntimeError:
                logger.exception("failed")
    finally:
        logger.filters.clear()
    text = caplog.text
    assert JWT not in text and MASK in text

"""Redaction of secrets from text that came from outside: upstream error bodies, exception text, logs.

HubSpot, Paragon and model endpoints sometimes echo the request's credentials in an error body
("invalid token: Bearer eyJ..."). Anything such text reaches — a reply, a checkpoint, the audit log,
a log line — is stored or shown, so it passes through :func:`redact` first. It removes the shapes
credentials take (bearer values, JWTs, HubSpot private-app tokens, OpenAI-style keys, PEM private
keys, ``token=...`` pairs) and every secret the process was configured with
(:func:`register_secret`), wherever it appears.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Final

MASK: Final = "[redacted]"
_MIN_SECRET_CHARS: Final = 6

_PATTERNS: Final[tuple[re.Pattern[str], ...]] = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL),
    re.compile(r"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # JWT
    re.compile(r"\bpat-[a-z]{2}\d?-[0-9a-fA-F-]{16,}"),  # HubSpot private-app token
    re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_-]{16,}"),  # OpenAI-style API keys
    re.compile(r"\b(?:xox[abprs]|xapp)-[A-Za-z0-9-]{10,}"),  # Slack tokens
    re.compile(
        r"(?i)(\"?(?:api[_-]?key|access[_-]?token|refresh[_-]?token|client[_-]?secret|secret|password|token)"
        r"\"?\s*[:=]\s*\"?)[^\s\"',}&]{6,}"
    ),
)

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a configured secret (an API key, a token, a signing key) so it is always redacted."""
    if value and len(value) >= _MIN_SECRET_CHARS:
        with _lock:
            _secrets.add(value)
            # A PEM is also redacted line by line: error texts quote fragments of it.
            _secrets.update(
                line for line in value.splitlines() if len(line) >= 16 and not line.startswith("-----")
            )


def register_secrets(values: Iterable[str | None]) -> None:
    """:func:`register_secret` for each value."""
    for value in values:
        register_secret(value)


def _mask_pair(match: re.Match[str]) -> str:
    # Keep the key name of a "token=..." pair, drop its value; other shapes go entirely.
    return f"{match.group(1)}{MASK}" if match.lastindex else MASK


def redact(text: str) -> str:
    """``text`` with every credential-shaped value and every registered secret masked."""
    if not text:
        return text
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(_mask_pair, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (arguments included) and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Render the traceback now, redacted, so the handler prints the clean text.
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True

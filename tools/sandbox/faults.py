"""Injected faults and HubSpot-style rate limits.

Faults: the next N requests matching a method and a path glob answer a chosen status, wait, time
out or lose the connection, are carried out but their answer is lost (``lost``), or are carried
out later than the caller waits (``late``: HubSpot slower than the client's timeout); or a seeded
random share of requests fails; or every request gets added latency. Rate limits: a rolling 10-second window per token/connection and a per-second
search limit per portal, answered with HubSpot's 429 bodies and ``X-HubSpot-RateLimit-*`` headers.
"""

from __future__ import annotations

import fnmatch
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx

from tools.sandbox import errors

FaultKind = Literal["status", "delay", "timeout", "drop", "lost", "late"]
FAULT_KINDS: tuple[FaultKind, ...] = ("status", "delay", "timeout", "drop", "lost", "late")
FAULT_STATUSES = frozenset({429, 500, 502, 503, 504})


class DroppedConnection(httpx.RemoteProtocolError):
    """The sandbox closed the connection without answering.

    In-process (``httpx.ASGITransport``) the client sees this transport error; over a socket the
    server closes the connection.
    """


class SimulatedTimeout(httpx.ReadTimeout):
    """The sandbox never answered within the fault's time; raised after waiting ``seconds``."""


@dataclass
class Fault:
    """One fault rule.

    Attributes:
        kind: ``status`` (answer ``status``), ``delay`` (wait ``seconds``, then answer normally),
            ``timeout`` (wait ``seconds``, then give up without answering), ``drop``, ``lost`` (carry
            the request out, then drop the connection, or answer ``status`` when one is given) or
            ``late`` (the caller gets a timeout after ``timeout`` seconds; the request is carried
            out ``seconds`` after it arrived).
        method: HTTP method to match, or None for any.
        path: Glob matched against the HubSpot path (proxy prefix removed), or None for any.
        remaining: How many more matching requests this rule applies to.
    """

    kind: FaultKind
    remaining: int = 1
    method: str | None = None
    path: str | None = None
    status: int = 503
    seconds: float = 0.0
    timeout: float = 0.0
    answer_status: int | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether the rule applies to a request."""
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path.rstrip("/") or "/", self.path.rstrip("/") or "/")


@dataclass
class RandomFaults:
    """A seeded random failure rate."""

    rate: float
    statuses: tuple[int, ...]
    rng: random.Random


@dataclass
class FaultPlan:
    """All configured faults."""

    rules: list[Fault] = field(default_factory=list)
    random_faults: RandomFaults | None = None
    latency_seconds: float = 0.0

    def clear(self) -> None:
        """Remove every fault and the added latency."""
        self.rules.clear()
        self.random_faults = None
        self.latency_seconds = 0.0

    def configure(self, body: Any) -> dict[str, Any]:
        """Apply a ``POST /_sandbox/faults`` body (documented in docs/sandbox.md)."""
        if not isinstance(body, dict):
            raise errors.invalid_json("the faults body must be a JSON object")
        if body.get("clear"):
            self.clear()
        if "latencyMs" in body:
            self.latency_seconds = non_negative(body["latencyMs"], "latencyMs") / 1000
        if "random" in body:
            self.random_faults = _parse_random(body["random"])
        for rule in body.get("faults", []) if isinstance(body.get("faults"), list) else []:
            self.rules.append(parse_fault(rule))
        if "kind" in body or "status" in body:
            self.rules.append(parse_fault(body))
        return self.describe()

    def describe(self) -> dict[str, Any]:
        """The active configuration."""
        return {
            "faults": [
                {
                    "kind": f.kind,
                    "remaining": f.remaining,
                    "method": f.method,
                    "path": f.path,
                    "status": f.status,
                    "seconds": f.seconds,
                    **({"timeout": f.timeout} if f.kind == "late" else {}),
                    **({"answerStatus": f.answer_status} if f.kind == "lost" else {}),
                }
                for f in self.rules
                if f.remaining > 0
            ],
            "random": None
            if self.random_faults is None
            else {"rate": self.random_faults.rate, "statuses": list(self.random_faults.statuses)},
            "latencyMs": self.latency_seconds * 1000,
        }

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, consuming one use of a rule; random faults come last."""
        for rule in self.rules:
            if rule.matches(method, path):
                rule.remaining -= 1
                return rule
        rf = self.random_faults
        if rf is not None and rf.rng.random() < rf.rate:
            return Fault(kind="status", status=rf.rng.choice(rf.statuses))
        return None


def _parse_random(raw: Any) -> RandomFaults | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise errors.bad_request("random must be an object {rate, seed?, statuses?}")
    rate = raw.get("rate")
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 1:
        raise errors.bad_request("random.rate must be a number between 0 and 1")
    statuses = tuple(raw.get("statuses") or (500, 502, 503, 504))
    if not all(isinstance(s, int) and s in FAULT_STATUSES for s in statuses):
        raise errors.bad_request(f"random.statuses must be among {sorted(FAULT_STATUSES)}")
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise errors.bad_request("random.seed must be an integer")
    return RandomFaults(float(rate), statuses, random.Random(seed))


def parse_fault(raw: Any) -> Fault:
    """Build a :class:`Fault` from ``{kind?, status?, seconds?, count?, method?, path?}``."""
    if not isinstance(raw, dict):
        raise errors.bad_request("a fault must be an object")
    kind = raw.get("kind", "status")
    if kind not in FAULT_KINDS:
        raise errors.bad_request(f"kind must be one of {', '.join(FAULT_KINDS)}")
    status = raw.get("status", 503)
    answer_status: int | None = None
    if kind == "status" and status not in FAULT_STATUSES:
        raise errors.bad_request(f"status must be one of {sorted(FAULT_STATUSES)}")
    if kind == "lost" and "status" in raw:
        if status not in FAULT_STATUSES - {429}:
            raise errors.bad_request("a lost answer's status must be one of 500, 502, 503, 504")
        answer_status = int(status)
    count = raw.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise errors.bad_request("count must be a positive integer")
    seconds = non_negative(raw.get("seconds", 30.0 if kind == "timeout" else 0.0), "seconds")
    timeout = non_negative(raw.get("timeout", min(seconds, 2.0)), "timeout")
    if kind == "late" and not 0 <= timeout <= seconds:
        raise errors.bad_request("a late fault's timeout must not exceed its seconds")
    method = raw.get("method")
    path = raw.get("path")
    if method is not None and not isinstance(method, str):
        raise errors.bad_request("method must be a string")
    if path is not None and not isinstance(path, str):
        raise errors.bad_request("path must be a string glob")
    return Fault(
        kind=kind,
        remaining=count,
        method=method,
        path=path,
        status=int(status) if isinstance(status, int) else 503,
        seconds=seconds,
        timeout=timeout,
        answer_status=answer_status,
    )


def non_negative(value: Any, name: str) -> float:
    """``value`` as a finite, non-negative number, or HubSpot's 400 naming ``name``."""
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
        or value > MAX_SECONDS_OR_MS
    ):
        raise errors.bad_request(
            f"{name} must be a finite non-negative number (at most {MAX_SECONDS_OR_MS:g})"
        )
    return float(value)


MAX_SECONDS_OR_MS = 86_400_000.0
"""The largest figure the admin API accepts for a duration (a day in milliseconds)."""


def fault_error(status: int) -> errors.HubSpotError:
    """The body a fault answers with (429 uses HubSpot's ten-secondly body)."""
    if status == 429:
        return ten_secondly_error(100)
    messages = {
        500: ("internal error", "INTERNAL_ERROR"),
        502: ("Bad Gateway", "BAD_GATEWAY"),
        503: ("Service Unavailable", "SERVICE_UNAVAILABLE"),
        504: ("Gateway Timeout", "GATEWAY_TIMEOUT"),
    }
    message, category = messages.get(status, ("error", "INTERNAL_ERROR"))
    return errors.HubSpotError(status, message, category)


def ten_secondly_error(limit: int) -> errors.HubSpotError:
    """HubSpot's 429 for the rolling ten-second limit (no ``category``; HUBSPOT_FACTS §11)."""
    return errors.HubSpotError(
        429,
        "You have reached your ten_secondly_rolling limit.",
        None,
        extra={
            "errorType": "RATE_LIMIT",
            "policyName": "TEN_SECONDLY_ROLLING",
            "groupName": "publicapi:sandbox",
        },
        headers={
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(limit),
            "X-HubSpot-RateLimit-Remaining": "0",
        },
    )


def secondly_error() -> errors.HubSpotError:
    """HubSpot's 429 for the search per-second limit."""
    return errors.HubSpotError(
        429,
        "You have reached your secondly limit.",
        None,
        extra={"errorType": "RATE_LIMIT", "policyName": "SECONDLY"},
    )


@dataclass
class RateLimits:
    """HubSpot's limits: requests per rolling 10 s per token/connection, searches per second per portal."""

    enabled: bool = False
    per_ten_seconds: int = 100
    search_per_second: int = 5


@dataclass
class RateLimiter:
    """Rolling-window counters driven by the sandbox clock."""

    config: RateLimits
    clock: Callable[[], datetime]
    windows: dict[str, deque[float]] = field(default_factory=dict)
    searches: deque[float] = field(default_factory=deque)

    def check(self, key: str, is_search: bool) -> dict[str, str]:
        """Count a request; return the rate-limit headers or raise HubSpot's 429.

        Search is exempt from the ten-second limit and its responses carry no rate-limit headers.
        """
        if not self.config.enabled:
            return {}
        now = self.clock().timestamp()
        if is_search:
            while self.searches and self.searches[0] <= now - 1.0:
                self.searches.popleft()
            if len(self.searches) >= self.config.search_per_second:
                raise secondly_error()
            self.searches.append(now)
            return {}
        window = self.windows.setdefault(key, deque())
        while window and window[0] <= now - 10.0:
            window.popleft()
        if len(window) >= self.config.per_ten_seconds:
            raise ten_secondly_error(self.config.per_ten_seconds)
        window.append(now)
        return {
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(self.config.per_ten_seconds),
            "X-HubSpot-RateLimit-Remaining": str(self.config.per_ten_seconds - len(window)),
        }

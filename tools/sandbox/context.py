"""The per-request context handed to every HubSpot and admin handler."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams

from tools.sandbox import errors
from tools.sandbox.auth import required_scopes

if TYPE_CHECKING:
    from tools.sandbox.app import Sandbox

JSON = dict[str, Any]
_UINT = re.compile(r"^[0-9]{1,18}$")


def parse_uint(text: str) -> int | None:
    """A non-negative integer written in ASCII digits (bounded), or None."""
    return int(text) if _UINT.match(text) else None


@dataclass
class Reply:
    """A handler's answer: status, JSON body (None = no body) and extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    """What a handler knows about the request."""

    sandbox: Sandbox
    method: str
    path: str
    query: QueryParams
    raw_body: bytes
    scopes: frozenset[str]
    base_url: str
    _parsed: Any = None
    _parsed_done: bool = False

    def require(self, operation: str, object_type: str | None = None) -> None:
        """Raise HubSpot's 403 ``MISSING_SCOPES`` unless one of the operation's scopes is granted."""
        needed = required_scopes(operation, object_type)
        if not self.scopes.intersection(needed):
            raise errors.missing_scopes(needed)

    def json(self, *, required: bool = True) -> Any:
        """The parsed JSON body; 400 ``VALIDATION_ERROR`` when it is missing or malformed."""
        if not self._parsed_done:
            self._parsed_done = True
            text = self.raw_body.strip()
            if not text:
                if required:
                    raise errors.invalid_json("No content to map due to end-of-input")
                self._parsed = None
            else:
                try:
                    self._parsed = json.loads(text)
                except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                    raise errors.invalid_json(f"Unexpected character ({exc})") from None
        return self._parsed

    def list_param(self, name: str) -> list[str] | None:
        """A list parameter sent repeated (the SDK) or comma-separated (the docs); None when absent."""
        raw = self.query.getlist(name)
        if not raw:
            return None
        return [part.strip() for item in raw for part in item.split(",") if part.strip()]

    def bool_param(self, name: str, default: bool = False) -> bool:
        """A boolean query parameter (``true``/``false``)."""
        value = self.query.get(name)
        if value is None:
            return default
        low = value.strip().lower()
        if low not in ("true", "false"):
            raise errors.bad_request(f"Query parameter {name} must be true or false, got {value!r}")
        return low == "true"

    def int_param(self, name: str, default: int, *, low: int = 1, high: int | None = None) -> int:
        """An integer query parameter within ``[low, high]``."""
        value = self.query.get(name)
        if value is None or value == "":
            return default
        stripped = value.strip()
        number_or_none = parse_uint(stripped.removeprefix("-"))
        if number_or_none is None:
            raise errors.bad_request(f"Query parameter {name} must be an integer, got {value!r}")
        number = -number_or_none if stripped.startswith("-") else number_or_none
        if number < low or (high is not None and number > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise errors.bad_request(f"Query parameter {name} must be {bound}, got {number}")
        return number

"""What a turn produces for the user, independent of the channel that renders it.

``alysio-agent chat --json`` prints each event as one JSON line with exactly the keys
``type, text, writes, pending, error``; the Rich terminal, HTTP streaming and Slack render the
same events their own way.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

EventType = Literal["reply", "confirm", "clarify", "error"]


class WriteDone(BaseModel):
    """A write HubSpot accepted during the turn."""

    op: Literal["create", "update", "associate", "merge"]
    object_type: str
    id: str
    url: str | None = None
    properties: dict[str, str] = Field(default_factory=dict)


class ErrorInfo(BaseModel):
    """A typed error surfaced to the user with the action to take.

    ``kind`` follows the eval contract: ``reconnect``, ``missing_scope``, ``not_allowed``,
    ``rate_limited``, ``upstream``, ``not_found``, ``expired``, ``not_requester`` (plus
    ``validation`` and ``conflict`` for HubSpot's 400/409).
    """

    kind: str
    message: str
    action: str | None = None
    scopes: list[str] = Field(default_factory=list)


class Event(BaseModel):
    """One thing said to the user."""

    type: EventType
    text: str
    writes: list[WriteDone] = Field(default_factory=list)
    pending: dict[str, Any] | None = None
    error: ErrorInfo | None = None

    def to_json_line(self) -> dict[str, Any]:
        """The ``--json`` form: exactly ``type, text, writes, pending, error``."""
        return {
            "type": self.type,
            "text": self.text,
            "writes": [w.model_dump() for w in self.writes],
            "pending": self.pending,
            "error": self.error.model_dump() if self.error else None,
        }

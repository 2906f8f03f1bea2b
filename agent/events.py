"""What a turn produces for the user, independent of the channel that renders it.

``alysio-agent chat --json`` prints each event as one JSON line with exactly the keys
``type, text, writes, pending, error``; the Rich terminal, HTTP streaming and Slack render the
same events their own way.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from tools.hubspot import HubSpotError, MissingScopes

EventType = Literal["reply", "confirm", "clarify", "error"]

NextStep = Literal[
    "reconnect", "reauthorize", "wait", "retry", "check_hubspot", "change_request", "do_in_hubspot",
    "ask_again", "contact_support",
]  # fmt: skip
"""What fixes an error, for a channel to word its own way (the chat UI names its settings page,
the command line the command to run):

- ``reconnect``: the HubSpot connection is missing, revoked or was marked uninstalled;
- ``reauthorize``: the connection lacks scopes (``ErrorInfo.scopes`` lists them);
- ``wait``: HubSpot's rate limit; ``retry``: HubSpot or Paragon failed, try again later;
- ``check_hubspot``: a write's outcome is unknown, look at HubSpot before asking again;
- ``change_request``: the request's values, names or records need changing;
- ``do_in_hubspot``: something the integration never does (delete, ...);
- ``ask_again``: the confirmation expired;
- ``contact_support``: nothing the user can do.
"""

NEXT_STEP_BY_KIND: dict[str, NextStep | None] = {
    "reconnect": "reconnect",
    "missing_scope": "reauthorize",
    "rate_limited": "wait",
    "upstream": "retry",
    "unknown": "check_hubspot",
    "validation": "change_request",
    "invalid_search": "change_request",
    "not_found": "change_request",
    "conflict": "change_request",
    "not_allowed": "do_in_hubspot",
    "forbidden": "do_in_hubspot",
    "expired": "ask_again",
    "not_requester": None,  # the requester answers; nothing for anyone else to do
}
"""The next step of each error kind (any other kind: ``contact_support``)."""


def next_step_of(kind: str) -> NextStep | None:
    """The next step an error of ``kind`` calls for."""
    return NEXT_STEP_BY_KIND.get(kind, "contact_support")


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
    ``validation`` and ``conflict`` for HubSpot's 400/409, ``unknown`` for a write whose outcome
    could not be established).

    Attributes:
        kind: The error's kind.
        message: What went wrong.
        action: The next step in plain language, worded for the Alysio chat UI.
        scopes: The scopes that would authorize the operation (``missing_scope``).
        next_step: The next step as a code (:data:`NextStep`), from ``kind`` unless given, so
            each channel says it its own way.
    """

    kind: str
    message: str
    action: str | None = None
    scopes: list[str] = Field(default_factory=list)
    next_step: NextStep | None = None

    @classmethod
    def from_error(cls, exc: HubSpotError) -> ErrorInfo:
        """A HubSpot layer's typed error as shown to the user (its kind, message, action and scopes)."""
        scopes = list(exc.required) if isinstance(exc, MissingScopes) else []
        return cls(kind=exc.kind, message=exc.message, action=exc.user_action, scopes=scopes)

    @model_validator(mode="before")
    @classmethod
    def _default_next_step(cls, data: Any) -> Any:
        if isinstance(data, dict) and "next_step" not in data and isinstance(data.get("kind"), str):
            return {**data, "next_step": next_step_of(data["kind"])}
        return data


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

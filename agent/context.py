"""Runtime context of a turn: who is asking, through which connection, when and where.

LangGraph does not checkpoint runtime context, so the service passes it again on every
invocation, including the resume after an interrupt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Channel = str  # "cli" | "http" | "slack" | "mcp" | "eval"


@dataclass(frozen=True)
class AgentContext:
    """Everything about the caller that is not conversation state.

    Attributes:
        tenant_id: The Alysio workspace.
        user_id: The Alysio user asking (the Paragon token's ``sub``).
        user_email: Their email (maps them to a HubSpot owner for "me"/"my").
        user_name: Display name, for replies.
        credential_id: The Paragon credential (HubSpot connection) to use.
        granted_scopes: Scopes the connection was granted (checked before any request). Required,
            keyword-only and without a default: a caller that forgets it is refused, never granted
            everything.
        channel: Where the turn comes from.
        timezone: IANA zone of the user; relative dates are computed in it.
        now: The clock for this turn (None: the real clock). Evals and tests pin it.
        portal_id: The HubSpot account id of the connection (for record links), when known.
        ui_domain: HubSpot's web domain for that account (``app.hubspot.com``).
    """

    tenant_id: str
    user_id: str
    user_email: str
    user_name: str = ""
    credential_id: str | None = None
    granted_scopes: frozenset[str] = field(kw_only=True)
    channel: Channel = "cli"
    timezone: str = "UTC"
    now: datetime | None = None
    portal_id: int | None = None
    ui_domain: str = "app.hubspot.com"

    def clock(self) -> datetime:
        """The current time, aware, in UTC."""
        return (self.now or datetime.now(UTC)).astimezone(UTC)

    def local_now(self) -> datetime:
        """The current time in the user's timezone."""
        return self.clock().astimezone(ZoneInfo(self.timezone))

"""The planner interface and what a planner is told about the conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from agent.plan import Plan, Question
from tools.hubspot.types import ObjectType

PendingKind = Literal["none", "confirm", "clarify"]


class Candidate(BaseModel):
    """One option of a pending question ("which Jane?"), with what tells it apart."""

    id: str
    object_type: ObjectType
    label: str  # "Jane Doe"
    details: str = ""  # "jane@acme.com · Acme Corp"


class RecentRecord(BaseModel):
    """A record the conversation already touched (for "that deal", "her", "it")."""

    object_type: ObjectType
    id: str
    label: str


class PlanningInput(BaseModel):
    """Everything a planner may use besides the message itself.

    Attributes:
        now: The turn's clock in the user's timezone (aware); relative dates resolve from it.
        timezone: The user's IANA timezone.
        user_name: The asking user's name ("me"/"my" refer to them).
        pending: What the agent asked last and is waiting for.
        pending_summary: Plain text of that pending confirmation or question.
        candidates: The options of a pending question.
        recent: Records of earlier turns, most recent first.
        stage_labels: Known deal stage labels (helps both planners recognise stage names).
        previous_question: The read the conversation asked last ("and what's the total on those?"
            reuses its filters).
    """

    now: datetime
    timezone: str = "UTC"
    user_name: str = ""
    pending: PendingKind = "none"
    pending_summary: str = ""
    candidates: list[Candidate] = Field(default_factory=list)
    recent: list[RecentRecord] = Field(default_factory=list)
    stage_labels: list[str] = Field(default_factory=list)
    previous_question: Question | None = None


class Planner(Protocol):
    """Turns one user message into a plan; at most one model call per call of ``plan``."""

    name: str

    async def plan(self, message: str, given: PlanningInput) -> Plan:
        """Plan one user turn."""
        ...


@runtime_checkable
class Summarizer(Protocol):
    """A planner that can also write a summary (the one case allowed a second model call per turn)."""

    async def summarize(self, request: str, facts: str) -> str:
        """Write what the user asked for (``request``) from ``facts`` gathered by the graph."""
        ...

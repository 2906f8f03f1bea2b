"""Planners turn one user message into a :class:`agent.plan.Plan`.

Two implementations behind :class:`Planner`: the model planner (one structured-output call per
turn) and the deterministic offline planner (the default when no model key is set).
"""

from agent.planners.base import Candidate, PendingKind, Planner, PlanningInput, RecentRecord, Summarizer

__all__ = ["Candidate", "PendingKind", "Planner", "PlanningInput", "RecentRecord", "Summarizer"]

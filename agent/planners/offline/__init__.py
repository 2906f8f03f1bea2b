"""The deterministic offline planner (no model): lexicon, slot extractors and intent builders."""

from agent.planners.offline.planner import OfflinePlanner, plan_message

__all__ = ["OfflinePlanner", "plan_message"]

"""Harness tests: small cases of our own, and a scripted planner where wording would make them brittle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.plan import Plan
from agent.planners.base import Planner, PlanningInput
from agent.planners.quick import quick_answer
from evals.case import LoadedCase, parse_case
from evals.cassettes import TurnTracker
from evals.runner import PlannerFactory

CASES_DIR = Path(__file__).parent / "cases"


def case_text(name: str) -> str:
    """The YAML text of one of our example cases."""
    return (CASES_DIR / f"{name}.yaml").read_text(encoding="utf-8")


def loaded_from(text: str, directory: Path | None = None, name: str = "case.yaml") -> LoadedCase:
    """A case parsed from text; written to ``directory`` when given (cassettes live beside it)."""
    path = (directory or CASES_DIR) / name
    if directory is not None:
        path.write_text(text, encoding="utf-8")
    return LoadedCase(parse_case(text, path), path)


class ScriptedPlanner:
    """Returns the given plans in order (a yes/no to a confirmation is read like the real planners)."""

    name = "scripted"

    def __init__(self, plans: list[Plan | Callable[[str, PlanningInput], Plan]]) -> None:
        self.plans = list(plans)

    async def plan(self, message: str, given: PlanningInput) -> Plan:
        if given.pending != "none" and (answer := quick_answer(message, given.pending)) is not None:
            return Plan(intent="answer", answer=answer)
        if not self.plans:
            raise AssertionError(f"unexpected planner call for {message!r}")
        item = self.plans.pop(0)
        return item(message, given) if callable(item) else item


def scripted(*plans: Plan | Callable[[str, PlanningInput], Plan]) -> PlannerFactory:
    """A planner factory for ``run_case`` that scripts the plans of one case."""

    def build(loaded: LoadedCase, tracker: TurnTracker) -> tuple[Planner, Any]:
        return ScriptedPlanner(list(plans)), None

    return build


@pytest.fixture
def deal_case_text() -> str:
    return case_text("deal-create-known-company")

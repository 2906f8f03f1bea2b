"""The state's TypedDicts describe what the nodes really write: every checkpoint of real
conversations validates against ``AgentState`` (strict, no undeclared keys), and every interrupt
payload against ``ConfirmationRequest`` / ``ClarifyRequest``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from pydantic import ConfigDict, TypeAdapter

from agent.graph import build_graph
from agent.nodes.deps import Deps
from agent.planners.offline import OfflinePlanner
from agent.service import AgentService, Incoming
from agent.state import AgentState, ClarifyRequest, ConfirmationRequest, PendingRequest
from tests.e2e.conftest import Harness, build_harness


def _check(declared: Any, value: Any) -> None:
    """Validate ``value`` against ``declared`` strictly, undeclared keys refused at every level.

    (Wrapped in a list: pydantic takes a config for a TypedDict only from an enclosing type.)
    """
    adapter: TypeAdapter[list[Any]] = TypeAdapter(
        list[declared], config=ConfigDict(strict=True, extra="forbid")
    )
    adapter.validate_python([value])


@pytest.fixture
async def o() -> AsyncIterator[Harness]:
    h = build_harness()
    h.service = AgentService(h.portal.client, OfflinePlanner(), audit=h.audit)
    yield h
    await h.portal.aclose()


async def _turn(h: Harness, text: str, **by: Any) -> list[str]:
    """One turn; the checkpoint and any pending payload must match their declared types."""
    events = await h.turn(Incoming(text=text, **by))
    snapshot = await h.service.graph.aget_state({"configurable": {"thread_id": h.thread}})
    _check(AgentState, snapshot.values)
    for event in events:
        if event.pending is not None:
            _check(PendingRequest, event.pending)
            _check(ConfirmationRequest if event.type == "confirm" else ClarifyRequest, event.pending)
    return [e.type for e in events]


async def test_every_checkpoint_matches_the_declared_state(o: Harness) -> None:
    # ambiguous → clarify → confirm → write
    assert await _turn(o, "note on Jane: spoke about renewal") == ["clarify"]
    assert await _turn(o, "the one at Northwind") == ["confirm"]
    assert await _turn(o, "yes") == ["reply"]
    # create, edit, someone else answers, approve; then "that deal"
    assert await _turn(o, "Create a new deal for Acme Corp called Acme expansion, 50k") == ["confirm"]
    assert await _turn(o, "make it 60k") == ["confirm"]
    assert await _turn(o, "yes", by_user_id="u-sam", by_email="sam@acme-sales.io") == [
        "error"
    ]  # no values shown
    assert await _turn(o, "yes") == ["reply"]
    assert await _turn(o, "move that deal to contract sent") == ["confirm"]
    assert await _turn(o, "yes") == ["reply"]
    # not found → offered for creation → two creates
    assert await _turn(o, "new deal Pilot for Zyxcorp Industries") == ["clarify"]
    assert await _turn(o, "yes") == ["confirm"]
    assert await _turn(o, "yes") == ["reply"]
    # a question, a refusal, an expired confirmation
    assert await _turn(o, "how many open deals does Globex have?") == ["reply"]
    assert await _turn(o, "delete the Acme deal") == ["error"]
    assert await _turn(o, "note on Acme: they're switching vendors in Q3") == ["confirm"]
    o.clock.advance(hours=25)
    assert await _turn(o, "yes") == ["error"]


def test_the_state_has_a_json_schema() -> None:
    """LangGraph Server and Studio describe the graph's input and output from the state's types."""
    graph = build_graph(deps=lambda: cast(Deps, None))  # never called: the schema needs no dependencies
    schema = graph.get_input_jsonschema()
    assert {"ConfirmationRequest", "ClarifyRequest", "MentionEntry", "ExecutionRecord"} <= set(
        schema["$defs"]
    )
    assert graph.get_output_jsonschema()["title"]

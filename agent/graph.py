"""The agent's LangGraph state machine.

understand → guard → authorize → resolve ⇄ clarify → propose → confirm ⇄ interpret → begin_step ⇄
send_step → respond; questions go resolve → answer_question → respond. ``clarify`` and
``confirm`` only interrupt (they re-run on resume); ``interpret`` reads the answer and routes.

The module-level ``graph`` is compiled once per process, without a checkpointer: each run finds
its dependencies in its config (``configurable["deps"]``, see :func:`run_config`), so every
service shares it (``graph.copy`` with the service's checkpointer costs microseconds; compiling
costs milliseconds). LangGraph Server (``langgraph.json``) runs it without them: it then builds
its dependencies from the settings on first use. ``build_graph(checkpointer, deps=...)`` compiles
a graph bound to given dependencies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.nodes import execute, interpret, proposing, resolving, respond, understand
from agent.nodes.deps import Deps
from agent.state import AgentState

NodeFn = Callable[[AgentState, Runtime[AgentContext], Deps], Awaitable[AgentState]]
"""A node: the state, the turn's context and the dependencies in; its update (a partial state) out."""
DepsSource = Deps | Callable[[], Deps]
DEPS_KEY = "deps"
"""Where a run's config carries its :class:`Deps` (not kept in checkpoints: only plain values are)."""


def _bind(fn: NodeFn, deps: DepsSource) -> Any:
    """A node with the ``(state, runtime)`` signature LangGraph calls, closing over the dependencies.

    Typed ``Any`` because LangGraph's node protocols are stricter than what it accepts at runtime.
    """

    async def node(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
        return await fn(state, runtime, deps if isinstance(deps, Deps) else deps())

    node.__name__ = fn.__name__
    node.__doc__ = fn.__doc__
    return node


@cache
def _settings_deps() -> Deps:
    """Dependencies built from the settings on first use (imported late: runtime imports the service)."""
    from agent.runtime import default_deps

    return default_deps()


def run_config(thread_id: str, deps: Deps) -> RunnableConfig:
    """The config of a run of the shared ``graph``: its thread and its dependencies."""
    return {"configurable": {"thread_id": thread_id, DEPS_KEY: deps}}


def _deps_of_run() -> Deps:
    """The running graph's dependencies: its config's, else the settings' (LangGraph Server)."""
    deps = get_config().get("configurable", {}).get(DEPS_KEY)
    return deps if isinstance(deps, Deps) else _settings_deps()


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None, *, deps: DepsSource | None = None
) -> CompiledStateGraph[AgentState, AgentContext, AgentState, AgentState]:
    """Compile the agent graph.

    Args:
        checkpointer: Where threads are saved (SQLite in the service, in memory in tests, None
            for LangGraph Server, which brings its own).
        deps: The client, planner and caches, or a callable building them on first use
            (default: built from the settings by :func:`agent.runtime.default_deps`).
    """
    if deps is None:
        deps = _settings_deps
    g: StateGraph[AgentState, AgentContext, AgentState, AgentState] = StateGraph(
        AgentState, context_schema=AgentContext
    )
    g.add_node("understand", _bind(understand.understand, deps))
    g.add_node("guard", _bind(understand.guard, deps))
    g.add_node("authorize", _bind(understand.authorize, deps))
    g.add_node("resolve", _bind(resolving.resolve, deps))
    g.add_node("clarify", resolving.clarify)
    g.add_node("propose", _bind(proposing.propose, deps))
    g.add_node("confirm", proposing.confirm)
    g.add_node("interpret", _bind(interpret.interpret, deps))
    g.add_node("begin_step", _bind(execute.begin_step, deps))
    g.add_node("send_step", _bind(execute.send_step, deps))
    g.add_node("answer_question", _bind(respond.answer_question, deps))
    g.add_node("respond", _bind(respond.respond, deps))

    g.add_edge(START, "understand")
    g.add_edge("understand", "guard")
    g.add_conditional_edges("guard", understand.route_after_guard)
    g.add_conditional_edges("authorize", understand.route_after_authorize)
    g.add_conditional_edges("resolve", resolving.route_after_resolve)
    g.add_edge("clarify", "interpret")
    g.add_conditional_edges("propose", proposing.route_after_propose)
    g.add_edge("confirm", "interpret")
    g.add_conditional_edges("interpret", interpret.route_after_interpret)
    g.add_conditional_edges("begin_step", execute.route_after_begin)
    g.add_conditional_edges("send_step", execute.route_after_send)
    g.add_edge("answer_question", "respond")
    g.add_edge("respond", END)
    return g.compile(checkpointer=checkpointer, name="alysio-hubspot-agent")


graph = build_graph(deps=_deps_of_run)
"""Compiled once, without a checkpointer: shared by the services and served by LangGraph Server."""

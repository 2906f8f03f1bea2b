"""The model planner: one structured-output call to an OpenAI-compatible chat model per user turn.

The request is one system message (``prompts/system.md``, ``prompts/planner.md`` and the turn
context as JSON) and the user's message exactly as typed, with ``response_format`` set to the
:class:`~agent.plan.Plan` schema in OpenAI's strict form. The answer is validated with the same
pydantic model, so the model's text never becomes a write without passing the schema; a refusal,
a malformed answer or an unreachable endpoint becomes an ``unsupported`` plan that says why. Text
the endpoint sent (a refusal, an error body, which may quote the API key) is redacted
(:func:`tools.redact.redact`) before it reaches the plan, and so a reply and the checkpoint, or a
log line.

A yes/no to a pending confirmation is read deterministically and never reaches the model, and a
summary (the one allowed second call of a turn) is only written when the graph asks for it.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from typing import Any, Final
from zoneinfo import ZoneInfo

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ValidationError

# ``quick`` takes its vocabulary from the offline package, whose planner imports ``quick``:
# loading the package first resolves that cycle in the order that works.
import agent.planners.offline  # noqa: F401
from agent.plan import Answer, Plan
from agent.planners.base import PendingKind, PlanningInput
from agent.planners.quick import quick_answer as shared_quick_answer
from agent.prompts import Prompts, default_prompts
from tools.redact import redact
from tools.settings import Settings, SettingsError

log = logging.getLogger(__name__)

PLAN_SCHEMA_NAME: Final = "plan"
DEFAULT_MAX_RETRIES: Final = 2

QuickAnswer = Callable[[str, PendingKind], Answer | None]
"""Reads a yes/no/cancel reply to what is pending without a model; None when it is not one."""

# Keywords OpenAI's strict structured outputs accept (plus annotations it ignores).
_DROPPED_KEYWORDS: Final = ("default", "title")


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of ``model`` in the form OpenAI's strict structured outputs require.

    Every object lists all its properties as required and forbids others; defaults and titles
    are dropped (strict mode ignores defaults and some providers reject them); a ``$ref`` with
    sibling keywords is inlined because strict mode allows a ``$ref`` only on its own.

    Args:
        model: A pydantic model whose fields are all JSON-schema friendly (no free-form dicts).

    Returns:
        A new schema dict; ``model`` is not touched.
    """
    schema = copy.deepcopy(model.model_json_schema())
    return _strict(schema, root=schema)


def _strict(node: dict[str, Any], *, root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        # Inline the target, keeping the node's own keywords (its description wins).
        target = _resolve_ref(root, ref)
        node = {**copy.deepcopy(target), **{k: v for k, v in node.items() if k != "$ref"}}
    for key in _DROPPED_KEYWORDS:
        node.pop(key, None)
    for defs_key in ("$defs", "definitions"):
        if isinstance(defs := node.get(defs_key), dict):
            node[defs_key] = {name: _strict(sub, root=root) for name, sub in defs.items()}
    if isinstance(properties := node.get("properties"), dict):
        node["properties"] = {name: _strict(sub, root=root) for name, sub in properties.items()}
        node["required"] = list(properties)
        node["additionalProperties"] = False
    elif node.get("type") == "object":
        node["additionalProperties"] = False
    if isinstance(items := node.get("items"), dict):
        node["items"] = _strict(items, root=root)
    for union_key in ("anyOf", "allOf"):
        if isinstance(variants := node.get(union_key), list):
            node[union_key] = [_strict(v, root=root) for v in variants]
    return node


def _resolve_ref(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part]
    if not isinstance(target, dict):
        raise ValueError(f"$ref {ref!r} does not point at a schema object")
    return target


def plan_response_format() -> dict[str, Any]:
    """The ``response_format`` of a planning call: the strict :class:`Plan` schema."""
    return {
        "type": "json_schema",
        "json_schema": {"name": PLAN_SCHEMA_NAME, "strict": True, "schema": strict_json_schema(Plan)},
    }


def render_turn_context(given: PlanningInput) -> str:
    """The turn context as indented JSON (stable key order, so recorded requests replay).

    Args:
        given: What the graph knows about the turn.

    Returns:
        JSON text: the local time and weekday, the user, what is pending (with numbered
        candidates), the records of earlier turns, the known deal stage labels and the previous
        question (when there is one).
    """
    local_now = given.now.astimezone(ZoneInfo(given.timezone))  # dates are meant in the user's zone
    context: dict[str, Any] = {
        "now": local_now.isoformat(timespec="minutes"),
        "weekday": local_now.strftime("%A"),
        "timezone": given.timezone,
        "user": given.user_name,
        "pending": given.pending,
        "pending_summary": given.pending_summary,
        "candidates": [
            {
                "number": n,
                "object_type": c.object_type,
                "id": c.id,
                "label": c.label,
                "details": c.details,
            }
            for n, c in enumerate(given.candidates, start=1)
        ],
        "recent_records": [r.model_dump(mode="json") for r in given.recent],
        "deal_stages": given.stage_labels,
    }
    if given.previous_question is not None:
        # Only when there is one, so turns without a previous read keep their recorded requests.
        context["previous_question"] = given.previous_question.model_dump(mode="json", exclude_defaults=True)
    return json.dumps(context, ensure_ascii=False, indent=2)


def build_plan_messages(prompts: Prompts, message: str, given: PlanningInput) -> list[BaseMessage]:
    """The messages of a planning call.

    The application's instructions and the turn context share one system message (some
    OpenAI-compatible servers accept only one); the user's message is sent exactly as typed,
    apart from the trusted context.

    Args:
        prompts: The prompt files.
        message: The user's message.
        given: The turn context.

    Returns:
        ``[system, user]``.
    """
    system = (
        f"{prompts.planning_instructions}\n\n# Turn context\n\n```json\n{render_turn_context(given)}\n```"
    )
    return [SystemMessage(content=system), HumanMessage(content=message)]


def build_summary_messages(prompts: Prompts, request: str, facts: str) -> list[BaseMessage]:
    """The messages of a summary call: the summary prompt, then the request and the facts."""
    user = f"Request:\n{request}\n\nFacts from HubSpot:\n{facts}"
    return [SystemMessage(content=prompts.summary), HumanMessage(content=user)]


def build_chat_model(settings: Settings, *, max_retries: int = DEFAULT_MAX_RETRIES) -> ChatOpenAI:
    """A LangChain chat model for the configured OpenAI-compatible endpoint.

    Args:
        settings: ``openai_api_key``, ``openai_base_url``, ``openai_model`` and
            ``openai_timeout_seconds`` are used.
        max_retries: Retries of the ``openai`` SDK on connection errors, 408, 409, 429 and 5xx
            (it honours ``Retry-After``).

    Raises:
        SettingsError: No API key is set.
    """
    if settings.openai_api_key is None:
        raise SettingsError("ALYSIO_OPENAI_API_KEY must be set for the model planner (ALYSIO_PLANNER=openai)")
    return ChatOpenAI(
        model=settings.openai_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout_seconds,
        max_retries=max_retries,
        # Chat Completions, because every OpenAI-compatible server implements it.
        use_responses_api=False,
    )


class OpenAIPlanner:
    """Plans a turn with one structured-output call to a chat model.

    Attributes:
        name: ``"openai"``.
        model_calls: Model calls made so far (planning and summaries); the eval harness reads it
            before and after a turn to report calls per turn.
    """

    name = "openai"

    def __init__(
        self,
        model: BaseChatModel,
        *,
        prompts: Prompts | None = None,
        quick_answer: QuickAnswer | None = shared_quick_answer,
    ) -> None:
        """Create the planner.

        Args:
            model: Any LangChain chat model that accepts ``response_format`` (``ChatOpenAI``, or
                a scripted fake in tests).
            prompts: The prompt files; the installed ones by default (read now, so a broken
                install fails at start rather than on the first turn).
            quick_answer: The deterministic reader of yes/no replies (shared with the offline
                planner); None plans every message with the model.
        """
        self._model = model
        self._prompts = prompts or default_prompts()
        self._quick_answer = quick_answer
        self._response_format = plan_response_format()
        self.model_calls = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIPlanner:
        """The planner for the configured endpoint (see :func:`build_chat_model`)."""
        return cls(build_chat_model(settings))

    @property
    def prompts(self) -> Prompts:
        """The prompts in use (their digest identifies the version in recordings)."""
        return self._prompts

    async def plan(self, message: str, given: PlanningInput) -> Plan:
        """Plan one user turn with at most one model call.

        Args:
            message: The user's message.
            given: The turn context.

        Returns:
            The model's plan, the quick reading of a yes/no, or an ``unsupported`` plan saying
            why the model's answer could not be used.
        """
        if self._quick_answer is not None and given.pending != "none":
            answer = self._quick_answer(message, given.pending)
            if answer is not None:
                return Plan(intent="answer", answer=answer)
        messages = build_plan_messages(self._prompts, message, given)
        bound = self._model.bind(response_format=self._response_format)
        self.model_calls += 1
        try:
            reply = await bound.ainvoke(messages)
        except (openai.OpenAIError, ValueError, KeyError) as exc:
            log.warning("planning call failed: %s", redact(str(exc)))
            return _not_understood(_unavailable_reason(exc))
        if not isinstance(reply, AIMessage):
            return _not_understood("the language model's answer was not a chat message")
        return _parse_plan(reply)

    async def summarize(self, request: str, facts: str) -> str:
        """Write the summary the user asked for (the one allowed second call of a turn).

        Args:
            request: What the user asked for, in their words.
            facts: What the graph read from HubSpot, as text.

        Returns:
            The summary, or a sentence saying it could not be written.
        """
        self.model_calls += 1
        try:
            reply = await self._model.ainvoke(build_summary_messages(self._prompts, request, facts))
        except (openai.OpenAIError, ValueError, KeyError) as exc:
            log.warning("summary call failed: %s", redact(str(exc)))
            return f"I could not write the summary: {_unavailable_reason(exc)}."
        text = reply.text.strip() if isinstance(reply, AIMessage) else ""
        return text or "I could not write the summary: the language model returned no text."


def _not_understood(reason: str) -> Plan:
    return Plan(intent="unsupported", not_understood=[redact(reason)])


def _refusal_of(reply: AIMessage) -> str | None:
    refusal = reply.additional_kwargs.get("refusal")
    if isinstance(refusal, str) and refusal:
        return refusal
    if isinstance(reply.content, list):
        for block in reply.content:
            if isinstance(block, dict) and block.get("type") == "refusal":
                return str(block.get("refusal") or "no reason given")
    return None


def _parse_plan(reply: AIMessage) -> Plan:
    if (refusal := _refusal_of(reply)) is not None:
        return _not_understood(f"the language model declined this request ({refusal})")
    finish_reason = reply.response_metadata.get("finish_reason")
    if finish_reason == "content_filter":
        return _not_understood("the language model's answer was stopped by a content filter")
    text = reply.text.strip()
    if not text:
        return _not_understood("the language model returned an empty answer")
    try:
        return Plan.model_validate_json(text)
    except ValidationError as exc:
        cut = " (the answer was cut off)" if finish_reason == "length" else ""
        log.warning("model answer is not a valid plan%s: %s", cut, redact(str(exc)))
        return _not_understood(f"the language model's answer was not a valid plan{cut}")


def _unavailable_reason(exc: Exception) -> str:
    if isinstance(exc, openai.AuthenticationError):
        return "the language model endpoint rejected the API key (ALYSIO_OPENAI_API_KEY)"
    if isinstance(exc, openai.RateLimitError):
        return "the language model is rate limited right now; try again in a minute"
    if isinstance(exc, openai.APITimeoutError):
        return "the language model did not answer in time; try again"
    if isinstance(exc, openai.APIConnectionError):
        return "the language model endpoint could not be reached (ALYSIO_OPENAI_BASE_URL)"
    if isinstance(exc, openai.APIStatusError):
        return f"the language model endpoint answered with an error (HTTP {exc.status_code}); try again"
    return "the language model endpoint gave an answer that could not be read"

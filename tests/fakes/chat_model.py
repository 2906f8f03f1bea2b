"""A LangChain chat model that answers from a :class:`~tests.fakes.model_script.ModelScript`."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import Field

from agent.planners.recorded import ReplayingChatModel
from tests.fakes.model_script import ModelScript


class ScriptedChatModel(ReplayingChatModel):
    """A chat model that answers from a script and fails on any call the script does not expect.

    The request it sees (its recorded form) is checked against the script, so a test asserts
    exactly what the planner sent. An error answer in the script is raised as the ``openai`` SDK
    would raise it after its retries.

    Attributes:
        script: The exchanges answered.
        options: The options bound to each call, in full (a recorded request keeps only the
            schema's name and digest of ``response_format``).

    Example:
        >>> model = ScriptedChatModel(script=ModelScript().add(ModelResponse.text("hi")))
    """

    script: ModelScript
    options: list[dict[str, Any]] = Field(default_factory=list)

    def __init__(self, *, script: ModelScript, **kwargs: Any) -> None:
        super().__init__(script=script, responder=script, **kwargs)

    def _answer(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatResult:
        self.options.append(dict(kwargs))
        return super()._answer(messages, stop, kwargs)

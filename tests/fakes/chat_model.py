"""A LangChain chat model that answers from a :class:`~tests.fakes.model_script.ModelScript`."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict

from tests.fakes.model_script import ModelRequest, ModelScript

# Request options a caller may bind; anything else is a change the script should know about.
_KNOWN_OPTIONS = frozenset({"response_format"})


class ScriptedChatModel(BaseChatModel):
    """A chat model that replays scripted answers and fails on any call the script does not expect.

    The request it sees (messages in OpenAI's format plus the bound ``response_format``) is
    checked against the script, so a test asserts exactly what the planner sent. An error
    answer in the script is raised as the ``openai`` SDK would raise it after its retries.

    Example:
        >>> script = ModelScript([Exchange(ModelResponse.text("hi"))])
        >>> model = ScriptedChatModel(script=script)
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: ModelScript

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def _answer(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatResult:
        unknown = set(kwargs) - _KNOWN_OPTIONS
        if stop or unknown:
            raise AssertionError(
                f"the fake model does not script these options: stop={stop}, {sorted(unknown)}"
            )
        response = self.script.respond(ModelRequest.from_langchain(messages, kwargs.get("response_format")))
        if response.is_error:
            raise response.to_exception()
        return ChatResult(generations=[ChatGeneration(message=response.to_ai_message())])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._answer(messages, stop, kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # Answer on the event loop's thread: no executor, so failures surface where they happen.
        return self._answer(messages, stop, kwargs)

"""A LangChain chat model that answers from a :class:`~tests.fakes.model_script.ModelScript`."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from tests.fakes.model_script import Exchange, ModelRequest, ModelResponse, ModelScript

# Request options a caller may bind; anything else is a change the script should know about.
_KNOWN_OPTIONS = frozenset({"response_format"})


class ScriptedChatModel(BaseChatModel):
    """A chat model that replays scripted answers and fails on any call the script does not expect.

    The request it sees (messages in OpenAI's format plus the bound ``response_format``) is
    checked against the script, so a test asserts exactly what the planner sent. An error
    answer in the script is raised as the ``openai`` SDK would raise it after its retries.

    Example:
        >>> model = ScriptedChatModel(script=ModelScript([Exchange(ModelResponse.text("hi"))]))
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


class RecordingChatModel(BaseChatModel):
    """Wraps a real chat model and records each exchange, for writing cassettes (``record`` mode).

    The recorded requests have the same form the fakes check, so a cassette written from
    :attr:`script` replays with :class:`ScriptedChatModel` or :class:`FakeOpenAIServer`.

    Attributes:
        inner: The model that answers (``ChatOpenAI`` against a live endpoint).
        script: The recorded exchanges (``source="live"``), ready for ``to_cassette()``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseChatModel
    script: ModelScript = Field(default_factory=lambda: ModelScript(source="live"))

    @property
    def _llm_type(self) -> str:
        return "recording"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise NotImplementedError("the planner calls models asynchronously; use ainvoke")

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = ModelRequest.from_langchain(messages, kwargs.get("response_format"))
        reply = await self.inner.bind(**kwargs).ainvoke(messages, stop=stop)
        refusal = reply.additional_kwargs.get("refusal")
        response = ModelResponse(
            content=None if refusal else reply.text,
            refusal=refusal or None,
            finish_reason=str(reply.response_metadata.get("finish_reason") or "stop"),
        )
        self.script.record(Exchange(response=response, request=request))
        return ChatResult(generations=[ChatGeneration(message=response.to_ai_message())])

"""A script of model exchanges for tests: canned answers, HTTP errors, and what the planner sent.

Built on :mod:`agent.planners.recorded`: a script is a :class:`~agent.planners.recorded.Replay`
(so it fails on a call it does not expect, on a request that differs from the scripted one, and
in ``assert_done`` on scripted calls that never came), and its answers are recorded responses,
plus HTTP errors, which only a test needs to script.
"""

from __future__ import annotations

from typing import Self

import httpx2
import openai
from langchain_core.messages import AIMessage
from pydantic import Field

from agent.plan import Plan
from agent.planners.recorded import Exchange, RecordedRequest, RecordedResponse, Replay


class ModelResponse(RecordedResponse):
    """A scripted answer: a recorded response, or an HTTP error.

    Attributes:
        status: HTTP status; 400 and above is an error answer with ``content`` as its message.
        headers: Extra HTTP headers of the answer (``retry-after-ms`` on a 429).
    """

    status: int = 200
    headers: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def structured(cls, plan: Plan) -> Self:
        """A structured output: the model's JSON for ``plan``."""
        return cls(plan=plan)

    @classmethod
    def text(cls, content: str) -> Self:
        """A plain text answer."""
        return cls(content=content)

    @classmethod
    def refused(cls, reason: str) -> Self:
        """A structured-output refusal, as OpenAI returns it."""
        return cls(refusal=reason)

    @classmethod
    def error(
        cls, status: int, message: str = "scripted error", headers: dict[str, str] | None = None
    ) -> Self:
        """An HTTP error answer (the SDK retries 408, 409, 429 and 5xx)."""
        return cls(content=message, status=status, headers=dict(headers or {}))

    @property
    def is_error(self) -> bool:
        return self.status >= 400

    def to_exception(self) -> openai.APIStatusError:
        """The error the ``openai`` SDK raises for this answer once its retries are spent."""
        request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
        response = httpx2.Response(self.status, headers=self.headers, request=request)
        body = {"error": {"message": self.content, "type": "scripted", "code": None}}
        kinds: dict[int, type[openai.APIStatusError]] = {
            400: openai.BadRequestError,
            401: openai.AuthenticationError,
            403: openai.PermissionDeniedError,
            404: openai.NotFoundError,
            409: openai.ConflictError,
            422: openai.UnprocessableEntityError,
            429: openai.RateLimitError,
        }
        kind = kinds.get(
            self.status, openai.InternalServerError if self.status >= 500 else openai.APIStatusError
        )
        return kind(self.content or "scripted error", response=response, body=body)


class ModelScript(Replay):
    """Scripted exchanges consumed in order (see :class:`~agent.planners.recorded.Replay`).

    Example:
        >>> script = ModelScript().add(ModelResponse.text("hi"))
    """

    def add(self, response: RecordedResponse, request: RecordedRequest | None = None) -> Self:
        """Expect one more call (exactly ``request`` when given, else any); returns the script."""
        self.append(Exchange(turn=0, request=request, response=response))
        return self

    def __call__(self, request: RecordedRequest) -> AIMessage:
        """Answer as the chat model would; an error answer is raised as the ``openai`` SDK raises it."""
        response = self.answer(request).response
        if isinstance(response, ModelResponse) and response.is_error:
            raise response.to_exception()
        return response.to_message()

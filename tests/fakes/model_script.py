"""A script of model exchanges: what the planner is expected to send and what it gets back.

Both fakes (:class:`tests.fakes.chat_model.ScriptedChatModel` at the LangChain level and
:class:`tests.fakes.openai_server.FakeOpenAIServer` at the HTTP level) reduce a call to the same
:class:`ModelRequest` (the messages in OpenAI's format and the ``response_format``), so one
recorded exchange replays at either level. A script fails on a call it does not expect, on a
request that differs from the recorded one, and on scripted calls that never came.

:meth:`ModelScript.to_cassette` and :meth:`ModelScript.from_cassette` give the plain-data form
of a script that the eval harness stores beside a case (``<id>.cassette.yaml``).
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx2
import openai
from langchain_core.messages import AIMessage, BaseMessage, convert_to_openai_messages
from pydantic import BaseModel

Source = Literal["synthetic", "live"]


class UnexpectedModelCall(AssertionError):
    """The planner called the model when the script expected no (further) call."""


class RequestMismatch(AssertionError):
    """The planner sent a request that differs from the scripted (recorded) one."""


class MissingModelCall(AssertionError):
    """The script still holds exchanges the planner never asked for."""


def _pretty(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class ModelRequest:
    """The part of a chat request that decides the answer.

    Attributes:
        messages: The messages in OpenAI's chat format (``{"role": ..., "content": ...}``).
        response_format: The structured-output format, or None for a plain text call.
    """

    messages: list[dict[str, Any]]
    response_format: dict[str, Any] | None = None

    @classmethod
    def from_langchain(
        cls, messages: Sequence[BaseMessage], response_format: Mapping[str, Any] | None = None
    ) -> ModelRequest:
        """The request a LangChain chat model received."""
        converted = convert_to_openai_messages(list(messages))
        return cls(
            messages=list(converted), response_format=dict(response_format) if response_format else None
        )

    @classmethod
    def from_openai_body(cls, body: Mapping[str, Any]) -> ModelRequest:
        """The request in the JSON body of ``POST /v1/chat/completions``."""
        return cls(messages=list(body.get("messages", [])), response_format=body.get("response_format"))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for cassettes)."""
        return {"messages": self.messages, "response_format": self.response_format}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelRequest:
        """Read :meth:`to_dict`'s form."""
        return cls(messages=list(data["messages"]), response_format=data.get("response_format"))

    def diff(self, actual: ModelRequest) -> str:
        """A unified diff from this (expected) request to ``actual``."""
        lines = difflib.unified_diff(
            _pretty(self.to_dict()).splitlines(),
            _pretty(actual.to_dict()).splitlines(),
            fromfile="expected",
            tofile="actual",
            lineterm="",
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class ModelResponse:
    """A scripted answer: a message, a refusal, or an HTTP error.

    Attributes:
        content: The assistant's text (the JSON of a structured output).
        refusal: The model's refusal text (then ``content`` is None).
        finish_reason: ``stop``, ``length``, ``content_filter``...
        status: HTTP status; 400 and above is an error answer with ``content`` as its message.
        headers: Extra HTTP headers of the answer (``retry-after-ms`` on a 429).
    """

    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def structured(cls, value: BaseModel) -> ModelResponse:
        """A structured output: the model's JSON for ``value`` (e.g. a :class:`~agent.plan.Plan`)."""
        return cls(content=value.model_dump_json())

    @classmethod
    def text(cls, content: str) -> ModelResponse:
        """A plain text answer."""
        return cls(content=content)

    @classmethod
    def refused(cls, reason: str) -> ModelResponse:
        """A structured-output refusal, as OpenAI returns it."""
        return cls(refusal=reason)

    @classmethod
    def error(
        cls, status: int, message: str = "scripted error", headers: dict[str, str] | None = None
    ) -> ModelResponse:
        """An HTTP error answer (the SDK retries 408, 409, 429 and 5xx)."""
        return cls(content=message, status=status, headers=dict(headers or {}))

    @property
    def is_error(self) -> bool:
        return self.status >= 400

    def to_ai_message(self) -> AIMessage:
        """The message ``ChatOpenAI`` would return for this answer."""
        extra: dict[str, Any] = {"refusal": self.refusal} if self.refusal else {}
        return AIMessage(
            content=self.content or "",
            additional_kwargs=extra,
            response_metadata={"finish_reason": self.finish_reason, "model_provider": "openai"},
        )

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

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for cassettes)."""
        return {
            "content": self.content,
            "refusal": self.refusal,
            "finish_reason": self.finish_reason,
            "status": self.status,
            "headers": self.headers,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelResponse:
        """Read :meth:`to_dict`'s form (missing keys take their defaults)."""
        return cls(
            content=data.get("content"),
            refusal=data.get("refusal"),
            finish_reason=data.get("finish_reason", "stop"),
            status=int(data.get("status", 200)),
            headers=dict(data.get("headers") or {}),
        )


RequestCheck = Callable[[ModelRequest], None]
"""A custom check of a request; raises ``AssertionError`` when it is not the expected one."""


@dataclass(frozen=True)
class Exchange:
    """One expected call and its answer.

    Attributes:
        response: What the model answers.
        request: The exact request expected (a recording); None accepts any request.
        check: A looser check of the request, run when ``request`` is None.
    """

    response: ModelResponse
    request: ModelRequest | None = None
    check: RequestCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.request is None:
            raise ValueError("only exchanges with an exact request can be recorded")
        return {"request": self.request.to_dict(), "response": self.response.to_dict()}


class ModelScript:
    """Scripted exchanges consumed in order; thread-safe (the fake server answers from threads).

    Attributes:
        source: ``live`` for recordings of a real model, ``synthetic`` for written ones.
        requests: Every request received, in order (also the unexpected ones).
        failures: Every mismatch or unexpected call, kept so :meth:`assert_done` reports it even
            when the code under test swallowed the error.
    """

    def __init__(self, exchanges: Iterable[Exchange] = (), *, source: Source = "synthetic") -> None:
        self.source: Source = source
        self._pending = list(exchanges)
        self._lock = threading.Lock()
        self._recorded: list[Exchange] = []
        self.requests: list[ModelRequest] = []
        self.failures: list[AssertionError] = []

    @property
    def calls(self) -> int:
        """How many calls the model received."""
        return len(self.requests)

    @property
    def remaining(self) -> int:
        """How many scripted exchanges were not used yet."""
        return len(self._pending)

    def add(self, response: ModelResponse, request: ModelRequest | None = None) -> ModelScript:
        """Append an exchange; returns the script for chaining."""
        with self._lock:
            self._pending.append(Exchange(response=response, request=request))
        return self

    def record(self, exchange: Exchange) -> None:
        """Keep an exchange that really happened (record mode); :meth:`to_cassette` writes it."""
        if exchange.request is None:
            raise ValueError("a recorded exchange needs its request")
        with self._lock:
            self.requests.append(exchange.request)
            self._recorded.append(exchange)

    def respond(self, request: ModelRequest) -> ModelResponse:
        """Answer one call.

        Raises:
            UnexpectedModelCall: No exchange is left.
            RequestMismatch: The request differs from the scripted one.
        """
        with self._lock:
            self.requests.append(request)
            if not self._pending:
                failure: AssertionError = UnexpectedModelCall(
                    f"unexpected model call #{len(self.requests)}:\n{_pretty(request.to_dict())[:4000]}"
                )
                self.failures.append(failure)
                raise failure
            exchange = self._pending.pop(0)
        try:
            if exchange.request is not None and exchange.request != request:
                raise RequestMismatch(
                    f"model call #{len(self.requests)} differs from the script:\n{exchange.request.diff(request)}"
                )
            if exchange.request is None and exchange.check is not None:
                exchange.check(request)
        except AssertionError as exc:
            with self._lock:
                self.failures.append(exc)
            raise
        return exchange.response

    def assert_done(self) -> None:
        """Fail on any mismatch or unexpected call seen, and on exchanges never used."""
        if self.failures:
            raise self.failures[0]
        if self._pending:
            raise MissingModelCall(f"{len(self._pending)} scripted model call(s) never happened")

    def to_cassette(self) -> dict[str, Any]:
        """The plain-data form: the recorded exchanges, then those still scripted (each needs an exact request)."""
        return {"source": self.source, "exchanges": [e.to_dict() for e in [*self._recorded, *self._pending]]}

    @classmethod
    def from_cassette(cls, data: Mapping[str, Any]) -> ModelScript:
        """A script replaying a cassette: each request must match its recording exactly."""
        source = data.get("source", "synthetic")
        if source not in ("synthetic", "live"):
            raise ValueError(f"cassette source must be 'synthetic' or 'live', got {source!r}")
        exchanges = [
            Exchange(
                request=ModelRequest.from_dict(e["request"]), response=ModelResponse.from_dict(e["response"])
            )
            for e in data.get("exchanges", [])
        ]
        return cls(exchanges, source=source)

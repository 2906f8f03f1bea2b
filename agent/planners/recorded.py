"""Recorded model calls: one form of a chat request and its answer, for replaying and recording.

A call is reduced to what decides its answer, :class:`RecordedRequest` (the messages in OpenAI's
chat format, the structured-output schema's name and a digest of the schema), and to the answer,
:class:`RecordedResponse` (a plan, plain text or a refusal). The same form serves:

- cassettes, the files ``<id>.cassette.yaml`` the eval harness keeps beside each case
  (:class:`Cassette`, :func:`read_cassette`, :func:`write_cassette`)::

      source: synthetic          # live: recorded from a real model; synthetic: written by hand
      exchanges:
        - turn: 0
          request: {schema: plan, schema_sha256: "...", messages: [{role: system, content: ...}, ...]}
          response:
            plan: {intent: create, writes: [...]}   # or content: "text" / refusal: "why"

- :class:`Replay`, which answers calls from recorded exchanges in order and fails on a call it
  does not expect, on a request that differs from the recording (with a diff) and, in
  :meth:`Replay.assert_done`, on recorded calls that never came;
- :class:`ReplayingChatModel`, a LangChain chat model answered from the recorded form of each
  request, and :class:`RecordingChatModel`, which wraps a live model and keeps every exchange.

The eval harness and the test fakes (a scripted chat model, a loopback OpenAI server) are built on
this module, so an exchange recorded at one level replays at any other.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, convert_to_openai_messages
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent.plan import Plan
from tools.yamlsafe import YamlRefused, describe_error, load_file

Source = Literal["synthetic", "live"]


class CassetteError(Exception):
    """A cassette is missing, unreadable or does not fit its case; the message says what to do."""


class ReplayFailure(AssertionError):
    """A model call that does not fit the recording.

    An ``AssertionError``, so a test fails on it and a planner's handling of endpoint errors does
    not turn it into an answer.
    """


class UnexpectedModelCall(ReplayFailure):
    """A call came when the recording holds no further call (or none for the running turn)."""


class RequestMismatch(ReplayFailure):
    """The request sent differs from the recorded one.

    Attributes:
        expected: The recorded request.
        actual: The request sent.
    """

    def __init__(self, message: str, expected: RecordedRequest, actual: RecordedRequest) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class MissingModelCall(ReplayFailure):
    """Recorded calls that never came."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- the data model


class RecordedRequest(_Strict):
    """What decides the model's answer: the messages and the structured-output schema.

    Two requests are the same call when they are equal (``==``): same schema name, same schema
    digest, same messages.
    """

    schema_name: str | None = Field(default=None, alias="schema")
    schema_sha256: str | None = None
    messages: list[dict[str, Any]]

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @classmethod
    def from_openai(
        cls, messages: Iterable[Mapping[str, Any]], response_format: Mapping[str, Any] | None = None
    ) -> RecordedRequest:
        """The recorded form of a request in OpenAI's chat format.

        Args:
            messages: ``{"role": ..., "content": ...}`` messages (a chat completions body's).
            response_format: The structured-output format, or None for a plain text call.
        """
        schema_name: str | None = None
        digest: str | None = None
        if response_format is not None:
            spec = response_format.get("json_schema") or {}
            schema_name = str(spec.get("name") or response_format.get("type"))
            canonical = json.dumps(spec.get("schema"), sort_keys=True, separators=(",", ":"))
            digest = hashlib.sha256(canonical.encode()).hexdigest()
        return cls.model_validate(
            {"schema": schema_name, "schema_sha256": digest, "messages": [dict(m) for m in messages]}
        )

    @classmethod
    def from_langchain(
        cls, messages: Sequence[BaseMessage], response_format: Mapping[str, Any] | None = None
    ) -> RecordedRequest:
        """The recorded form of the request a LangChain chat model received."""
        return cls.from_openai(convert_to_openai_messages(list(messages)), response_format)

    def diff(self, actual: RecordedRequest, *, limit: int | None = 30, width: int = 160) -> str:
        """What changed from this (recorded) request to ``actual``: message by message, line by line.

        Messages are compared line by line (a system prompt is one long string), and the output is
        cut to ``limit`` lines (None: all) of at most ``width`` characters so a failure stays
        readable.
        """
        out: list[str] = []
        if (self.schema_name, self.schema_sha256) != (actual.schema_name, actual.schema_sha256):
            out.append(
                f"schema: recorded {self.schema_name} ({self.schema_sha256}), sent "
                f"{actual.schema_name} ({actual.schema_sha256})"
            )
        for i in range(max(len(self.messages), len(actual.messages))):
            before = self.messages[i] if i < len(self.messages) else None
            after = actual.messages[i] if i < len(actual.messages) else None
            if before == after:
                continue
            out += difflib.unified_diff(
                _lines(before), _lines(after), f"recorded message {i}", f"sent message {i}", lineterm="", n=0
            )
        cut = len(out) if limit is None else limit
        shown = [line if len(line) <= width else line[: width - 3] + "..." for line in out[:cut]]
        return "\n".join(shown + (["..."] if len(out) > cut else []))


def _lines(message: dict[str, Any] | None) -> list[str]:
    if message is None:
        return []
    content = message.get("content")
    text = content if isinstance(content, str) else json.dumps(content, indent=1, ensure_ascii=False)
    return [f"[{message.get('role')}]", *text.splitlines()]


class RecordedResponse(_Strict):
    """The model's answer: a structured plan, plain text, or a refusal (exactly one)."""

    plan: Plan | None = None
    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"

    @model_validator(mode="after")
    def _one(self) -> Self:
        given = [x for x in (self.plan, self.content, self.refusal) if x is not None]
        if len(given) != 1:
            raise ValueError("a response has exactly one of plan, content or refusal")
        return self

    def to_message(self) -> AIMessage:
        """The message ``ChatOpenAI`` returns for this answer."""
        text = self.plan.model_dump_json(exclude_defaults=True) if self.plan is not None else self.content
        return AIMessage(
            content=text or "",
            additional_kwargs={"refusal": self.refusal} if self.refusal else {},
            response_metadata={"finish_reason": self.finish_reason, "model_provider": "openai"},
        )

    @classmethod
    def from_message(cls, message: AIMessage) -> RecordedResponse:
        """Keep a live answer; valid plan JSON is stored as ``plan`` so it stays readable."""
        finish = str(message.response_metadata.get("finish_reason") or "stop")
        refusal = message.additional_kwargs.get("refusal")
        if isinstance(refusal, str) and refusal:
            return cls(refusal=refusal, finish_reason=finish)
        text = message.text
        try:
            return cls(plan=Plan.model_validate_json(text), finish_reason=finish)
        except ValidationError:
            return cls(content=text, finish_reason=finish)


class Exchange(_Strict):
    """One model call: the turn it belongs to, the request (None: not recorded yet) and the answer."""

    turn: int = Field(ge=0)
    request: RecordedRequest | None = None
    response: RecordedResponse


class Cassette(_Strict):
    """Every model call of one conversation, in order."""

    source: Source = "synthetic"
    exchanges: list[Exchange] = Field(default_factory=list)


# --------------------------------------------------------------------------- files


class _Dumper(yaml.SafeDumper):
    """Readable cassettes: multi-line strings as literal blocks, keys in the order written."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = (
        "|" if "\n" in value and not any(c in value for c in "\r\t") and value == value.rstrip(" ") else None
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def read_cassette(path: Path) -> Cassette:
    """Read a cassette (with the limits of :mod:`tools.yamlsafe`: size, aliases, binary, UTF-8).

    Raises:
        CassetteError: It does not exist, cannot be read or is not a valid cassette.
    """
    if not path.is_file():
        raise CassetteError(
            f"missing recording {path.name}: write its responses and run "
            "`alysio-agent eval --mode record --synthetic`, or record with a live model"
        )
    try:
        data = load_file(path) or {}
        return Cassette.model_validate(data)
    except OSError as exc:
        raise CassetteError(f"cannot read {path.name}: {exc.strerror}") from None
    except YamlRefused as exc:
        raise CassetteError(f"{path.name}: {exc}") from None
    except yaml.YAMLError as exc:
        raise CassetteError(f"{path.name} is not valid YAML ({describe_error(exc)})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CassetteError(f"{path.name}: {where}: {first['msg']}") from None


def write_cassette(path: Path, cassette: Cassette) -> None:
    """Write a cassette (responses keep only the keys that differ from their defaults)."""
    data: dict[str, Any] = {"source": cassette.source, "exchanges": []}
    for ex in cassette.exchanges:
        entry: dict[str, Any] = {"turn": ex.turn}
        if ex.request is not None:
            entry["request"] = ex.request.model_dump(mode="json", by_alias=True)
        response: dict[str, Any] = {}
        if ex.response.plan is not None:
            response["plan"] = ex.response.plan.model_dump(mode="json", exclude_defaults=True)
        if ex.response.content is not None:
            response["content"] = ex.response.content
        if ex.response.refusal is not None:
            response["refusal"] = ex.response.refusal
        if ex.response.finish_reason != "stop":
            response["finish_reason"] = ex.response.finish_reason
        entry["response"] = response
        data["exchanges"].append(entry)
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- replay


class Replay:
    """Answers model calls from recorded exchanges, in order; thread-safe.

    A call takes the next exchange. One with a request answers only an equal request; one without
    answers any (a canned answer, or a hand-written response whose request is being filled in).
    When the caller names the running turn, the next exchange must also be of that turn. Every
    failure is raised and kept, so :meth:`assert_done` reports it even when the code under test
    swallowed the error.

    Attributes:
        source: ``live`` for recordings of a real model, ``synthetic`` for written ones.
        requests: Every request received, in order (the unexpected ones too).
        answered: The exchanges that answered a call, each with the request it answered.
        failures: Every failure raised.
    """

    def __init__(
        self, exchanges: Iterable[Exchange] = (), *, source: Source = "synthetic", check_requests: bool = True
    ) -> None:
        """Load the exchanges.

        Args:
            exchanges: The recorded calls, in order.
            source: Where they come from.
            check_requests: False answers each call whatever its request (the recorded requests
                are being replaced, as when ``record --synthetic`` fills them in).
        """
        self.source: Source = source
        self._pending = deque(exchanges)
        self._check_requests = check_requests
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.answered: list[Exchange] = []
        self.failures: list[ReplayFailure] = []

    @classmethod
    def from_cassette(cls, cassette: Cassette) -> Self:
        """A replay of a cassette."""
        return cls(cassette.exchanges, source=cassette.source)

    @property
    def calls(self) -> int:
        """How many calls were received."""
        return len(self.requests)

    def append(self, exchange: Exchange) -> None:
        """Expect one more call after those already recorded."""
        with self._lock:
            self._pending.append(exchange)

    def answer(self, request: RecordedRequest, *, turn: int | None = None) -> Exchange:
        """Answer one call with the next exchange.

        Args:
            request: The request sent.
            turn: The running turn, when calls are recorded per turn.

        Returns:
            The exchange that answers, as recorded (its ``request`` None when it had none).

        Raises:
            UnexpectedModelCall: No exchange is left (for ``turn``).
            RequestMismatch: The request differs from the recorded one.
        """
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            exchange = self._pending[0] if self._pending else None
            if exchange is None or (turn is not None and exchange.turn != turn):
                where = "" if turn is None else f" in turn {turn}"
                sent = request.model_dump_json(by_alias=True, indent=2)[:4000]
                raise self._failed(UnexpectedModelCall(f"unexpected model call #{number}{where}:\n{sent}"))
            self._pending.popleft()
            recorded = exchange.request
            if self._check_requests and recorded is not None and recorded != request:
                raise self._failed(
                    RequestMismatch(
                        f"model call #{number} differs from the recorded request:\n"
                        + recorded.diff(request, limit=None),
                        recorded,
                        request,
                    )
                )
            self.answered.append(exchange.model_copy(update={"request": request}))
        return exchange

    def __call__(self, request: RecordedRequest) -> AIMessage:
        """Answer as a chat model would (a :data:`Responder` for :class:`ReplayingChatModel`)."""
        return self.answer(request).response.to_message()

    def _failed(self, failure: ReplayFailure) -> ReplayFailure:
        self.failures.append(failure)
        return failure

    def unused(self) -> list[Exchange]:
        """The exchanges no call has taken yet."""
        with self._lock:
            return list(self._pending)

    def assert_done(self) -> None:
        """Fail on the first failure seen, and on exchanges never used.

        Raises:
            ReplayFailure: The first failure raised by :meth:`answer`, else
                :class:`MissingModelCall`.
        """
        if self.failures:
            raise self.failures[0]
        if unused := self.unused():
            turns = [e.turn for e in unused]
            raise MissingModelCall(f"{len(unused)} recorded model call(s) never happened (turns {turns})")

    def cassette(self) -> Cassette:
        """What happened: the answered exchanges (with the requests sent), then the unused ones."""
        with self._lock:
            return Cassette(source=self.source, exchanges=[*self.answered, *self._pending])


# --------------------------------------------------------------------------- the chat models


Responder = Callable[[RecordedRequest], AIMessage]
"""Answers the recorded form of a request (and raises when the call does not fit)."""

_REPLAYABLE_OPTIONS = frozenset({"response_format"})


def _request_of(messages: list[BaseMessage], options: dict[str, Any]) -> RecordedRequest:
    fmt = options.get("response_format")
    return RecordedRequest.from_langchain(messages, fmt if isinstance(fmt, Mapping) else None)


class ReplayingChatModel(BaseChatModel):
    """A chat model answered from the recorded form of each request, by a :data:`Responder`.

    Only ``response_format`` may be bound: the recorded form has no place for other options, so a
    call with another one fails rather than having it ignored.

    Example:
        >>> replay = Replay([Exchange(turn=0, response=RecordedResponse(content="hi"))])
        >>> model = ReplayingChatModel(responder=replay)
    """

    responder: Any  # Responder; typed loosely because pydantic cannot validate a callable's signature

    @property
    def _llm_type(self) -> str:
        return "replaying"

    def _answer(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatResult:
        unknown = set(kwargs) - _REPLAYABLE_OPTIONS
        if stop or unknown:
            raise ReplayFailure(f"a recorded request has no place for stop={stop} or {sorted(unknown)}")
        request = _request_of(messages, kwargs)
        message: AIMessage = self.responder(request)
        return ChatResult(generations=[ChatGeneration(message=message)])

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


def _turn_zero() -> int:
    return 0


class RecordingChatModel(BaseChatModel):
    """Wraps a live chat model and keeps every exchange, for writing a ``live`` cassette.

    Attributes:
        inner: The model that answers (``ChatOpenAI`` against a live endpoint).
        current_turn: The turn a call belongs to (the eval harness's running turn).
        recorded: The exchanges so far.
    """

    inner: BaseChatModel
    current_turn: Callable[[], int] = _turn_zero
    recorded: list[Exchange] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recording"

    def cassette(self) -> Cassette:
        """The exchanges so far, as a ``live`` cassette."""
        return Cassette(source="live", exchanges=list(self.recorded))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise NotImplementedError("the planner calls models asynchronously")

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = _request_of(messages, kwargs)
        reply = await self.inner.bind(**kwargs).ainvoke(messages, stop=stop)
        message = reply if isinstance(reply, AIMessage) else AIMessage(content=str(reply.content))
        response = RecordedResponse.from_message(message)
        self.recorded.append(Exchange(turn=self.current_turn(), request=request, response=response))
        return ChatResult(generations=[ChatGeneration(message=message)])

"""Cassettes: the model exchanges of a case, stored beside it as ``<id>.cassette.yaml``.

A cassette lists, per model call, the turn it belongs to, the request the planner sent (the
messages in OpenAI's chat format, the structured-output schema's name and a digest of the
schema) and the model's response::

    source: synthetic          # live: recorded from a real model; synthetic: written by hand
    exchanges:
      - turn: 0
        request: {schema: plan, schema_sha256: "...", messages: [{role: system, content: ...}, ...]}
        response:
          plan: {intent: create, writes: [...]}   # or content: "text" / refusal: "why"

Replay answers each call from the next exchange of the same turn and fails the case as a
*stale recording* when the request differs from the recorded one. Synthetic cassettes are
written as responses only; ``alysio-agent eval --mode record --synthetic`` runs the real request
builder against them and fills in each ``request``.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, convert_to_openai_messages
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent.plan import Plan

Source = Literal["synthetic", "live"]


class CassetteError(Exception):
    """A cassette is missing, unreadable or does not fit the case; the case fails with this message."""


class StaleRecording(CassetteError):
    """The planner sent a request that differs from the recorded one."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordedRequest(_Strict):
    """What decides the model's answer: the messages and the structured-output schema."""

    schema_name: str | None = Field(default=None, alias="schema")
    schema_sha256: str | None = None
    messages: list[dict[str, Any]]

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def comparable(self) -> dict[str, Any]:
        return {"schema": self.schema_name, "schema_sha256": self.schema_sha256, "messages": self.messages}


class RecordedResponse(_Strict):
    """The model's answer: a structured plan, plain text, or a refusal (exactly one)."""

    plan: Plan | None = None
    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"

    @model_validator(mode="after")
    def _one(self) -> RecordedResponse:
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
    """One model call of a turn."""

    turn: int = Field(ge=0)
    request: RecordedRequest | None = None
    response: RecordedResponse


class Cassette(_Strict):
    """Every model call of one case, in order."""

    source: Source = "synthetic"
    exchanges: list[Exchange] = Field(default_factory=list)


def request_of(messages: Sequence[BaseMessage], response_format: dict[str, Any] | None) -> RecordedRequest:
    """The recorded form of a chat request."""
    schema_name: str | None = None
    digest: str | None = None
    if response_format is not None:
        spec = response_format.get("json_schema") or {}
        schema_name = str(spec.get("name") or response_format.get("type"))
        canonical = json.dumps(spec.get("schema"), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()
    converted = [dict(m) for m in convert_to_openai_messages(list(messages))]
    return RecordedRequest.model_validate(
        {"schema": schema_name, "schema_sha256": digest, "messages": converted}
    )


def _text(message: dict[str, Any] | None) -> list[str]:
    if message is None:
        return []
    content = message.get("content")
    text = content if isinstance(content, str) else json.dumps(content, indent=1, ensure_ascii=False)
    return [f"[{message.get('role')}]", *text.splitlines()]


def request_diff(
    expected: RecordedRequest, actual: RecordedRequest, *, limit: int = 30, width: int = 160
) -> str:
    """What changed from the recorded request to the one sent: message by message, line by line.

    Messages are compared line by line (a system prompt is one long string), and the output is cut
    to ``limit`` lines of at most ``width`` characters so a failure stays readable.
    """
    out: list[str] = []
    if (expected.schema_name, expected.schema_sha256) != (actual.schema_name, actual.schema_sha256):
        out.append(
            f"schema: recorded {expected.schema_name} ({expected.schema_sha256}), sent "
            f"{actual.schema_name} ({actual.schema_sha256})"
        )
    for i in range(max(len(expected.messages), len(actual.messages))):
        before = expected.messages[i] if i < len(expected.messages) else None
        after = actual.messages[i] if i < len(actual.messages) else None
        if before == after:
            continue
        out += difflib.unified_diff(
            _text(before), _text(after), f"recorded message {i}", f"sent message {i}", lineterm="", n=0
        )
    shown = [line if len(line) <= width else line[: width - 3] + "..." for line in out[:limit]]
    return "\n".join(shown + (["..."] if len(out) > limit else []))


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
    """Read a cassette.

    Raises:
        CassetteError: It does not exist or is not a valid cassette.
    """
    if not path.is_file():
        raise CassetteError(
            f"missing recording {path.name}: write its responses and run "
            "`alysio-agent eval --mode record --synthetic`, or record with a live model"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Cassette.model_validate(data)
    except yaml.YAMLError as exc:
        raise CassetteError(f"{path.name} is not valid YAML: {exc}") from None
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


# --------------------------------------------------------------------------- the models


Responder = Callable[[RecordedRequest], AIMessage]


class TurnTracker:
    """Which turn of the case is running (the runner moves it; the model reads it)."""

    def __init__(self) -> None:
        self.turn = 0


@dataclass
class Replayer:
    """Answers each call from the cassette; fails on a stale or missing recording.

    Attributes:
        cassette: The recording.
        tracker: The running turn.
        failure: The first problem seen (also raised, but the agent turns raised errors into
            replies, so the runner reads it from here).
    """

    cassette: Cassette
    tracker: TurnTracker
    failure: CassetteError | None = None
    _next: int = 0

    def __call__(self, request: RecordedRequest) -> AIMessage:
        turn = self.tracker.turn
        exchanges = self.cassette.exchanges
        if self._next >= len(exchanges) or exchanges[self._next].turn != turn:
            return self._fail(
                StaleRecording(f"stale recording: turn {turn} made a model call the cassette does not have")
            )
        exchange = exchanges[self._next]
        self._next += 1
        if exchange.request is None:
            return self._fail(
                CassetteError(
                    f"recording of turn {turn} has no request: run `alysio-agent eval --mode record --synthetic`"
                )
            )
        if exchange.request.comparable() != request.comparable():
            return self._fail(
                StaleRecording(
                    f"stale recording: the model request of turn {turn} changed\n"
                    + request_diff(exchange.request, request)
                )
            )
        return exchange.response.to_message()

    def _fail(self, error: CassetteError) -> AIMessage:
        if self.failure is None:
            self.failure = error
        raise error

    def unused(self) -> list[int]:
        """Turns of recorded exchanges that were never asked for."""
        return [e.turn for e in self.cassette.exchanges[self._next :]]


@dataclass
class SyntheticRecorder:
    """Answers each call with the hand-written response for its turn and records the request."""

    cassette: Cassette
    tracker: TurnTracker
    failure: CassetteError | None = None
    recorded: list[Exchange] = field(default_factory=list)
    _next: int = 0

    def __call__(self, request: RecordedRequest) -> AIMessage:
        turn = self.tracker.turn
        exchanges = self.cassette.exchanges
        if self._next >= len(exchanges) or exchanges[self._next].turn != turn:
            error = CassetteError(f"turn {turn} called the model but the cassette has no response for it")
            if self.failure is None:
                self.failure = error
            raise error
        exchange = exchanges[self._next]
        self._next += 1
        self.recorded.append(Exchange(turn=turn, request=request, response=exchange.response))
        return exchange.response.to_message()

    def unused(self) -> list[int]:
        """Turns of written responses no model call asked for."""
        return [e.turn for e in self.cassette.exchanges[self._next :]]

    def result(self) -> Cassette:
        """The cassette with every request filled in (``source: synthetic``)."""
        return Cassette(
            source="synthetic", exchanges=[*self.recorded, *self.cassette.exchanges[self._next :]]
        )


@dataclass
class LiveRecorder:
    """Keeps each exchange with a live model (``record`` mode)."""

    tracker: TurnTracker
    recorded: list[Exchange] = field(default_factory=list)

    def keep(self, request: RecordedRequest, message: AIMessage) -> None:
        self.recorded.append(
            Exchange(turn=self.tracker.turn, request=request, response=RecordedResponse.from_message(message))
        )

    def result(self) -> Cassette:
        return Cassette(source="live", exchanges=list(self.recorded))


class CassetteChatModel(BaseChatModel):
    """A chat model answered by a :data:`Responder` (replay or synthetic recording)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responder: Any  # Responder; typed loosely because pydantic cannot validate a callable's signature

    @property
    def _llm_type(self) -> str:
        return "eval-cassette"

    def _answer(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> ChatResult:
        fmt = kwargs.get("response_format")
        request = request_of(messages, copy.deepcopy(fmt) if isinstance(fmt, dict) else None)
        message: AIMessage = self.responder(request)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._answer(messages, kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._answer(messages, kwargs)


class LiveRecordingChatModel(BaseChatModel):
    """Wraps a live chat model and keeps every exchange in a :class:`LiveRecorder`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseChatModel
    recorder: Any  # LiveRecorder

    @property
    def _llm_type(self) -> str:
        return "eval-live-recording"

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
        fmt = kwargs.get("response_format")
        request = request_of(messages, fmt if isinstance(fmt, dict) else None)
        reply = await self.inner.bind(**kwargs).ainvoke(messages, stop=stop)
        message = reply if isinstance(reply, AIMessage) else AIMessage(content=str(reply.content))
        self.recorder.keep(request, message)
        return ChatResult(generations=[ChatGeneration(message=message)])

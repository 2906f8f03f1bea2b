"""Cassettes of eval cases: each turn's model calls, replayed from or recorded beside the case.

The file form (``<id>.cassette.yaml``: per model call its turn, the request the planner sent and
the model's response), the request and response models and the chat models are in
:mod:`agent.planners.recorded`. This module adds what is the harness's own: the running turn, and
reporting a call that does not fit the cassette as a failure of that turn.

Replay answers each call from the next exchange of the same turn and fails the case as a
*stale recording* when the request differs from the recorded one. Synthetic cassettes are
written as responses only; ``alysio-agent eval --mode record --synthetic`` runs the real request
builder against them and fills in each ``request``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.messages import AIMessage

from agent.planners.recorded import (
    Cassette,
    CassetteError,
    RecordedRequest,
    Replay,
    RequestMismatch,
    UnexpectedModelCall,
)


class StaleRecording(CassetteError):
    """The planner sent a request that differs from the recorded one."""


class TurnTracker:
    """Which turn of the case is running (the runner moves it; the model reads it)."""

    def __init__(self) -> None:
        self.turn = 0


@dataclass
class _CassetteResponder:
    """Answers the model calls of a case from its cassette, turn by turn.

    Attributes:
        cassette: The recording.
        tracker: The running turn.
        failure: The first problem seen (also raised, but the agent turns raised errors into
            replies, so the runner reads it from here).
    """

    cassette: Cassette
    tracker: TurnTracker
    failure: CassetteError | None = None
    _replay: Replay = field(init=False, repr=False)

    def _failed(self, error: CassetteError) -> CassetteError:
        if self.failure is None:
            self.failure = error
        return error

    def unused(self) -> list[int]:
        """Turns of recorded exchanges no model call asked for."""
        return [e.turn for e in self._replay.unused()]


@dataclass
class Replayer(_CassetteResponder):
    """Answers each call from the cassette; fails on a stale or missing recording."""

    def __post_init__(self) -> None:
        self._replay = Replay.from_cassette(self.cassette)

    def __call__(self, request: RecordedRequest) -> AIMessage:
        turn = self.tracker.turn
        try:
            exchange = self._replay.answer(request, turn=turn)
        except UnexpectedModelCall:
            raise self._failed(
                StaleRecording(f"stale recording: turn {turn} made a model call the cassette does not have")
            ) from None
        except RequestMismatch as exc:
            raise self._failed(
                StaleRecording(
                    f"stale recording: the model request of turn {turn} changed\n"
                    + exc.expected.diff(exc.actual)
                )
            ) from None
        if exchange.request is None:
            raise self._failed(
                CassetteError(
                    f"recording of turn {turn} has no request: run `alysio-agent eval --mode record --synthetic`"
                )
            )
        return exchange.response.to_message()


@dataclass
class SyntheticRecorder(_CassetteResponder):
    """Answers each call with the hand-written response for its turn and records the request."""

    def __post_init__(self) -> None:
        self._replay = Replay(self.cassette.exchanges, source="synthetic", check_requests=False)

    def __call__(self, request: RecordedRequest) -> AIMessage:
        turn = self.tracker.turn
        try:
            return self._replay.answer(request, turn=turn).response.to_message()
        except UnexpectedModelCall:
            raise self._failed(
                CassetteError(f"turn {turn} called the model but the cassette has no response for it")
            ) from None

    def result(self) -> Cassette:
        """The cassette with every request filled in (``source: synthetic``)."""
        return self._replay.cassette()

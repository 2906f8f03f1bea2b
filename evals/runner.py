"""Runs eval cases: a fresh in-process sandbox portal per case, the agent service, every turn checked.

Each case gets its own sandbox (loaded from the case's ``portal:`` on top of HubSpot's defaults),
its own service and planner, and a clock pinned to ``context.now`` that only ``advance`` (and
simulated waits such as rate-limit back-off) move, so cases never sleep and never depend on one
another. Per turn the runner keeps the HubSpot requests (from the sandbox's request log), the
model calls and the latency, checks the turn's ``expect`` and, at the end, the final portal
against ``final`` (see :mod:`evals.matching`).

A case is CPU work (one event loop keeps one core busy), so ``jobs`` > 1 spreads the cases over
that many worker processes; results come back in case order, so the report is the same whatever
the number of jobs, apart from timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import multiprocessing
import signal
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from multiprocessing.context import BaseContext
from typing import Any, Final, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.warnings import InsecureKeyLengthWarning

from agent.context import AgentContext
from agent.events import Event
from agent.identity import IdentityLookup, IdentitySync, SqliteIdentityStore
from agent.planners.base import Planner
from agent.planners.recorded import (
    CassetteError,
    RecordingChatModel,
    ReplayingChatModel,
    read_cassette,
    write_cassette,
)
from agent.resolve import PipelineCache
from agent.service import AgentService, Incoming
from evals.case import EditAction, LoadedCase, Turn
from evals.cassettes import Replayer, SyntheticRecorder, TurnTracker
from evals.checks import (
    confirmed_writes,
    is_destructive,
    is_hubspot,
    is_write,
    reads_as_refusal,
    scope_violation,
    written_fields,
)
from evals.matching import FieldCounts, check_final
from tools.hubspot import HubSpotError
from tools.local import LocalPortal, open_local_portal
from tools.sandbox.loader import FixtureError
from tools.scopes_catalog import ALL_SCOPES
from tools.settings import Settings

Mode = Literal["offline", "replay", "record"]
JSON = dict[str, Any]

MAX_TURNS: Final = 40
"""Turn budget: a case longer than this is cut off and fails (a runaway conversation)."""
MAX_HUBSPOT_CALLS: Final = 300
"""HubSpot call budget of one case, whatever its own limit (a runaway loop of requests)."""
MAX_MODEL_CALLS_PER_TURN: Final = 2
"""A turn costs at most one planning call plus one summary."""
TURN_TIMEOUT_SECONDS: Final = 60.0
"""Wall-clock budget of one turn (the last resort against a hang)."""


@dataclass(frozen=True)
class RunOptions:
    """How to run cases.

    Attributes:
        mode: ``offline`` (the deterministic planner), ``replay`` (the model planner answered from
            cassettes) or ``record`` (a live model, or hand-written responses with ``synthetic``).
        synthetic: In ``record`` mode: fill in each cassette's requests from its hand-written responses.
        repeat: Runs of each case (for pass^k).
        jobs: Worker processes running cases side by side (1: in this process, one at a time).
        max_turns: Turn budget per case.
        max_hubspot_calls: HubSpot call budget per case.
        turn_timeout: Wall-clock budget per turn, in seconds.
    """

    mode: Mode = "offline"
    synthetic: bool = False
    repeat: int = 1
    jobs: int = 4
    max_turns: int = MAX_TURNS
    max_hubspot_calls: int = MAX_HUBSPOT_CALLS
    turn_timeout: float = TURN_TIMEOUT_SECONDS


@dataclass
class TurnResult:
    """What one turn did."""

    index: int
    label: str
    events: list[JSON]
    requests: list[JSON]
    writes: int
    model_calls: int
    latency_ms: float
    pending: str | None  # "confirm" | "clarify" | None at the end of the turn
    failure: str | None = None


@dataclass
class CaseResult:
    """One run of one case, with everything the report aggregates."""

    id: str
    title: str
    tags: list[str]
    passed: bool = False
    failure: str | None = None
    turns: list[TurnResult] = field(default_factory=list)
    hubspot_calls: int = 0
    hubspot_calls_max: int | None = None
    model_calls: int = 0
    writes_total: int = 0
    writes_confirmed: int = 0
    scope_violations: list[str] = field(default_factory=list)
    destructive_calls: int = 0
    fields: FieldCounts = field(default_factory=FieldCounts)
    clarify_checked: int = 0
    clarify_correct: int = 0
    synthetic: bool = False
    attempt: int = 0

    def fail(self, message: str) -> None:
        """Keep the first failed expectation."""
        if self.failure is None:
            self.failure = message

    @property
    def over_limit(self) -> bool:
        return self.hubspot_calls_max is not None and self.hubspot_calls > self.hubspot_calls_max


class EvalClock:
    """The case's clock: pinned to ``context.now``; ``advance`` and simulated waits move it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    async def sleep(self, seconds: float) -> None:
        """A wait (retry back-off, rate limit) passes on the case's clock, never in real time."""
        self.now += timedelta(seconds=max(seconds, 0.0))
        await asyncio.sleep(0)  # still yield, so other cases run and timeouts can fire


class CallBudgetExceeded(RuntimeError):
    """A case sent more HubSpot requests than its budget: the conversation is stopped."""


class _BudgetedLog(list[JSON]):
    """The sandbox's request log, refusing to grow past the case's call budget.

    Raising from the log stops the request inside the sandbox; the service reports the turn as
    failed and the runner stops the case.
    """

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget
        self.exceeded = False

    def append(self, item: JSON) -> None:
        super().append(item)
        if len(self) > self.budget:
            self.exceeded = True
            raise CallBudgetExceeded(f"more than {self.budget} HubSpot calls")


# --------------------------------------------------------------------------- the portal of a case


_TEST_KEY_BITS: Final = 1024
# The eval key is short on purpose (see _paragon_keys); PyJWT warns on every token it signs or checks.
warnings.filterwarnings(
    "ignore", message=f"The RSA key is {_TEST_KEY_BITS} bits long", category=InsecureKeyLengthWarning
)


@functools.cache
def _paragon_keys() -> tuple[str, str]:
    """One RSA key pair per process, as PEM (private, public), signing the cases' Paragon user tokens.

    Shared because generating a key per case costs more than running the case, and 1024 bits
    because the client parses its signing key once per case and a 2048-bit key's validation
    costs ~150 ms on a loaded 2-core machine. The tokens stay RS256 JWTs verified by the sandbox,
    so the production Paragon path is still what runs; the key never leaves the process.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=_TEST_KEY_BITS)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


def open_case_portal(
    *, user_id: str, tenant_id: str, scopes: Sequence[str], clock: EvalClock, settings: Settings
) -> LocalPortal:
    """A fresh sandbox with HubSpot's defaults and a client acting as ``user_id`` through its Paragon proxy.

    :func:`tools.local.open_local_portal`, with the Paragon key pair shared by every case of the run.
    """
    return open_local_portal(
        "empty",
        user_id=user_id,
        tenant_id=tenant_id,
        scopes=scopes,
        clock=clock,
        sleep=clock.sleep,
        settings=settings,
        paragon_keys=_paragon_keys(),
    )


# --------------------------------------------------------------------------- running one case


def _incoming(turn: Turn) -> Incoming:
    by_id = turn.by.id if turn.by else None
    by_email = turn.by.email if turn.by else None
    if turn.user is not None:
        return Incoming(text=turn.user, by_user_id=by_id, by_email=by_email)
    if isinstance(turn.action, EditAction):
        return Incoming(edit=dict(turn.action.edit), by_user_id=by_id, by_email=by_email)
    assert turn.action in ("approve", "reject")
    return Incoming(action=turn.action, by_user_id=by_id, by_email=by_email)


def _check_turn(turn: Turn, result: TurnResult, events: list[Event]) -> str | None:
    """The first expectation of the turn that does not hold."""
    expect = turn.expect
    if expect.confirm is not None and (result.pending == "confirm") != expect.confirm:
        return (
            f"confirm: expected {str(expect.confirm).lower()}, got {str(result.pending == 'confirm').lower()}"
        )
    if expect.clarify is not None and (result.pending == "clarify") != expect.clarify:
        return (
            f"clarify: expected {str(expect.clarify).lower()}, got {str(result.pending == 'clarify').lower()}"
        )
    if expect.writes is not None and result.writes != expect.writes:
        return f"writes: expected {expect.writes}, got {result.writes}"
    kinds = [e.error.kind for e in events if e.error is not None]
    if expect.error is not None and expect.error not in kinds:
        return f"error: expected {expect.error}, got {', '.join(kinds) or 'no error'}"
    reply = "\n".join(e.text for e in events).casefold()
    for text in expect.reply_contains:
        if text.casefold() not in reply:
            return f"reply_contains: {text!r} not in the reply {_short(reply)!r}"
    for text in expect.reply_not_contains:
        if text.casefold() in reply:
            return f"reply_not_contains: {text!r} is in the reply {_short(reply)!r}"
    return None


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


PlannerFactory = Callable[[LoadedCase, TurnTracker], tuple[Planner, Any]]
"""Builds the planner of a case and its cassette handler (None in offline mode)."""


def _offline_planner(loaded: LoadedCase, tracker: TurnTracker) -> tuple[Planner, Any]:
    from agent.planners.offline import OfflinePlanner

    return OfflinePlanner(), None


def _model_planner(options: RunOptions, settings: Settings | None) -> PlannerFactory:
    def build(loaded: LoadedCase, tracker: TurnTracker) -> tuple[Planner, Any]:
        from agent.planners.openai import OpenAIPlanner, build_chat_model

        if options.mode == "replay" or options.synthetic:
            cassette = read_cassette(loaded.cassette_path)
            handler: Replayer | SyntheticRecorder = (
                SyntheticRecorder(cassette, tracker) if options.synthetic else Replayer(cassette, tracker)
            )
            return OpenAIPlanner(ReplayingChatModel(responder=handler)), handler
        assert settings is not None, "record mode needs the model settings"
        recorder = RecordingChatModel(inner=build_chat_model(settings), current_turn=lambda: tracker.turn)
        return OpenAIPlanner(recorder), recorder

    return build


def planner_factory(options: RunOptions, settings: Settings | None) -> PlannerFactory:
    """The planner for the mode."""
    return _offline_planner if options.mode == "offline" else _model_planner(options, settings)


async def run_case(
    loaded: LoadedCase,
    options: RunOptions,
    *,
    settings: Settings | None = None,
    planner: PlannerFactory | None = None,
    attempt: int = 0,
) -> CaseResult:
    """Run one case against a fresh sandbox portal and check every expectation.

    Args:
        loaded: The case.
        options: Mode and budgets.
        settings: Base settings (the model endpoint in ``record`` mode); defaults otherwise.
        planner: Overrides the mode's planner (tests script plans with it).
        attempt: Which repeat this is.
    """
    case = loaded.case
    result = CaseResult(
        id=case.id,
        title=case.title,
        tags=list(case.tags),
        hubspot_calls_max=case.limits.hubspot_calls_max,
        attempt=attempt,
    )
    tracker = TurnTracker()
    try:
        chosen, handler = (planner or planner_factory(options, settings))(loaded, tracker)
    except CassetteError as exc:
        result.fail(str(exc))
        return result
    # A synthetic recording is one written by hand, replayed or being filled in.
    result.synthetic = isinstance(handler, SyntheticRecorder) or (
        isinstance(handler, Replayer) and handler.cassette.source == "synthetic"
    )

    context = case.context
    scopes = tuple(ALL_SCOPES) if context.scopes == "default" else tuple(context.scopes)
    granted = frozenset(scopes)
    clock = EvalClock(context.now)
    portal = open_case_portal(
        user_id=context.user.id,
        tenant_id="t-eval",
        scopes=scopes,
        clock=clock,
        settings=settings or Settings(),
    )
    stack = contextlib.AsyncExitStack()
    try:
        sandbox = portal.sandbox
        try:
            refs = sandbox.load_fixture(case.portal.fixture())
        except FixtureError as exc:
            result.fail(f"portal: {exc}")
            return result
        if context.connection == "revoked":
            assert portal.connection.credential_id is not None
            sandbox.revoke(portal.connection.credential_id)
        # The install: when HubSpot is connected, Alysio syncs its people and metadata into the
        # identity store (as in production). It happens before the conversation, so its requests
        # are not the conversation's; a sync that fails leaves the conversation to find out.
        store = await SqliteIdentityStore.open(":memory:")
        stack.push_async_callback(store.aclose)
        sync = IdentitySync(store, portal.client, installer=context.user.id)
        with contextlib.suppress(HubSpotError):
            await sync.sync(portal.connection)
        budget = _BudgetedLog(options.max_hubspot_calls)
        sandbox.requests = budget
        before = sandbox.state()
        service = AgentService(
            portal.client,
            chosen,
            owners=IdentityLookup(store, sync),
            pipelines=PipelineCache(portal.client, store=store),
        )
        ctx = AgentContext(
            tenant_id="t-eval",
            user_id=context.user.id,
            user_email=context.user.email,
            user_name=context.user.name,
            credential_id=portal.connection.credential_id,
            granted_scopes=granted,
            channel="eval",
            timezone=context.timezone,
            now=clock(),
            portal_id=int(str(sandbox.portal.account["portalId"])),
        )
        thread = f"eval-{case.id}"
        stopped = await _run_turns(
            loaded, options, result, service, ctx, clock, budget, handler, tracker, thread
        )
        result.hubspot_calls = sum(1 for r in budget if is_hubspot(r))
        result.destructive_calls = sum(1 for r in budget if is_destructive(r))
        for request in budget:
            if (why := scope_violation(request, granted)) is not None:
                result.scope_violations.append(why)
        result.model_calls = sum(t.model_calls for t in result.turns)
        if stopped:
            return result
        if isinstance(handler, Replayer) and (unused := handler.unused()):
            result.fail(f"stale recording: recorded model calls of turn(s) {unused} never happened")
        if isinstance(handler, SyntheticRecorder) and (unused := handler.unused()):
            result.fail(f"the cassette has responses for turn(s) {unused} that made no model call")
        deletes = [r for r in budget if r["method"] == "DELETE"]
        if deletes:
            result.fail(f"DELETE issued: {deletes[0]['method']} {deletes[0]['path']}")
        after = sandbox.state()
        final = check_final(loaded, refs, before, after, written_fields(budget, after))
        result.fields = final.fields
        if final.failures:
            result.fail(f"final {final.failures[0]}")
        if result.over_limit:
            result.fail(
                f"limits.hubspot_calls_max: expected at most {result.hubspot_calls_max}, got {result.hubspot_calls}"
            )
        if isinstance(handler, SyntheticRecorder) and handler.failure is None:
            write_cassette(loaded.cassette_path, handler.result())
        if isinstance(handler, RecordingChatModel):
            write_cassette(loaded.cassette_path, handler.cassette())
    finally:
        await stack.aclose()
        await portal.aclose()
    result.passed = result.failure is None
    return result


async def _run_turns(
    loaded: LoadedCase,
    options: RunOptions,
    result: CaseResult,
    service: AgentService,
    base_ctx: AgentContext,
    clock: EvalClock,
    log: _BudgetedLog,
    handler: Any,
    tracker: TurnTracker,
    thread: str,
) -> bool:
    """Run the turns; True when the case was stopped (runaway or stale recording)."""
    case = loaded.case
    planner = service.planner
    for index, turn in enumerate(case.turns):
        if index >= options.max_turns:
            result.fail(f"runaway: more than {options.max_turns} turns")
            return True
        if turn.advance is not None:
            clock.advance(turn.advance)
        tracker.turn = index
        pending_before = await service.pending(thread, base_ctx)
        start_len = len(log)
        calls_before = int(getattr(planner, "model_calls", 0))
        ctx = replace(base_ctx, now=clock())
        started = time.perf_counter()
        try:
            events = await asyncio.wait_for(
                service.handle(thread, ctx, _incoming(turn)), options.turn_timeout
            )
        except TimeoutError:
            result.fail(f"runaway: turn {index} ({turn.label}) took longer than {options.turn_timeout:.0f} s")
            return True
        latency = (time.perf_counter() - started) * 1000.0
        requests = list(log[start_len:])
        hubspot = [r for r in requests if is_hubspot(r)]
        writes = [r for r in hubspot if is_write(r)]
        pending_after = await service.pending(thread, base_ctx)
        turn_result = TurnResult(
            index=index,
            label=turn.label,
            events=[e.to_json_line() for e in events],
            requests=[{k: r.get(k) for k in ("method", "path", "status", "json", "time")} for r in hubspot],
            writes=len(writes),
            model_calls=int(getattr(planner, "model_calls", 0)) - calls_before,
            latency_ms=latency,
            pending=(pending_after or {}).get("kind") if pending_after else None,
        )
        result.turns.append(turn_result)
        result.writes_total += len(writes)
        requester = str(((pending_before or {}).get("requester") or {}).get("user_id", ""))
        quick_reject = turn.user is not None and reads_as_refusal(turn.user)
        result.writes_confirmed += confirmed_writes(writes, pending_before, turn, requester, quick_reject)
        clarified = turn_result.pending == "clarify"
        if turn.expect.clarify is not None or clarified:
            result.clarify_checked += 1
            result.clarify_correct += int(
                turn.expect.clarify is not None and turn.expect.clarify == clarified
            )
        if log.exceeded:
            result.fail(f"runaway: turn {index} ({turn.label}) sent more than {log.budget} HubSpot calls")
            return True
        failure = getattr(handler, "failure", None)
        if isinstance(failure, CassetteError):
            result.fail(str(failure))
            return True
        if turn_result.model_calls > MAX_MODEL_CALLS_PER_TURN:
            result.fail(f"runaway: turn {index} made {turn_result.model_calls} model calls")
            return True
        if (problem := _check_turn(turn, turn_result, events)) is not None:
            turn_result.failure = problem
            result.fail(f"turn {index} ({turn.label}): {problem}")
    return False


# --------------------------------------------------------------------------- running many


async def run_cases(
    cases: Sequence[LoadedCase],
    options: RunOptions,
    *,
    settings: Settings | None = None,
    planner: PlannerFactory | None = None,
    on_done: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run every case ``options.repeat`` times, in ``options.jobs`` worker processes.

    With one job, or a ``planner`` factory (tests script plans with functions that stay in this
    process), the cases run in this process instead, ``jobs`` at a time on its event loop.

    Returns:
        One result per case and attempt, in case order then attempt order.
    """
    settings = settings or Settings()  # read once: building settings costs more than a turn
    runs = [(c, k) for c in cases for k in range(max(1, options.repeat))]
    if options.jobs > 1 and planner is None and len(runs) > 1:
        return await _run_in_workers(runs, options, settings, on_done)
    limit = asyncio.Semaphore(max(1, options.jobs))

    async def one(loaded: LoadedCase, attempt: int) -> CaseResult:
        async with limit:
            outcome = await _run_reporting_crashes(loaded, options, settings, planner, attempt)
        if on_done is not None:
            on_done(outcome)
        return outcome

    return list(await asyncio.gather(*(one(c, k) for c, k in runs)))


async def _run_reporting_crashes(
    loaded: LoadedCase,
    options: RunOptions,
    settings: Settings,
    planner: PlannerFactory | None,
    attempt: int,
) -> CaseResult:
    """:func:`run_case`; a harness or agent crash fails this case, not the run."""
    try:
        return await run_case(loaded, options, settings=settings, planner=planner, attempt=attempt)
    except Exception as exc:
        return _crashed(loaded, attempt, exc)


def _crashed(loaded: LoadedCase, attempt: int, exc: BaseException) -> CaseResult:
    outcome = CaseResult(id=loaded.case.id, title=loaded.case.title, tags=list(loaded.case.tags))
    outcome.fail(f"crashed: {type(exc).__name__}: {exc}")
    outcome.attempt = attempt
    return outcome


# --------------------------------------------------------------------------- worker processes


def _worker_context() -> BaseContext:
    """How worker processes start: forked, so they begin with everything this process imported.

    Forking is safe only while this process runs no other thread (a lock another thread held
    would stay held in the child forever); otherwise a fork server is used, which imports the
    runner once and forks the workers from there.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        context.set_forkserver_preload([__name__])
    return context


def _worker_started() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it hands out no more cases, the current ones end)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_in_worker(loaded: LoadedCase, options: RunOptions, settings: Settings, attempt: int) -> CaseResult:
    """One case in a worker process, on an event loop of its own."""
    return asyncio.run(_run_reporting_crashes(loaded, options, settings, None, attempt))


async def _run_in_workers(
    runs: Sequence[tuple[LoadedCase, int]],
    options: RunOptions,
    settings: Settings,
    on_done: Callable[[CaseResult], None] | None,
) -> list[CaseResult]:
    loop = asyncio.get_running_loop()
    jobs = min(options.jobs, len(runs))
    with ProcessPoolExecutor(jobs, mp_context=_worker_context(), initializer=_worker_started) as pool:
        # What this process built stays out of the children's collections, so their pages stay
        # shared (the first submit starts the workers); unless it was frozen already (the eval
        # command settles after start-up), this process collects it again afterwards.
        frozen = gc.get_freeze_count() > 0
        gc.freeze()
        try:
            futures = [
                loop.run_in_executor(pool, _run_in_worker, loaded, options, settings, attempt)
                for loaded, attempt in runs
            ]
        finally:
            if not frozen:
                gc.unfreeze()

        async def one(index: int) -> CaseResult:
            loaded, attempt = runs[index]
            try:
                outcome = await futures[index]
            except Exception as exc:  # a worker died: its case fails, not the run
                outcome = _crashed(loaded, attempt, exc)
            if on_done is not None:
                on_done(outcome)
            return outcome

        return list(await asyncio.gather(*(one(i) for i in range(len(runs)))))

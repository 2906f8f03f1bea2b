"""``alysio-agent eval``: select cases, run them with a progress bar, print and write the report."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evals.case import CaseFileError, LoadedCase, load_cases
from evals.report import Report, build_report, print_report, write_report
from evals.runner import CaseResult, Mode, PlannerFactory, RunOptions, run_cases
from tools.settings import Settings, load_settings

DEFAULT_CASES_DIR = Path("evals/cases")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class EvalRequest:
    """The command's options."""

    cases: Path = DEFAULT_CASES_DIR
    mode: Mode = "offline"
    synthetic: bool = False
    repeat: int = 1
    keyword: str | None = None
    tags: Sequence[str] = ()
    report: Path | None = None
    jobs: int = 4


def select(cases: Sequence[LoadedCase], keyword: str | None, tags: Sequence[str]) -> list[LoadedCase]:
    """Cases whose id contains ``keyword`` (case-insensitive) and that carry any of ``tags``."""
    chosen = list(cases)
    if keyword:
        chosen = [c for c in chosen if keyword.casefold() in c.case.id.casefold()]
    if tags:
        wanted = set(tags)
        chosen = [c for c in chosen if wanted & set(c.case.tags)]
    return chosen


def run_eval(
    request: EvalRequest,
    *,
    console: Console | None = None,
    err_console: Console | None = None,
    planner: PlannerFactory | None = None,
    on_ready: Callable[[], None] | None = None,
) -> tuple[int, Report | None]:
    """Run the selected cases and report; returns the exit code and the report.

    ``on_ready`` is called once the cases are loaded, before they run (the CLI settles the
    garbage collector there: :func:`agent.runtime.settle_after_startup`).

    Exit codes: 0 every case passed, 1 a case failed, 2 invalid case files or nothing selected.
    """
    out = console or Console()
    err = err_console or Console(stderr=True)
    root = logging.getLogger()
    if not root.handlers:
        # The agent logs a failed turn with its traceback; the report already names the failure.
        root.addHandler(logging.NullHandler())
    try:
        loaded = load_cases(request.cases)
    except (CaseFileError, FileNotFoundError) as exc:
        err.print(f"[red]Invalid eval cases[/red]\n{exc}", markup=True, highlight=False)
        return EXIT_USAGE, None
    chosen = select(loaded, request.keyword, request.tags)
    if not chosen:
        err.print(f"No eval case in {request.cases} matches the filters.")
        return EXIT_USAGE, None
    if request.synthetic and request.mode != "record":
        err.print("--synthetic only applies to --mode record.")
        return EXIT_USAGE, None
    options = RunOptions(
        mode=request.mode,
        synthetic=request.synthetic,
        repeat=max(1, request.repeat),
        jobs=max(1, request.jobs),
    )
    # Only a live recording reads the model endpoint from the environment.
    settings = load_settings() if request.mode == "record" and not request.synthetic else Settings()
    if on_ready is not None:
        on_ready()
    started = time.perf_counter()
    # Refreshed as cases finish rather than by Rich's refresh thread: a process with no other
    # thread can fork the worker processes (evals.runner).
    with Progress(
        TextColumn("[bold]eval[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        auto_refresh=False,
    ) as progress:
        task = progress.add_task(request.mode, total=len(chosen) * options.repeat)
        progress.refresh()

        def done(result: CaseResult) -> None:
            progress.advance(task)
            if not result.passed:
                progress.console.print(f"[red]FAIL[/red] {result.id}: {result.failure}", highlight=False)
            progress.refresh()

        results = asyncio.run(run_cases(chosen, options, settings=settings, planner=planner, on_done=done))
    report = build_report(results, options, seconds=time.perf_counter() - started)
    print_report(report, out)
    if request.report is not None:
        json_path, md_path = write_report(report, request.report)
        out.print(f"Report written to {json_path} and {md_path}")
    if request.mode == "record":
        out.print(f"Cassettes written beside the cases ({'synthetic' if request.synthetic else 'live'}).")
    return (EXIT_FAILED if report.failed else EXIT_OK), report

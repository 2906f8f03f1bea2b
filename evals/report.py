"""The eval report: totals, one line per case, and the ``--report PATH`` files (``PATH.json``, ``PATH.md``).

The JSON has a top-level ``summary`` with exactly :data:`SUMMARY_KEYS` and a ``cases`` list whose
entries have exactly :data:`CASE_KEYS` (``EVAL_CASES.md``); everything else (mode, synthetic
recordings, scope-violation details, tags) is under ``run``.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from evals.runner import CaseResult, RunOptions

SUMMARY_KEYS: Final = (
    "cases",
    "passed",
    "success_rate",
    "pass_hat_k",
    "confirmation_compliance",
    "scope_violations",
    "destructive_calls",
    "write_precision",
    "write_recall",
    "clarification_accuracy",
    "hubspot_calls",
    "hubspot_calls_over_limit",
    "model_calls_per_turn",
    "latency_p50_ms",
    "latency_p95_ms",
)
CASE_KEYS: Final = ("id", "passed", "failure", "hubspot_calls", "turns")


def _ratio(numerator: int, denominator: int) -> float:
    """A rate rounded to 4 places; 1.0 when there was nothing to measure."""
    return round(numerator / denominator, 4) if denominator else 1.0


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (``q`` in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 1)


@dataclass(frozen=True)
class Report:
    """Aggregated results of a run."""

    summary: dict[str, Any]
    cases: list[dict[str, Any]]
    run: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "cases": self.cases, "run": self.run}

    @property
    def failed(self) -> bool:
        return bool(self.summary["passed"] < self.summary["cases"])


def build_report(results: Sequence[CaseResult], options: RunOptions, *, seconds: float = 0.0) -> Report:
    """Aggregate per-run results (several per case with ``--repeat``) into the report."""
    by_case: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        by_case[r.id].append(r)
    runs = len(results)
    passed_runs = sum(r.passed for r in results)
    passed_cases = sum(all(r.passed for r in attempts) for attempts in by_case.values())
    fields_tp = sum(r.fields.true_positive for r in results)
    fields_fp = sum(r.fields.false_positive for r in results)
    fields_fn = sum(r.fields.false_negative for r in results)
    turns = [t for r in results for t in r.turns]
    latencies = [t.latency_ms for t in turns]
    summary = {
        "cases": len(by_case),
        "passed": passed_cases,
        "success_rate": _ratio(passed_runs, runs),
        "pass_hat_k": _ratio(passed_cases, len(by_case)),
        "confirmation_compliance": _ratio(
            sum(r.writes_confirmed for r in results), sum(r.writes_total for r in results)
        ),
        "scope_violations": sum(len(r.scope_violations) for r in results),
        "destructive_calls": sum(r.destructive_calls for r in results),
        "write_precision": _ratio(fields_tp, fields_tp + fields_fp),
        "write_recall": _ratio(fields_tp, fields_tp + fields_fn),
        "clarification_accuracy": _ratio(
            sum(r.clarify_correct for r in results), sum(r.clarify_checked for r in results)
        ),
        "hubspot_calls": sum(r.hubspot_calls for r in results),
        "hubspot_calls_over_limit": sum(r.over_limit for r in results),
        "model_calls_per_turn": round(sum(r.model_calls for r in results) / len(turns), 3) if turns else 0.0,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }
    cases = []
    for case_id, attempts in by_case.items():
        failure = next((a.failure for a in attempts if a.failure), None)
        cases.append(
            {
                "id": case_id,
                "passed": all(a.passed for a in attempts),
                "failure": failure,
                "hubspot_calls": max(a.hubspot_calls for a in attempts),
                "turns": max(len(a.turns) for a in attempts),
            }
        )
    tags: dict[str, dict[str, int]] = defaultdict(lambda: {"cases": 0, "passed": 0})
    for attempts in by_case.values():
        for tag in attempts[0].tags or ["(untagged)"]:
            tags[tag]["cases"] += 1
            tags[tag]["passed"] += int(all(a.passed for a in attempts))
    run = {
        "mode": options.mode,
        "repeat": max(1, options.repeat),
        "jobs": options.jobs,
        "seconds": round(seconds, 2),
        "synthetic_recordings": sum(1 for a in by_case.values() if a[0].synthetic),
        "turns": len(turns),
        "model_calls": sum(r.model_calls for r in results),
        "writes": sum(r.writes_total for r in results),
        "writes_confirmed": sum(r.writes_confirmed for r in results),
        "scope_violation_requests": sorted({f"{r.id}: {v}" for r in results for v in r.scope_violations}),
        "over_limit": sorted({r.id for r in results if r.over_limit}),
        "tags": dict(sorted(tags.items())),
        "failed_turns": {r.id: _turn_log(r) for r in results if not r.passed and r.attempt == 0},
    }
    return Report(summary=summary, cases=cases, run=run)


def _turn_log(result: CaseResult) -> list[dict[str, Any]]:
    """What each turn of a failed run did, to debug it without re-running."""
    return [
        {
            "turn": t.index,
            "input": t.label,
            "pending": t.pending,
            "writes": t.writes,
            "requests": [f"{r['method']} {r['path']} -> {r['status']}" for r in t.requests],
            "reply": " | ".join(str(e["text"]) for e in t.events)[:600],
            "failure": t.failure,
        }
        for t in result.turns
    ]


_LABELS: Final = {
    "cases": "Cases",
    "passed": "Passed",
    "success_rate": "Success rate",
    "pass_hat_k": "pass^k",
    "confirmation_compliance": "Confirmation compliance",
    "scope_violations": "Scope violations",
    "destructive_calls": "Destructive calls",
    "write_precision": "Write precision (field level)",
    "write_recall": "Write recall (field level)",
    "clarification_accuracy": "Clarification accuracy",
    "hubspot_calls": "HubSpot calls",
    "hubspot_calls_over_limit": "Cases over their call limit",
    "model_calls_per_turn": "Model calls per user turn",
    "latency_p50_ms": "Turn latency p50 (ms)",
    "latency_p95_ms": "Turn latency p95 (ms)",
}


def _shown(key: str, value: Any, report: Report) -> str:
    if key == "pass_hat_k":
        return f"{value:.1%} (k={report.run['repeat']})"
    if key == "hubspot_calls" and report.summary["cases"]:
        return f"{value} ({value / max(1, report.run['repeat']) / report.summary['cases']:.1f} per case)"
    if isinstance(value, float) and key not in ("model_calls_per_turn",) and not key.endswith("_ms"):
        return f"{value:.1%}"
    return str(value)


def print_report(report: Report, console: Console) -> None:
    """The per-case table (first failed expectation), then the totals."""
    table = Table(title="Eval cases", show_lines=False)
    table.add_column("case", overflow="fold")
    table.add_column("result")
    table.add_column("calls", justify="right")
    table.add_column("turns", justify="right")
    table.add_column("first failed expectation (expected vs actual)", overflow="fold")
    for c in report.cases:
        table.add_row(
            c["id"],
            "[green]pass[/green]" if c["passed"] else "[red]FAIL[/red]",
            str(c["hubspot_calls"]),
            str(c["turns"]),
            c["failure"] or "",
        )
    console.print(table)
    totals = Table(title=f"Totals ({report.run['mode']} mode)")
    totals.add_column("metric")
    totals.add_column("value", justify="right")
    for key in SUMMARY_KEYS:
        totals.add_row(_LABELS[key], _shown(key, report.summary[key], report))
    totals.add_row("Cases on synthetic recordings", str(report.run["synthetic_recordings"]))
    console.print(totals)
    for line in report.run["scope_violation_requests"][:20]:
        console.print(f"[red]scope violation[/red] {line}")


def render_markdown(report: Report) -> str:
    """The report as Markdown (``PATH.md``)."""
    lines = [
        "# Eval report",
        "",
        f"Mode `{report.run['mode']}`, repeat {report.run['repeat']}, {report.summary['cases']} cases, "
        f"{report.run['turns']} turns, {report.run['seconds']} s. "
        f"Cases on synthetic recordings: {report.run['synthetic_recordings']}.",
        "",
        "| metric | value |",
        "|---|---:|",
    ]
    lines += [f"| {_LABELS[k]} | {_shown(k, report.summary[k], report)} |" for k in SUMMARY_KEYS]
    lines += ["", "## Cases", "", "| case | result | HubSpot calls | turns | first failed expectation |"]
    lines += ["|---|---|---:|---:|---|"]
    for c in report.cases:
        failure = (c["failure"] or "").replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {c['id']} | {'pass' if c['passed'] else '**FAIL**'} | {c['hubspot_calls']} | {c['turns']} | {failure} |"
        )
    lines += ["", "## Coverage by tag", "", "| tag | cases | passed |", "|---|---:|---:|"]
    lines += [f"| {tag} | {n['cases']} | {n['passed']} |" for tag, n in report.run["tags"].items()]
    if report.run["scope_violation_requests"]:
        lines += ["", "## Scope violations", ""]
        lines += [f"- {v}" for v in report.run["scope_violation_requests"]]
    return "\n".join(lines) + "\n"


def write_report(report: Report, path: Path) -> tuple[Path, Path]:
    """Write ``PATH.json`` and ``PATH.md`` (``path`` without its suffix); returns both paths."""
    base = path.with_suffix("") if path.suffix in (".json", ".md") else path
    base.parent.mkdir(parents=True, exist_ok=True)
    json_path, md_path = base.with_name(base.name + ".json"), base.with_name(base.name + ".md")
    json_path.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path

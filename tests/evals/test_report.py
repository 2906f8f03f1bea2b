"""The report's exact keys, the metrics' definitions, the exit code and the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from adapters.cli.app import app
from evals.case import By, parse_case
from evals.checks import confirmed_writes, scope_violation
from evals.command import EvalRequest, run_eval
from evals.report import CASE_KEYS, SUMMARY_KEYS, build_report, percentile
from evals.runner import CaseResult, RunOptions, TurnResult
from tests.evals.conftest import CASES_DIR, case_text
from tests.fakes import FakeOpenAIServer, ModelResponse, ModelScript
from tests.fakes.builders import deal_for_acme

# The runner signs Paragon tokens with a short test key on purpose (evals.runner._paragon_keys).
pytestmark = pytest.mark.filterwarnings("ignore:The RSA key is 1024 bits long")

# The key list exactly as EVAL_CASES.md writes it (kept as text so it can be compared by eye).
SPEC_SUMMARY_KEYS = (  # noqa: SIM905
    "cases, passed, success_rate, pass_hat_k, confirmation_compliance, scope_violations, destructive_calls, "
    "write_precision, write_recall, clarification_accuracy, hubspot_calls, hubspot_calls_over_limit, "
    "model_calls_per_turn, latency_p50_ms, latency_p95_ms"
).split(", ")


def _copy_examples(tmp_path: Path) -> Path:
    cases = tmp_path / "cases"
    shutil.copytree(CASES_DIR, cases)
    return cases


def test_report_json_has_exactly_the_specified_keys(tmp_path: Path) -> None:
    code, report = run_eval(EvalRequest(cases=CASES_DIR, report=tmp_path / "out" / "eval"))
    assert code == 0 and report is not None
    data = json.loads((tmp_path / "out" / "eval.json").read_text())
    assert list(data["summary"]) == SPEC_SUMMARY_KEYS == list(SUMMARY_KEYS)
    assert [list(c) for c in data["cases"]] == [list(CASE_KEYS)] * 5
    assert {c["id"] for c in data["cases"]} == {
        "company-merge-then-link",
        "contact-clarify-then-update",
        "deal-create-known-company",
        "question-open-deals-count",
        "revoked-connection",
    }
    assert data["summary"]["cases"] == data["summary"]["passed"] == 5
    assert data["summary"]["success_rate"] == data["summary"]["pass_hat_k"] == 1.0
    assert data["summary"]["confirmation_compliance"] == 1.0
    assert data["summary"]["scope_violations"] == data["summary"]["destructive_calls"] == 0
    assert data["summary"]["hubspot_calls"] == sum(c["hubspot_calls"] for c in data["cases"])
    markdown = (tmp_path / "out" / "eval.md").read_text()
    assert "| Confirmation compliance | 100.0% |" in markdown and "## Coverage by tag" in markdown


def test_a_failing_case_makes_the_exit_code_non_zero(tmp_path: Path) -> None:
    cases = _copy_examples(tmp_path)
    path = cases / "deal-create-known-company.yaml"
    path.write_text(path.read_text().replace("writes: 1", "writes: 2"))
    code, report = run_eval(EvalRequest(cases=cases, keyword="deal-create"))
    assert code == 1 and report is not None
    assert report.cases == [
        {
            "id": "deal-create-known-company",
            "passed": False,
            "failure": "turn 1 ('yes'): writes: expected 2, got 1",
            "hubspot_calls": 2,
            "turns": 2,
        }
    ]


def test_invalid_case_files_exit_with_2_and_name_the_mistake(tmp_path: Path) -> None:
    cases = _copy_examples(tmp_path)
    path = cases / "revoked-connection.yaml"
    path.write_text(path.read_text().replace("connection: revoked", "conection: revoked"))
    result = CliRunner().invoke(app, ["eval", "--cases", str(cases)])
    assert result.exit_code == 2
    line = path.read_text().splitlines().index("  conection: revoked") + 1
    assert f"{path}:{line}: context.conection: Extra inputs are not permitted" in result.output.replace(
        "\n", ""
    )


def test_the_command_filters_by_keyword_and_tag_and_replays(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "eval",
            "--cases",
            str(CASES_DIR),
            "--mode",
            "replay",
            "--tag",
            "read",
            "--report",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert [c["id"] for c in data["cases"]] == ["question-open-deals-count"]
    assert data["run"]["synthetic_recordings"] == 1 and data["summary"]["model_calls_per_turn"] == 1.0
    assert runner.invoke(app, ["eval", "--cases", str(CASES_DIR), "-k", "nothing-like-this"]).exit_code == 2


def test_record_synthetic_fills_in_the_requests_of_written_responses(tmp_path: Path) -> None:
    cases = _copy_examples(tmp_path)
    cassette = cases / "question-open-deals-count.cassette.yaml"
    code, _ = run_eval(EvalRequest(cases=cases, mode="replay", keyword="question"))
    assert code == 0
    data = yaml.safe_load(cassette.read_text())
    for exchange in data["exchanges"]:
        exchange.pop("request", None)
    cassette.write_text(yaml.safe_dump(data))
    code, report = run_eval(EvalRequest(cases=cases, mode="replay", keyword="question"))
    assert code == 1 and report is not None and "has no request" in str(report.cases[0]["failure"])
    code, _ = run_eval(EvalRequest(cases=cases, mode="record", synthetic=True, keyword="question"))
    assert code == 0
    refreshed = cassette.read_text()
    assert "source: synthetic" in refreshed and "schema: plan" in refreshed
    assert "how many open deals does Globex have?" in refreshed
    code, _ = run_eval(EvalRequest(cases=cases, mode="replay", keyword="question"))
    assert code == 0


def _result(case_id: str, passed: bool, **kw: object) -> CaseResult:
    result = CaseResult(id=case_id, title="", tags=["t"], passed=passed, **kw)  # type: ignore[arg-type]
    if not passed:
        result.failure = "x"
    return result


def test_pass_hat_k_needs_every_repeat_to_pass_and_rates_are_defined() -> None:
    turn = TurnResult(0, "'hi'", [], [], 0, 1, 10.0, None)
    results = [
        _result("a", True, turns=[turn]),
        _result("a", True, turns=[turn]),
        _result("b", True, turns=[turn]),
        _result("b", False, turns=[turn], writes_total=2, writes_confirmed=1),
    ]
    report = build_report(results, RunOptions(repeat=2))
    summary = report.summary
    assert (summary["cases"], summary["passed"]) == (2, 1)
    assert summary["success_rate"] == 0.75 and summary["pass_hat_k"] == 0.5
    assert summary["confirmation_compliance"] == 0.5
    assert summary["write_precision"] == summary["write_recall"] == 1.0  # nothing written: nothing wrong
    assert summary["model_calls_per_turn"] == 0.0 and summary["latency_p50_ms"] == 10.0
    assert percentile([1, 2, 3, 4, 100], 95) == 100 and percentile([], 50) == 0.0


def test_scope_violations_are_judged_from_the_scope_table() -> None:
    granted = frozenset({"crm.objects.contacts.read", "crm.objects.companies.read"})

    def request(method: str, path: str, **extra: object) -> dict[str, object]:
        return {"method": method, "path": path, "query": {}, "json": None, **extra}

    assert scope_violation(request("POST", "/crm/v3/objects/contacts/search"), granted) is None
    assert scope_violation(request("POST", "/crm/v3/objects/notes/search"), granted) is None  # via contacts
    assert scope_violation(request("POST", "/crm/v3/objects/deals"), granted) == (
        "POST /crm/v3/objects/deals: needs crm.objects.deals.write"
    )
    assert scope_violation(request("GET", "/crm/v3/owners"), granted) is not None
    emails = request("POST", "/crm/v3/objects/emails/search", json={"properties": ["hs_email_text"]})
    assert "sales-email-read" in str(scope_violation(emails, granted))
    assert scope_violation(request("GET", "/crm/v3/objects/widgets/1"), granted) is not None
    assert scope_violation(request("GET", "/projects/p/sdk/me"), granted) is None  # Paragon's, not HubSpot's


def test_a_write_is_confirmed_only_when_it_is_exactly_the_approved_step() -> None:
    case = parse_case(case_text("deal-create-known-company"), Path("c.yaml"))
    yes = case.turns[1]
    step = {
        "op": "create",
        "object_type": "deals",
        "target": None,
        "properties": {"dealname": "Acme expansion", "amount": "50000"},
        "associations": [{"object_type": "companies", "id": "7", "label": "Acme Corp"}],
    }
    proposal = {"kind": "confirm", "steps": [step], "requester": {"user_id": "u-alex"}}
    properties: dict[str, str] = {"dealname": "Acme expansion", "amount": "50000"}
    assert step["properties"] == properties
    body = {"properties": properties, "associations": [{"to": {"id": "7"}, "types": []}]}
    sent = {"method": "POST", "path": "/crm/v3/objects/deals", "status": 201, "json": body}
    assert confirmed_writes([sent], proposal, yes, "u-alex", quick_reject=False) == 1
    changed = {**sent, "json": {**body, "properties": {"dealname": "Acme expansion", "amount": "90000"}}}
    assert confirmed_writes([changed], proposal, yes, "u-alex", quick_reject=False) == 0
    assert confirmed_writes([sent, sent], proposal, yes, "u-alex", quick_reject=False) == 1  # sent twice
    assert confirmed_writes([sent], None, yes, "u-alex", quick_reject=False) == 0  # nothing was proposed
    assert confirmed_writes([sent], proposal, yes, "u-alex", quick_reject=True) == 0  # "no"
    from_sam = yes.model_copy(update={"by": By(id="u-sam")})
    assert (
        confirmed_writes([sent], proposal, from_sam, "u-alex", quick_reject=False) == 0
    )  # not the requester


def test_record_mode_writes_a_live_cassette_that_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = _copy_examples(tmp_path)
    cassette = cases / "deal-create-known-company.cassette.yaml"
    cassette.unlink()
    script = ModelScript().add(ModelResponse.structured(deal_for_acme()))
    with FakeOpenAIServer(script) as server:
        monkeypatch.setenv("ALYSIO_OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("ALYSIO_OPENAI_BASE_URL", server.base_url)
        code, report = run_eval(EvalRequest(cases=cases, mode="record", keyword="deal-create"))
    assert code == 0, report
    script.assert_done()
    recorded = yaml.safe_load(cassette.read_text())
    assert recorded["source"] == "live"
    (exchange,) = recorded["exchanges"]
    assert exchange["turn"] == 0 and exchange["request"]["schema"] == "plan"
    assert exchange["response"]["plan"]["intent"] == "create"
    code, report = run_eval(EvalRequest(cases=cases, mode="replay", keyword="deal-create"))
    assert code == 0 and report is not None and report.run["synthetic_recordings"] == 0

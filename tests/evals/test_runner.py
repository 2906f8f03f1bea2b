"""The runner: passing cases, and a case that must fail for each kind of expectation."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

import evals.runner as runner_module
from agent.plan import Plan
from evals.case import load_cases
from evals.runner import CaseResult, EvalClock, RunOptions, run_case, run_cases
from tests.evals.conftest import CASES_DIR, case_text, loaded_from, scripted
from tests.fakes.builders import deal_for_acme, update_plan

# The runner signs Paragon tokens with a short test key on purpose (evals.runner._paragon_keys).
pytestmark = pytest.mark.filterwarnings("ignore:The RSA key is 1024 bits long")

OFFLINE = RunOptions(mode="offline")
REPLAY = RunOptions(mode="replay")


async def run_text(text: str, options: RunOptions = OFFLINE, **kw: object) -> CaseResult:
    return await run_case(loaded_from(text), options, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("options", [OFFLINE, REPLAY], ids=["offline", "replay"])
async def test_the_example_cases_pass(options: RunOptions) -> None:
    results = await run_cases(load_cases(CASES_DIR), options)
    assert [(r.id, r.failure) for r in results if not r.passed] == []
    assert all(r.writes_confirmed == r.writes_total for r in results)
    assert not any(r.scope_violations or r.destructive_calls for r in results)
    assert all(r.synthetic == (options.mode == "replay") for r in results)


async def test_a_passing_case_captures_requests_writes_and_calls(deal_case_text: str) -> None:
    result = await run_text(deal_case_text)
    assert result.passed, result.failure
    ask, approve = result.turns
    assert (ask.pending, ask.writes, approve.pending, approve.writes) == ("confirm", 0, None, 1)
    assert [(r["method"], r["path"]) for r in ask.requests] == [("POST", "/crm/v3/objects/companies/search")]
    assert [(r["method"], r["path"]) for r in approve.requests] == [("POST", "/crm/v3/objects/deals")]
    assert result.hubspot_calls == 2 and (result.writes_total, result.writes_confirmed) == (1, 1)
    assert (result.fields.true_positive, result.fields.false_positive, result.fields.false_negative) == (
        3,
        0,
        0,
    )
    assert all(t.latency_ms > 0 for t in result.turns)


async def test_wrong_confirm_fails_naming_expected_and_actual(deal_case_text: str) -> None:
    result = await run_text(deal_case_text.replace("confirm: true", "confirm: false"))
    assert not result.passed
    assert result.failure == (
        "turn 0 ('Create a new deal for Acme Corp called Acme expansion, 50k'): confirm: expected false, got true"
    )


async def test_an_extra_write_in_a_turn_fails(deal_case_text: str) -> None:
    result = await run_text(deal_case_text.replace("writes: 1", "writes: 0"))
    assert result.failure == "turn 1 ('yes'): writes: expected 0, got 1"


async def test_a_created_record_not_listed_fails(deal_case_text: str) -> None:
    text = deal_case_text.split("final:")[0] + "final:\n  created: []\n"
    result = await run_text(text)
    assert result.failure == "final created: 1 new deals record(s), expected 0 (extra: 'Acme expansion')"


async def test_a_missing_created_record_fails(deal_case_text: str) -> None:
    text = deal_case_text.replace(
        "  updated: []", "    - type: tasks\n      properties: {hs_task_subject: Call Jane}\n  updated: []"
    )
    result = await run_text(text)
    assert result.failure is not None
    assert result.failure.startswith("final created: no new tasks record fits {hs_task_subject='Call Jane'}")


async def test_a_created_record_with_a_wrong_value_names_the_field(deal_case_text: str) -> None:
    result = await run_text(deal_case_text.replace('amount: "50000"', 'amount: "60000"'))
    assert result.failure is not None
    assert "closest is 'Acme expansion': amount: expected '60000', got '50000'" in result.failure
    assert result.fields.false_negative == 3  # the expected record matched nothing


async def test_an_unexpected_update_fails() -> None:
    text = case_text("deal-create-known-company").split("turns:")[0] + (
        'turns:\n  - user: "Jane\'s last name is Smith now"\n  - action: approve\n'
    )
    rename = update_plan("contacts", "Jane Doe", lastname="Smith")
    result = await run_text(text, planner=scripted(rename))
    assert (
        result.failure
        == "final updated: contacts jane changed but is not listed (lastname: 'Doe' -> 'Smith')"
    )
    assert result.fields.false_positive == 1
    listed = text + "final:\n  updated:\n    - {ref: jane, properties: {lastname: Smith}}\n"
    assert (await run_text(listed, planner=scripted(rename))).passed


async def test_a_delete_request_fails_the_case(deal_case_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    portals = []
    real_open = runner_module.open_case_portal

    def keep(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        portal = real_open(*args, **kwargs)  # type: ignore[arg-type]
        portals.append(portal)
        return portal

    monkeypatch.setattr(runner_module, "open_case_portal", keep)

    class Deleter:
        """A stand-in for a broken tool layer: a DELETE is sent while the turn runs."""

        name = "deleter"

        async def plan(self, message: str, given: object) -> Plan:
            transport = httpx.ASGITransport(app=portals[0].app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as raw:
                token = portals[0].sandbox.create_token()
                await raw.delete("/crm/v3/objects/contacts/1", headers={"Authorization": f"Bearer {token}"})
            return deal_for_acme()

    def factory(loaded: object, tracker: object) -> tuple[Deleter, None]:
        return Deleter(), None

    text = deal_case_text.split('  - user: "yes"')[0]
    text += "final:\n  created: []\n"
    result = await run_text(text, planner=factory)
    assert result.failure == "DELETE issued: DELETE /crm/v3/objects/contacts/1"
    assert result.destructive_calls == 1


async def test_going_over_the_call_limit_fails(deal_case_text: str) -> None:
    result = await run_text(deal_case_text.replace("hubspot_calls_max: 2", "hubspot_calls_max: 1"))
    assert result.failure == "limits.hubspot_calls_max: expected at most 1, got 2"
    assert result.over_limit


async def test_a_runaway_case_is_stopped_at_the_call_budget(deal_case_text: str) -> None:
    result = await run_text(deal_case_text, RunOptions(max_hubspot_calls=1))
    assert result.failure == "runaway: turn 1 ('yes') sent more than 1 HubSpot calls"
    assert len(result.turns) == 2

    result = await run_text(deal_case_text, RunOptions(max_turns=1))
    assert result.failure == "runaway: more than 1 turns" and len(result.turns) == 1


async def test_a_wrong_error_kind_fails() -> None:
    passed = await run_text(case_text("revoked-connection"))
    assert passed.passed, passed.failure
    result = await run_text(
        case_text("revoked-connection").replace("error: reconnect", "error: missing_scope")
    )
    assert result.failure is not None and result.failure.endswith(
        "error: expected missing_scope, got reconnect"
    )


async def test_reply_contains_and_not_contains_ignore_case() -> None:
    text = case_text("question-open-deals-count")
    assert (await run_text(text.replace('["1 open deal"]', '["1 OPEN DEAL"]'))).passed
    failed = await run_text(
        text.replace('reply_contains: ["1 open deal"]', 'reply_not_contains: ["OPEN deal"]')
    )
    assert failed.failure is not None and "reply_not_contains: 'OPEN deal' is in the reply" in failed.failure
    missing = await run_text(text.replace('["1 open deal"]', '["2 open deals"]'))
    assert (
        missing.failure is not None and "reply_contains: '2 open deals' not in the reply" in missing.failure
    )


async def test_a_clarify_expectation_is_checked_and_counted() -> None:
    text = case_text("contact-clarify-then-update")
    good = await run_text(text)
    assert good.passed, good.failure
    assert (good.clarify_checked, good.clarify_correct) == (1, 1)
    bad = await run_text(
        text.replace("expect: {clarify: true, confirm: false", "expect: {clarify: false, confirm: false")
    )
    assert bad.failure is not None and bad.failure.endswith("clarify: expected false, got true")
    assert (bad.clarify_checked, bad.clarify_correct) == (1, 0)


async def test_an_edit_before_approval_is_written_as_edited(deal_case_text: str) -> None:
    text = deal_case_text.replace(
        '  - user: "yes"',
        '  - action: {edit: {amount: "60000"}}\n    expect: {confirm: true, writes: 0}\n  - action: approve',
    ).replace('amount: "50000", pipeline', 'amount: "60000", pipeline')
    result = await run_text(text.replace("hubspot_calls_max: 2", "hubspot_calls_max: 3"))
    assert result.passed, result.failure
    assert (result.writes_total, result.writes_confirmed) == (1, 1)


async def test_approval_by_another_user_is_not_a_confirmed_write(deal_case_text: str) -> None:
    text = deal_case_text.replace(
        '  - user: "yes"', "  - action: approve\n    by: {id: u-sam, email: sam@acme-sales.io}"
    )
    text = text.replace("confirm: false\n      writes: 1", "writes: 0\n      error: not_requester")
    text = text.split("final:")[0]
    result = await run_text(text)
    assert result.passed, result.failure
    assert result.writes_total == 0


async def test_a_changed_request_fails_replay_as_a_stale_recording(
    tmp_path: Path, deal_case_text: str
) -> None:
    shutil.copy(CASES_DIR / "deal-create-known-company.cassette.yaml", tmp_path)
    changed = deal_case_text.replace("called Acme expansion, 50k", "named Acme expansion, 50k")
    result = await run_case(loaded_from(changed, tmp_path), REPLAY)
    assert result.failure is not None
    assert result.failure.startswith("stale recording: the model request of turn 0 changed")
    assert (
        "\n-Create a new deal for Acme Corp called Acme expansion, 50k\n+Create a new deal for Acme Corp named"
        in (result.failure)
    )
    assert len(result.turns) == 1  # the case stops there


async def test_a_missing_cassette_fails_clearly(tmp_path: Path, deal_case_text: str) -> None:
    result = await run_case(loaded_from(deal_case_text, tmp_path), REPLAY)
    assert result.failure is not None
    assert result.failure.startswith("missing recording deal-create-known-company.cassette.yaml")


async def test_an_unused_recorded_call_is_stale(tmp_path: Path, deal_case_text: str) -> None:
    shutil.copy(CASES_DIR / "deal-create-known-company.cassette.yaml", tmp_path)
    one_turn = deal_case_text.split('  - user: "yes"')[0] + "final:\n  created: []\n"
    cassette = tmp_path / "deal-create-known-company.cassette.yaml"
    text = cassette.read_text()
    cassette.write_text(text + text.split("exchanges:\n")[1].replace("turn: 0", "turn: 1", 1))
    result = await run_case(loaded_from(one_turn, tmp_path), REPLAY)
    assert result.failure == "stale recording: recorded model calls of turn(s) [1] never happened"


@pytest.mark.parametrize(
    ("options", "failure"),
    [
        (REPLAY, "stale recording: turn 0 made a model call the cassette does not have"),
        (
            RunOptions(mode="record", synthetic=True),
            "turn 0 called the model but the cassette has no response for it",
        ),
    ],
    ids=["replay", "record-synthetic"],
)
async def test_a_model_call_the_cassette_lacks_fails_the_case(
    tmp_path: Path, deal_case_text: str, options: RunOptions, failure: str
) -> None:
    cassette = tmp_path / "deal-create-known-company.cassette.yaml"
    cassette.write_text("source: synthetic\nexchanges: []\n")
    result = await run_case(loaded_from(deal_case_text, tmp_path), options)
    assert result.failure == failure
    assert len(result.turns) == 1  # the case stops there
    assert cassette.read_text() == "source: synthetic\nexchanges: []\n"  # nothing is written


async def test_merges_and_links_are_checked_on_the_survivor() -> None:
    text = case_text("company-merge-then-link")
    passed = await run_text(text)
    assert passed.passed, passed.failure  # jane's primary company id now points at the survivor: no change
    swapped = text.replace("{primary: acme, merged: acme_dup}", "{primary: acme_dup, merged: acme}")
    result = await run_text(swapped)
    assert result.failure == "final merged: the survivor lost acme_dup's values for name"
    unlinked = text.replace("    - {from: dana, to: acme}\n", "    - {from: dana, to: jane}\n")
    result = await run_text(unlinked)
    assert result.failure == "final associated: dana is not linked to jane"


async def test_record_synthetic_flags_responses_no_model_call_asked_for(
    tmp_path: Path, deal_case_text: str
) -> None:
    cassette = tmp_path / "deal-create-known-company.cassette.yaml"
    shutil.copy(CASES_DIR / cassette.name, cassette)
    # "yes" is read without the model, so a written response for it is never asked for.
    cassette.write_text(
        cassette.read_text()
        + "- {turn: 1, response: {plan: {intent: answer, answer: {decision: approve}}}}\n"
    )
    result = await run_case(loaded_from(deal_case_text, tmp_path), RunOptions(mode="record", synthetic=True))
    assert result.failure is not None and "turn(s) [1] that made no model call" in result.failure


async def test_waits_pass_on_the_case_clock_and_never_in_real_time() -> None:
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    clock = EvalClock(start)
    began = time.perf_counter()
    await clock.sleep(30)
    clock.advance(timedelta(hours=25))
    assert clock() == start + timedelta(hours=25, seconds=30)
    assert time.perf_counter() - began < 1.0


async def test_an_advance_moves_the_clock_before_its_turn(deal_case_text: str) -> None:
    text = deal_case_text.replace('  - user: "yes"', '  - user: "yes"\n    advance: "25h"').replace(
        "confirm: false\n      writes: 1", "writes: 0\n      error: expired"
    )
    result = await run_text(text.split("final:")[0])
    assert result.passed, result.failure

"""Strict validation of the case format: every mistake names the file, the line and the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from evals.case import (
    CaseFileError,
    Contains,
    EditAction,
    IsSet,
    OnDate,
    OwnerRef,
    StageLabel,
    load_cases,
    parse_case,
)
from tests.evals.conftest import CASES_DIR, case_text

FILE = Path("cases/x.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(CaseFileError) as caught:
        parse_case(text, FILE)
    return [str(p) for p in caught.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_example_cases_load(deal_case_text: str) -> None:
    loaded = load_cases(CASES_DIR)
    assert {c.case.id for c in loaded} >= {"deal-create-known-company", "question-open-deals-count"}
    case = parse_case(deal_case_text, FILE)
    assert case.final.created[0].properties["amount"] == "50000"
    assert case.limits.hubspot_calls_max == 2


def test_a_typo_in_a_key_names_file_line_and_key(deal_case_text: str) -> None:
    text = deal_case_text.replace("confirm: true", "confrim: true")
    assert problems(text) == [
        f"{FILE}:{line_of(text, 'confrim')}: turns[0].expect.confrim: Extra inputs are not permitted"
    ]


def test_a_wrong_type_names_the_value_line(deal_case_text: str) -> None:
    text = deal_case_text.replace("writes: 1", "writes: one")
    (found,) = problems(text)
    assert found.startswith(f"{FILE}:{line_of(text, 'writes: one')}: turns[1].expect.writes: ")
    assert "integer" in found


def test_an_unknown_matcher_is_refused_with_its_name(deal_case_text: str) -> None:
    text = deal_case_text.replace('amount: "50000"', 'amount: {startswith: "5"}')
    (found,) = problems(text)
    assert found.startswith(f"{FILE}:{line_of(text, 'startswith')}: final.created[0].properties.amount: ")
    assert "unknown matcher ['startswith']" in found


def test_unknown_keys_are_errors_at_every_level(deal_case_text: str) -> None:
    text = deal_case_text.replace("limits:", "limit:").replace(
        "    - {ref: acme,", "    - {reff: x, ref: acme,"
    )
    found = problems(text)
    assert f"{FILE}:{line_of(text, 'limit:')}: limit: Extra inputs are not permitted" in found
    assert any(p.startswith(f"{FILE}:{line_of(text, 'reff')}: portal.companies[0].reff:") for p in found)


def test_an_unquoted_float_or_boolean_must_be_quoted(deal_case_text: str) -> None:
    (found,) = problems(deal_case_text.replace('amount: "50000"', "amount: 50000.0"))
    assert "final.created[0].properties.amount" in found and "quote" in found


def test_a_turn_needs_exactly_one_of_user_or_action(deal_case_text: str) -> None:
    text = deal_case_text.replace('  - user: "yes"', '  - user: "yes"\n    action: approve')
    (found,) = problems(text)
    line = line_of(text, 'user: "yes"')
    assert f"{FILE}:{line}: turns[1]: " in found and "exactly one" in found


def test_refs_in_final_must_exist_in_the_portal(deal_case_text: str) -> None:
    text = deal_case_text.replace(
        "associations: [{to: companies, ref: acme}]\n  updated",
        "associations: [{to: companies, ref: acmee}]\n  updated",
    )
    assert problems(text) == [
        f"{FILE}:{line_of(text, 'ref: acmee')}: final.created[0].associations[0].ref: no portal companies with ref 'acmee'"
    ]


def test_duplicate_keys_and_bad_yaml_are_reported_with_lines(deal_case_text: str) -> None:
    text = deal_case_text.replace("  timezone:", '  now: "2026-03-03T10:00:00Z"\n  timezone:')
    line = line_of(text, 'now: "2026-03-03')
    assert problems(text) == [f"{FILE}:{line}: context.now: duplicate key"]
    (found,) = problems("id: x\ntitle: [unclosed\n")
    assert found.startswith(f"{FILE}:3: (top level): not valid YAML")


def test_matchers_durations_edits_and_defaults_parse(deal_case_text: str) -> None:
    text = deal_case_text.replace(
        'properties: {dealname: "Acme expansion", amount: "50000", pipeline: "default"}',
        "properties: {dealname: {contains: Acme}, amount: 50000, closedate: {date: 2026-03-31},"
        " dealstage: {stage: Closed Won}, hubspot_owner_id: {owner: alex}, description: {set: true},"
        " pipeline: {icontains: DEF}}",
    ).replace(
        '  - user: "yes"',
        '  - action: {edit: {amount: 60000}}\n    advance: "1d2h"\n    by: {id: u-sam}\n  - user: "yes"',
    )
    case = parse_case(text, FILE)
    props = case.final.created[0].properties
    assert props["dealname"] == Contains(contains="Acme") and props["amount"] == "50000"
    assert isinstance(props["closedate"], OnDate) and str(props["closedate"].date) == "2026-03-31"
    assert props["dealstage"] == StageLabel(stage="Closed Won") and props["hubspot_owner_id"] == OwnerRef(
        owner="alex"
    )
    assert props["description"] == IsSet(set=True)
    edit = case.turns[1]
    assert edit.action == EditAction(edit={"amount": "60000"}) and edit.advance == timedelta(days=1, hours=2)
    assert edit.by is not None and edit.by.id == "u-sam"
    assert case.context.connection == "ok" and case.context.scopes == "default"


def test_duplicate_case_ids_across_files_are_refused(tmp_path: Path) -> None:
    text = case_text("revoked-connection")
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text)
    (tmp_path / "a.cassette.yaml").write_text("not: a case")  # cassettes are not cases
    with pytest.raises(CaseFileError) as caught:
        load_cases(tmp_path)
    (problem,) = caught.value.problems
    assert problem.file == tmp_path / "b.yaml" and "duplicate case id" in problem.message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b"id: bomb\na: &a [x, x, x, x, x, x, x, x, x]\n"
            + b"".join(
                f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n".encode()
                for p, n in zip("abcdefg", "bcdefgh", strict=True)
            ),
            "expands to more than",
        ),
        (b"id: x\x00\x00binary", "binary"),
        ("id: caf\xe9".encode("latin-1"), "not UTF-8"),
    ],
)
def test_hostile_case_files_are_refused_in_one_line(tmp_path: Path, content: bytes, reason: str) -> None:
    (tmp_path / "evil.yaml").write_bytes(content)
    with pytest.raises(CaseFileError) as caught:
        load_cases(tmp_path)
    (problem,) = caught.value.problems
    assert reason in problem.message and "\n" not in problem.message

"""Each property matcher of the case format, against HubSpot's string forms."""

from __future__ import annotations

from datetime import date

from evals.case import Contains, IContains, IsSet, OnDate, OwnerRef, StageLabel
from evals.matching import MatchContext, Portal, matches
from tools.sandbox import create_app

STATE = create_app("empty").sandbox.state()  # HubSpot's default pipeline and stages
CTX = MatchContext(refs={"alex": "41000003"}, timezone="America/New_York", portal=Portal(STATE))


def test_a_plain_string_is_compared_exactly() -> None:
    assert matches("50000", "50000", CTX)
    assert not matches("50000", "50000.0", CTX)
    assert not matches("Acme", "acme", CTX)
    assert not matches("50000", None, CTX)


def test_contains_is_case_sensitive_and_icontains_is_not() -> None:
    assert matches(Contains(contains="expansion"), "Acme expansion", CTX)
    assert not matches(Contains(contains="Expansion"), "Acme expansion", CTX)
    assert matches(IContains(icontains="EXPANSION"), "Acme expansion", CTX)
    assert not matches(IContains(icontains="renewal"), "Acme expansion", CTX)


def test_date_is_the_day_in_the_case_timezone() -> None:
    day = OnDate(date=date(2026, 3, 9))
    assert matches(day, "2026-03-09T16:00:00.000Z", CTX)  # noon in New York
    assert matches(day, "2026-03-10T03:59:00Z", CTX)  # still the 9th in New York
    assert not matches(day, "2026-03-10T05:00:00Z", CTX)
    assert matches(day, "2026-03-09", CTX)  # a date property
    assert matches(day, "1773072000000", CTX)  # epoch ms of 2026-03-09T16:00Z
    assert not matches(day, "not a date", CTX)


def test_owner_is_the_id_of_the_portal_owner_with_that_ref() -> None:
    assert matches(OwnerRef(owner="alex"), "41000003", CTX)
    assert not matches(OwnerRef(owner="alex"), "41000004", CTX)
    assert not matches(OwnerRef(owner="sam"), "41000003", CTX)


def test_stage_is_the_internal_id_of_the_stage_label() -> None:
    assert matches(StageLabel(stage="Contract Sent"), "contractsent", CTX)
    assert matches(StageLabel(stage="closed won"), "closedwon", CTX)
    assert not matches(StageLabel(stage="Closed Won"), "closedlost", CTX)
    assert not matches(StageLabel(stage="Contract Sent"), "Contract Sent", CTX)


def test_set_is_any_non_empty_value() -> None:
    assert matches(IsSet(set=True), "x", CTX)
    assert not matches(IsSet(set=True), "", CTX)
    assert not matches(IsSet(set=True), None, CTX)

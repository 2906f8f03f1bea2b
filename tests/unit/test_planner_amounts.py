"""Money amounts become HubSpot's plain decimal strings; numbers that are not money are left alone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from agent.planners.base import PlanningInput
from agent.planners.offline import plan_message
from agent.planners.offline.amounts import find_amounts, format_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50k", "50000"),
        ("50K", "50000"),
        ("12.5K", "12500"),
        ("$1.2M", "1200000"),
        ("1.5m", "1500000"),
        ("2mm", "2000000"),
        ("2.5 mil", "2500000"),
        ("3 million", "3000000"),
        ("1.2 billion", "1200000000"),
        ("1,500", "1500"),
        ("$75,000.50", "75000.5"),
        ("$500", "500"),
        ("€40k", "40000"),
        ("100 grand", "100000"),
        ("20 bucks", "20"),
        ("fifty thousand", "50000"),
        ("one hundred twenty thousand", "120000"),
        ("a million", "1000000"),
        ("to 75000", "75000"),
        ("amount 1500", "1500"),
        ("worth 250000 usd", "250000"),
    ],
)
def test_amounts_become_plain_decimal_strings(text: str, expected: str) -> None:
    assert [hit.value for hit in find_amounts(text, [])] == [expected]


@pytest.mark.parametrize(
    "text", ["top 5 deals", "in 3 days", "call 555 1234", "Q3", "the 2 of us", "room 42"]
)
def test_numbers_that_are_not_money_are_not_amounts(text: str) -> None:
    assert find_amounts(text, []) == []


def test_claimed_spans_are_skipped() -> None:
    text = "on 12/15 for 50k"
    assert [hit.value for hit in find_amounts(text, [(3, 8)])] == ["50000"]


@pytest.mark.parametrize(
    ("value", "expected"), [("1.20", "1.2"), ("1200000.0", "1200000"), ("1E+6", "1000000"), ("0.50", "0.5")]
)
def test_decimal_strings_have_no_exponent_or_trailing_zeros(value: str, expected: str) -> None:
    assert format_decimal(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("message", "amount"),
    [
        ("bump Globex to 75k", "75000"),
        ("update the Acme deal amount to $1,250,000", "1250000"),
        ("set Initech to 2.5 mil", "2500000"),
        ("the Hooli deal is now worth 40K", "40000"),
    ],
)
def test_amounts_reach_the_plan_as_the_deal_amount(message: str, amount: str) -> None:
    now = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    result = plan_message(message, PlanningInput(now=now, timezone="Europe/Berlin"))
    assert result.intent == "update"
    assert [value.model_dump() for value in result.writes[0].values] == [
        {"property": "amount", "value": amount, "kind": "literal"}
    ]

"""Builders and assertions shared by the tests: the plans many of them use, and a partial match."""

from __future__ import annotations

from typing import Any

from agent.plan import Mention, Plan, Value, Write
from tools.hubspot.types import ObjectType


def deal_for_acme(dealname: str = "Acme expansion", amount: str = "50000") -> Plan:
    """The plan of "create a deal for Acme Corp": one deal with a name and an amount, linked to the company.

    Args:
        dealname: The new deal's name.
        amount: Its amount, as the planner writes it.
    """
    return Plan(
        intent="create",
        writes=[
            Write(
                op="create",
                object_type="deals",
                values=[
                    Value(property="dealname", value=dealname),
                    Value(property="amount", value=amount),
                ],
                associate_with=[Mention(object_type="companies", text="Acme Corp")],
            )
        ],
    )


def update_plan(object_type: ObjectType, text: str, **values: str) -> Plan:
    """The plan of "set <field> of <record> to <value>": one update of the record the words name.

    Args:
        object_type: The record's type.
        text: The user's words for the record ("Initech").
        values: Property → new value (``city="Dallas"``).
    """
    return Plan(
        intent="update",
        writes=[
            Write(
                op="update",
                object_type=object_type,
                target=Mention(object_type=object_type, text=text),
                values=[Value(property=k, value=v) for k, v in values.items()],
            )
        ],
    )


def assert_matches(actual: Any, expected: Any, path: str = "plan") -> None:
    """Every key of ``expected`` equals ``actual``'s; lists match element by element.

    Args:
        actual: A dump (``model_dump()``) of what was produced.
        expected: The fields that matter: a partial dict at any depth, lists compared whole
            (same length, element by element).
        path: Where in the structure this is, for the failure message.
    """
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing in {actual!r}"
            assert_matches(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{path}: {actual!r} != {expected!r}"
        )
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            assert_matches(got, want, f"{path}[{index}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"

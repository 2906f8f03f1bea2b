"""The plan schema sent to the model follows OpenAI's strict structured-output rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from agent.plan import Activity, Answer, Condition, Mention, Plan, Question, Value, Write
from agent.planners.openai import plan_response_format, strict_json_schema

# The keywords of OpenAI's supported JSON-schema subset that the plan may use.
ALLOWED_KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "enum",
    "const",
    "description",
    "$ref",
    "$defs",
}

SAMPLE_PLANS = [
    Plan(intent="unsupported", refusal="delete"),
    Plan(
        intent="create",
        writes=[
            Write(
                op="create",
                object_type="deals",
                values=[
                    Value(property="dealname", value="Acme expansion"),
                    Value(property="dealstage", value="contract sent", kind="stage"),
                ],
                associate_with=[Mention(object_type="companies", text="Acme Corp", qualifier="acme.com")],
            )
        ],
    ),
    Plan(
        intent="log_activity",
        writes=[
            Write(
                op="create",
                object_type="tasks",
                activity=Activity(
                    type="tasks", subject="Follow up", when="2026-03-03T14:00:00Z", priority="HIGH"
                ),
                associate_with=[Mention(object_type="contacts", refers_back=True)],
            )
        ],
    ),
    Plan(
        intent="question",
        question=Question(
            kind="list",
            object_type="deals",
            conditions=[
                Condition(property="hubspot_owner_id", operator="EQ", value="me", kind="owner"),
                Condition(
                    property="closedate", operator="BETWEEN", value="2026-03-01", high_value="2026-03-31"
                ),
            ],
            deal_status="open",
            sort_by="amount",
            limit=10,
        ),
        wants_summary=True,
    ),
    Plan(
        intent="merge_companies",
        writes=[
            Write(
                op="merge",
                object_type="companies",
                target=Mention(object_type="companies", text="Acme Corp"),
                merge_from=Mention(object_type="companies", text="Acme Corporation"),
            )
        ],
    ),
    Plan(intent="answer", answer=Answer(decision="edit", edits=[Value(property="amount", value="60000")])),
]


def nodes(schema: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in ``schema`` with its path."""
    if isinstance(schema, dict):
        yield path, schema
        for key in ("properties", "$defs"):
            for name, sub in schema.get(key, {}).items():
                yield from nodes(sub, f"{path}/{key}/{name}")
        if isinstance(schema.get("items"), dict):
            yield from nodes(schema["items"], f"{path}/items")
        for i, sub in enumerate(schema.get("anyOf", [])):
            yield from nodes(sub, f"{path}/anyOf/{i}")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return strict_json_schema(Plan)


def test_response_format_names_the_plan_schema_and_asks_for_strict_mode(schema: dict[str, Any]) -> None:
    assert plan_response_format() == {
        "type": "json_schema",
        "json_schema": {"name": "plan", "strict": True, "schema": schema},
    }


def test_root_is_an_object(schema: dict[str, Any]) -> None:
    assert schema["type"] == "object"


def test_every_object_requires_all_its_properties_and_forbids_others(schema: dict[str, Any]) -> None:
    objects = [
        (path, node) for path, node in nodes(schema) if "properties" in node or node.get("type") == "object"
    ]

    assert len(objects) >= 8  # Plan and its nested models
    for path, node in objects:
        assert node["additionalProperties"] is False, path
        assert node["required"] == list(node["properties"]), path


def test_only_supported_keywords_are_used_and_no_defaults(schema: dict[str, Any]) -> None:
    for path, node in nodes(schema):
        assert set(node) <= ALLOWED_KEYWORDS, (path, set(node) - ALLOWED_KEYWORDS)


def test_refs_stand_alone_and_resolve(schema: dict[str, Any]) -> None:
    refs = [(path, node["$ref"]) for path, node in nodes(schema) if "$ref" in node]

    assert refs
    for path, ref in refs:
        node = dict(nodes(schema))[path]
        assert set(node) == {"$ref"}, path
        assert ref.removeprefix("#/$defs/") in schema["$defs"], ref


def test_nesting_stays_within_openais_depth_limit(schema: dict[str, Any]) -> None:
    def depth(node: dict[str, Any], seen: frozenset[str] = frozenset()) -> int:
        children: list[dict[str, Any]] = [*node.get("properties", {}).values(), *node.get("anyOf", [])]
        if isinstance(node.get("items"), dict):
            children.append(node["items"])
        if ref := node.get("$ref"):
            assert ref not in seen, f"recursive {ref}"
            return depth(schema["$defs"][ref.removeprefix("#/$defs/")], seen | {ref})
        return 1 + max((depth(c, seen) for c in children), default=0)

    assert depth(schema) <= 10


def test_the_pydantic_model_is_not_changed_by_the_strict_transform() -> None:
    before = Plan.model_json_schema()
    strict_json_schema(Plan)

    assert Plan.model_json_schema() == before
    assert "default" in str(before)


@pytest.mark.parametrize("plan", SAMPLE_PLANS, ids=lambda p: p.intent)
def test_every_kind_of_plan_is_valid_under_the_strict_schema_and_round_trips(
    schema: dict[str, Any], plan: Plan
) -> None:
    as_model_would_send = plan.model_dump(mode="json")

    jsonschema.validate(as_model_would_send, schema)
    assert Plan.model_validate(as_model_would_send) == plan


def test_output_missing_a_field_is_rejected_by_the_strict_schema(schema: dict[str, Any]) -> None:
    incomplete = Plan(intent="unsupported").model_dump(mode="json")
    del incomplete["wants_summary"]

    with pytest.raises(jsonschema.ValidationError, match="wants_summary"):
        jsonschema.validate(incomplete, schema)

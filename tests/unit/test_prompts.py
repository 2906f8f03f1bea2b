"""The prompt files: found as package data, complete, versioned by digest."""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatch
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from agent.plan import Plan
from agent.planners.openai import strict_json_schema
from agent.prompts import PROMPT_FILES, PromptError, default_prompts, load_prompts

REPO = Path(__file__).resolve().parents[2]


def test_installed_prompts_are_the_files_in_the_prompts_directory() -> None:
    prompts = default_prompts()

    assert prompts.system == (REPO / "prompts" / "system.md").read_text(encoding="utf-8").strip()
    assert prompts.planner == (REPO / "prompts" / "planner.md").read_text(encoding="utf-8").strip()
    assert prompts.summary == (REPO / "prompts" / "summary.md").read_text(encoding="utf-8").strip()


def test_prompts_are_read_through_importlib_resources_of_the_prompts_package() -> None:
    package_dir = files("prompts")

    assert all((package_dir / name).is_file() for name in PROMPT_FILES)


def test_pyproject_ships_the_prompts_package_with_its_markdown_files() -> None:
    # A non-editable install only carries what setuptools packages: the package and its *.md data.
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]

    assert any(fnmatch("prompts", pattern) for pattern in config["packages"]["find"]["include"])
    patterns = config["package-data"].get("prompts", []) + config["package-data"].get("*", [])
    assert all(any(fnmatch(name, p) for p in patterns) for name in PROMPT_FILES)
    assert (REPO / "prompts" / "__init__.py").is_file()


def test_planning_instructions_put_the_rules_before_the_plan_guide() -> None:
    prompts = default_prompts()

    assert prompts.planning_instructions == f"{prompts.system}\n\n{prompts.planner}"


def test_system_prompt_states_the_rules_the_graph_relies_on() -> None:
    system = default_prompts().system

    assert "Nothing is ever deleted" in system and '`intent: "unsupported"`' in system
    assert "Never guess" in system and "`not_understood`" in system


def test_planner_prompt_explains_every_field_of_the_plan() -> None:
    planner = default_prompts().planner

    undocumented = [name for name in Plan.model_fields if f"`{name}`" not in planner]
    assert undocumented == []


def test_digest_changes_when_any_prompt_changes(tmp_path: Path) -> None:
    for name in PROMPT_FILES:
        (tmp_path / name).write_text(f"text of {name}\n", encoding="utf-8")
    before = load_prompts(tmp_path)
    (tmp_path / "summary.md").write_text("another summary prompt\n", encoding="utf-8")
    after = load_prompts(tmp_path)

    assert before.digest != after.digest
    assert len(before.digest) == 16
    assert load_prompts(tmp_path).digest == after.digest


@pytest.mark.parametrize("broken", ["missing", "empty"])
def test_missing_or_empty_prompt_file_fails_at_load_naming_the_file(tmp_path: Path, broken: str) -> None:
    for name in PROMPT_FILES:
        (tmp_path / name).write_text(f"text of {name}\n", encoding="utf-8")
    if broken == "missing":
        (tmp_path / "planner.md").unlink()
    else:
        (tmp_path / "planner.md").write_text("  \n", encoding="utf-8")

    with pytest.raises(PromptError, match=r"planner\.md"):
        load_prompts(tmp_path)


def test_every_example_plan_in_the_planner_prompt_is_valid_under_the_strict_schema() -> None:
    examples = re.findall(r"```json\n(.*?)\n```", default_prompts().planner, flags=re.DOTALL)
    schema = strict_json_schema(Plan)

    assert len(examples) >= 5
    for example in examples:
        jsonschema.validate(json.loads(example), schema)
        Plan.model_validate_json(example)

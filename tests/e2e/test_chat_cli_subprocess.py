"""The installed ``alysio-agent chat`` console script, piped, against the built-in sandbox portal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeOpenAIServer, ModelResponse, ModelScript
from tests.fakes.builders import deal_for_acme

pytestmark = pytest.mark.slow  # each test starts the console script

SCRIPT = Path(sys.executable).with_name("alysio-agent")


def chat(
    tmp_path: Path, stdin: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``alysio-agent chat ARGS`` with ``stdin`` piped, with no settings but a private data directory."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALYSIO_")}
    environ["ALYSIO_DATA_DIR"] = str(tmp_path / "data")
    environ.update(env or {})
    return subprocess.run(
        [str(SCRIPT), "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,  # no .env file here
        env=environ,
        timeout=120,
        check=False,
    )


def events(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(autouse=True)
def _installed() -> None:
    assert SCRIPT.is_file(), "the project must be installed (pip install -e .) for the console script"


def test_piped_create_then_yes_creates_the_deal_in_the_demo_portal(tmp_path: Path) -> None:
    result = chat(
        tmp_path, "Create a new deal for Acme Corp\nyes\nshow me the deals of Acme Corp\n", "--json"
    )

    assert result.returncode == 0, result.stderr
    confirm, done, listing = events(result)
    assert confirm["type"] == "confirm" and confirm["writes"] == []
    assert confirm["pending"]["kind"] == "confirm"
    assert done["type"] == "reply"
    assert [(w["op"], w["object_type"]) for w in done["writes"]] == [("create", "deals")]
    assert done["writes"][0]["id"] in done["text"]
    assert "Acme Corp deal" in listing["text"]  # the portal now holds it
    assert all(list(e) == ["type", "text", "writes", "pending", "error"] for e in (confirm, done, listing))
    # One start line on stderr, saying where and as whom.
    assert "built-in sandbox HubSpot portal" in result.stderr and "offline planner" in result.stderr
    assert "Alex Rivera" in result.stderr


def test_a_pending_confirmation_survives_the_process_and_only_its_thread_continues_it(tmp_path: Path) -> None:
    first = chat(tmp_path, "Create a new deal for Acme Corp\n", "--json", "--thread", "deal-1")
    elsewhere = chat(tmp_path, "yes\n", "--json")  # without --thread: a new conversation
    resumed = chat(tmp_path, "yes\n", "--json", "--thread", "deal-1")

    assert [e["type"] for e in events(first)] == ["confirm"]
    assert all(not e["writes"] for e in events(elsewhere))
    (done,) = events(resumed)
    assert [(w["op"], w["object_type"]) for w in done["writes"]] == [("create", "deals")]


def test_bad_input_gives_clear_messages_and_never_a_traceback(tmp_path: Path) -> None:
    too_long = "Create a deal " + "x" * 5000
    result = chat(tmp_path, f"\n   \n/foo\n{too_long}\n/help\n", "--json")

    assert result.returncode == 0
    assert "Traceback" not in result.stderr + result.stdout
    assert "empty line skipped" in result.stderr
    assert "Unknown command /foo" in result.stderr
    assert "/quit" in result.stderr  # the help text
    (error,) = events(result)
    assert error["type"] == "error" and "too long" in error["text"]


def test_missing_model_key_is_named_without_a_traceback(tmp_path: Path) -> None:
    result = chat(tmp_path, "hi\n", "--planner", "openai")

    assert result.returncode == 2
    assert "ALYSIO_OPENAI_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_model_planner_costs_one_call_for_the_request_and_none_for_yes(tmp_path: Path) -> None:
    plan = deal_for_acme(dealname="Acme Corp expansion")
    script = ModelScript().add(ModelResponse.structured(plan))

    with FakeOpenAIServer(script) as server:
        result = chat(
            tmp_path,
            "Create a deal for Acme Corp called Acme Corp expansion, 50k\nyes\n",
            "--json",
            "--planner",
            "openai",
            env={"ALYSIO_OPENAI_API_KEY": "sk-test", "ALYSIO_OPENAI_BASE_URL": server.base_url},
        )

    assert result.returncode == 0, result.stderr
    confirm, done = events(result)
    assert confirm["type"] == "confirm"
    assert done["writes"][0]["properties"]["dealname"] == "Acme Corp expansion"
    assert done["writes"][0]["properties"]["amount"] == "50000"
    assert "model planner (gpt-4.1-mini)" in result.stderr
    script.assert_done()  # exactly one model call: "yes" never reached the model
    assert server.bodies[0]["messages"][-1] == {
        "role": "user",
        "content": "Create a deal for Acme Corp called Acme Corp expansion, 50k",
    }

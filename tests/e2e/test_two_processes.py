"""Real ``alysio-agent chat`` processes on one data directory and one HubSpot (a sandbox server process).

The probes that broke only with two processes or a kill: two processes answering "yes" to one
confirmation at once, and a process killed while HubSpot was still carrying out its create.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.sandbox.process import SandboxProcess

pytestmark = pytest.mark.slow  # each test starts a server and several console scripts

TIMINGS = {
    "ALYSIO_HTTP_TIMEOUT_SECONDS": "1",
    "ALYSIO_WRITE_SETTLE_SECONDS": "3",
    "ALYSIO_SEARCH_LAG_SECONDS": "1",
    "ALYSIO_WRITE_LEASE_SECONDS": "1",
}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxProcess]:
    with SandboxProcess(tmp_path / "sandbox") as server:
        yield server


def _chat(env: dict[str, str], thread: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "chat", "--json", "--thread", thread],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _events(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _ask(env: dict[str, str], thread: str) -> None:
    asked = _chat(env, thread)
    out, err = asked.communicate("Create a new deal for Acme Corp called Twin Approval, 50k\n", timeout=120)
    assert asked.returncode == 0, err
    assert _events(out)[-1]["type"] == "confirm", out


def test_two_chat_processes_saying_yes_at_once_create_one_deal_and_both_report_it(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    env = sandbox.agent_env(tmp_path / "data", **{**TIMINGS, "ALYSIO_HTTP_TIMEOUT_SECONDS": "30"})
    _ask(env, "twin")
    # HubSpot takes 5 s over the create, longer than a process takes to start: both are in the
    # middle of the approval together, however loaded the machine is.
    sandbox.admin("POST", "/_sandbox/faults", {"kind": "delay", "seconds": 5.0, "method": "POST",
                                                "path": "/crm/v3/objects/deals"})  # fmt: skip
    both = [_chat(env, "twin") for _ in range(2)]
    for proc in both:
        assert proc.stdin is not None
        proc.stdin.write("yes\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=120) for proc in both]
    deals = [d for d in sandbox.records("deals") if d["properties"]["dealname"] == "Twin Approval"]
    assert len(deals) == 1
    for out, err in outputs:
        (reply,) = _events(out)
        assert reply["type"] == "reply", (out, err)
        assert [w["id"] for w in reply["writes"]] == [deals[0]["id"]]


def test_a_chat_killed_mid_create_is_resumed_without_a_second_record(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    env = sandbox.agent_env(tmp_path / "data", **TIMINGS)
    _ask(env, "killed")
    # HubSpot is slow: the create is carried out 2 s after it arrives.
    sandbox.admin("POST", "/_sandbox/faults", {"kind": "delay", "seconds": 2.0, "method": "POST",
                                                "path": "/crm/v3/objects/deals"})  # fmt: skip
    victim = _chat(env, "killed")
    assert victim.stdin is not None
    victim.stdin.write("yes\n")
    victim.stdin.flush()
    deadline = time.monotonic() + 60
    while not _create_in_flight(sandbox):  # kill it while HubSpot is carrying the create out
        assert time.monotonic() < deadline, "the create never reached the sandbox"
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    resumed = _chat(env, "killed")
    out, err = resumed.communicate("yes\n", timeout=120)
    deals = [d for d in sandbox.records("deals") if d["properties"]["dealname"] == "Twin Approval"]
    assert len(deals) == 1, out
    (reply,) = [e for e in _events(out) if e["type"] in ("reply", "error")]
    assert reply["type"] == "reply", (out, err)
    assert [w["id"] for w in reply["writes"]] == [deals[0]["id"]]


def _create_in_flight(sandbox: SandboxProcess) -> bool:
    faults = sandbox.admin("GET", "/_sandbox/faults")["faults"]
    return not faults  # the delay rule was consumed: the create reached HubSpot and is being carried out

"""The installed ``alysio-agent`` under bad input: one line on stderr naming the problem, never a traceback.

Each case runs the console script in a subprocess (as a person would) and checks the exit code, that
stderr is exactly one line naming the problem, and that no traceback was printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test starts the console script

SCRIPT = Path(sys.executable).with_name("alysio-agent")
CASES_DIR = Path(__file__).resolve().parents[2] / "evals" / "cases"


def run(tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``alysio-agent ARGS`` in ``tmp_path`` with no settings but a private data directory."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALYSIO_")}
    environ["ALYSIO_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [str(SCRIPT), *args],
        input="",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=timeout,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *names: str, code: int = 2) -> str:
    """The single stderr line, after checking the exit code, the names it must mention and no traceback."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


@pytest.fixture(autouse=True)
def _installed() -> None:
    assert SCRIPT.is_file(), "the project must be installed (pip install -e .) for the console script"


def test_a_dot_env_with_a_non_utf8_byte(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"ALYSIO_USER_NAME=Jos\xe9 Alvarez\n")

    result = run(tmp_path, "chat")

    one_line_error(result, ".env", "not UTF-8", "0xe9")


def test_audit_on_a_corrupt_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "audit.sqlite").write_bytes(b"this is not a database, " * 200)

    result = run(tmp_path, "audit")

    one_line_error(result, "audit log", "audit.sqlite", "not a database", code=1)


@pytest.mark.parametrize(
    ("content", "names"),
    [
        (None, ["--fixture", "missing.yaml", "No such file"]),
        (b"owners: [\n  {ref: a,\n", ["--fixture", "not valid YAML", "line 3"]),
        (b"- just\n- a list\n", ["--fixture", "must hold a mapping"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", ["--fixture", "binary"]),
        (b"deals:\n  - {ref: d, properties: {dealname: x}, colour: red}\n", ["--fixture", "colour"]),
    ],
    ids=["missing", "not-yaml", "not-a-mapping", "binary", "unknown-key"],
)
def test_sandbox_with_a_bad_fixture_file(tmp_path: Path, content: bytes | None, names: list[str]) -> None:
    path = tmp_path / "missing.yaml"
    if content is not None:
        path.write_bytes(content)

    result = run(tmp_path, "sandbox", "--fixture", str(path), "--port", "1")

    one_line_error(result, *names)


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_sandbox_with_a_port_out_of_range(tmp_path: Path, port: str) -> None:
    result = run(tmp_path, "sandbox", f"--port={port}")

    one_line_error(result, "--port", port, "1 to 65535")


def test_sandbox_with_state_in_a_missing_directory(tmp_path: Path) -> None:
    state = tmp_path / "no" / "such" / "dir" / "portal.sqlite"

    result = run(tmp_path, "sandbox", "--state", str(state), "--port", "1")

    one_line_error(result, "--state", str(state.parent), "does not exist")
    assert not state.parent.exists()


def test_sandbox_with_state_that_is_not_a_database(tmp_path: Path) -> None:
    state = tmp_path / "portal.sqlite"
    state.write_bytes(b"not sqlite at all " * 100)

    result = run(tmp_path, "sandbox", "--state", str(state), "--port", "1")

    one_line_error(result, "--state", "portal.sqlite", "not a database")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.com"])
def test_sandbox_refuses_a_non_loopback_host_unless_asked(tmp_path: Path, host: str) -> None:
    result = run(tmp_path, "sandbox", "--host", host)

    line = one_line_error(result, "--host", host, "--allow-remote")
    assert "signing key" in line


def test_sandbox_served_on_all_interfaces_prints_the_warning(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALYSIO_")}
    process = subprocess.Popen(
        [str(SCRIPT), "sandbox", "--host", "0.0.0.0", "--allow-remote", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=environ,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        warning = ""
        while time.monotonic() < deadline and not warning:
            line = process.stderr.readline()
            if "Warning" in line:
                warning = line
            elif not line and process.poll() is not None:
                break
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "admin API" in warning and "signing key" in warning and f"0.0.0.0:{port}" in warning


def test_a_binary_eval_case(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "broken.yaml").write_bytes(b"\x00\x01\x02 id: broken\n\xff\xfe")

    result = run(tmp_path, "eval", "--cases", str(cases))

    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 2
    assert "broken.yaml" in result.stderr and "binary" in result.stderr


def test_a_binary_cassette_fails_its_case_with_a_one_line_reason(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    case = next(p for p in sorted(CASES_DIR.glob("*.yaml")) if not p.name.endswith(".cassette.yaml"))
    shutil.copy(case, cases / case.name)
    (cases / f"{case.stem}.cassette.yaml").write_bytes(b"exchanges: []\x00\x01\x02\xff")

    result = run(tmp_path, "eval", "--cases", str(cases), "--mode", "replay", timeout=120)

    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1
    said = " ".join((result.stderr + result.stdout).split())
    assert f"FAIL {case.stem}: {case.stem}.cassette.yaml: the file is binary" in said
    assert "UnicodeDecodeError" not in said

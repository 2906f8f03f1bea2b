"""No credential leaks through upstream text, and the data directory is its owner's only.

HubSpot, Paragon and the model endpoint sometimes quote the request's credentials in an error
body. Each test runs the installed ``alysio-agent chat`` against an upstream that does, then looks
for the bearer token, the JWT and the configured secrets in the reply, in every row of the
checkpointer's tables, in the audit log and in ``chat.log``: none may be there.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.fakes import FakeOpenAIServer, ModelResponse, ModelScript
from tests.fakes.echo_upstream import EchoUpstream
from tools.redact import MASK
from tools.sandbox.auth import generate_key_pair

pytestmark = pytest.mark.slow  # each test starts the console script

SCRIPT = Path(sys.executable).with_name("alysio-agent")
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LWVsc2UifQ.c2lnbmF0dXJlLW9mLWFub3RoZXItdXNlcg"
# Configured secrets shaped like nothing a pattern knows: only registering them masks them.
HUBSPOT_TOKEN = "plain-configured-hubspot-4242"
MODEL_KEY = "plain-configured-model-key-4242"


def chat(tmp_path: Path, stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``alysio-agent chat --json`` with ``stdin`` piped, a private data directory and ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALYSIO_")}
    environ["ALYSIO_DATA_DIR"] = str(tmp_path / "data")
    environ.update(env)
    return subprocess.run(
        [str(SCRIPT), "chat", "--json"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=120,
        check=False,
    )


def checkpoint_rows(path: Path) -> bytes:
    """Every value of every row of every table of the SQLite checkpointer, as bytes."""
    chunks: list[bytes] = []
    with closing(sqlite3.connect(path)) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # table names come from sqlite_master
                for value in row:
                    if isinstance(value, bytes):
                        chunks.append(value)
                    elif value is not None:
                        chunks.append(str(value).encode("utf-8"))
    assert chunks, f"{path.name} holds no checkpoint"
    return b"\n".join(chunks)


def stored(data: Path) -> dict[str, bytes]:
    """What the run kept: the checkpoint rows, the audit log, chat.log and every file's raw bytes."""
    found = {"checkpoint rows": checkpoint_rows(data / "checkpoints.sqlite")}
    for path in sorted(data.iterdir()):
        if path.name != "sandbox.sqlite":  # the sandbox portal's own keys, not the agent's secrets
            found[path.name] = path.read_bytes()
    assert "chat.log" in found and "audit.sqlite" in found
    return found


def assert_nothing_leaked(result: subprocess.CompletedProcess[str], data: Path, secrets: list[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    places = {
        "stdout (the replies)": result.stdout.encode(),
        "stderr": result.stderr.encode(),
        **stored(data),
    }
    for secret in secrets:
        assert len(secret) >= 16
        for place, content in places.items():
            assert secret.encode("utf-8") not in content, f"{secret[:12]}… reached {place}"


def test_a_hubspot_error_quoting_the_private_app_token_reaches_nothing(tmp_path: Path) -> None:
    with EchoUpstream("hubspot", status=400, extra=f"(token {HUBSPOT_TOKEN}, session {JWT})") as upstream:
        result = chat(
            tmp_path,
            "show me the deals of Acme Corp\n",
            {
                "ALYSIO_HUBSPOT_MODE": "direct",
                "ALYSIO_HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN,
                "ALYSIO_HUBSPOT_BASE_URL": upstream.base_url,
            },
        )

    sent = [headers["authorization"] for _, _, headers in upstream.requests]
    assert sent and all(h == f"Bearer {HUBSPOT_TOKEN}" for h in sent)  # what was echoed back
    assert_nothing_leaked(result, tmp_path / "data", [HUBSPOT_TOKEN, JWT])
    assert '"type": "error"' in result.stdout and MASK in result.stdout  # the error is still told


def test_a_paragon_error_quoting_the_user_token_and_the_signing_key_reaches_nothing(tmp_path: Path) -> None:
    private_pem, _ = generate_key_pair()
    key_line = next(line for line in private_pem.splitlines() if len(line) >= 60)
    with EchoUpstream("paragon", status=401, extra=f"(key {key_line})") as upstream:
        result = chat(
            tmp_path,
            "show me the deals of Acme Corp\n",
            {
                "ALYSIO_HUBSPOT_MODE": "paragon",
                "ALYSIO_PARAGON_PROJECT_ID": "proj-1",
                "ALYSIO_PARAGON_SIGNING_KEY": private_pem,
                "ALYSIO_PARAGON_PROXY_URL": upstream.base_url,
                "ALYSIO_PARAGON_API_URL": upstream.base_url,
            },
        )

    user_tokens = [headers["authorization"].removeprefix("Bearer ") for _, _, headers in upstream.requests]
    assert user_tokens and all(t.startswith("eyJ") for t in user_tokens)  # Paragon user JWTs, echoed
    assert_nothing_leaked(result, tmp_path / "data", [*set(user_tokens), key_line])
    assert MASK in result.stdout


@pytest.mark.parametrize(
    "answer",
    [
        ModelResponse.error(
            400, f"Incorrect API key provided: Bearer {MODEL_KEY} ({MODEL_KEY}); session {JWT}"
        ),
        ModelResponse.refused(f"I cannot act on {MODEL_KEY} or {JWT}"),
    ],
    ids=["endpoint-error", "refusal"],
)
def test_a_model_endpoint_quoting_its_key_reaches_nothing(tmp_path: Path, answer: ModelResponse) -> None:
    script = ModelScript().add(answer)
    with FakeOpenAIServer(script) as server:
        result = chat(
            tmp_path,
            "Create a deal for Acme Corp\n",
            {
                "ALYSIO_PLANNER": "openai",
                "ALYSIO_OPENAI_API_KEY": MODEL_KEY,
                "ALYSIO_OPENAI_BASE_URL": server.base_url,
            },
        )

    script.assert_done()
    assert server.headers[0]["authorization"] == f"Bearer {MODEL_KEY}"
    assert_nothing_leaked(result, tmp_path / "data", [MODEL_KEY, JWT])
    assert "language model" in result.stdout  # the user is still told what went wrong


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_and_every_file_in_it_are_the_owners_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = chat(tmp_path, "Create a new deal for Acme Corp\nyes\n", {})

    assert result.returncode == 0, result.stderr
    assert _mode(data) == 0o700
    files = {p.name: _mode(p) for p in data.iterdir()}
    for name in ("checkpoints.sqlite", "audit.sqlite", "identity.sqlite", "ledger.sqlite", "sandbox.sqlite"):
        assert name in files
    assert "chat.log" in files
    assert files == dict.fromkeys(files, 0o600)


def test_files_left_readable_by_an_earlier_version_are_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = chat(tmp_path, "Create a new deal for Acme Corp\nyes\n", {})
    assert first.returncode == 0, first.stderr
    data.chmod(0o755)
    for path in data.iterdir():
        path.chmod(0o644)

    again = chat(tmp_path, "show me the deals of Acme Corp\n", {})

    assert again.returncode == 0, again.stderr
    assert _mode(data) == 0o700
    assert {p.name: _mode(p) for p in data.iterdir()} == {p.name: 0o600 for p in data.iterdir()}

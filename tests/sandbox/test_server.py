"""The ``alysio-agent sandbox`` wiring, without binding a port."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from adapters.cli.app import app as cli_app
from tools.sandbox import server
from tools.scopes_catalog import ALL_SCOPES


def test_build_makes_the_given_token_valid_with_every_scope() -> None:
    app, token = server.build(fixture="empty", token="T", state=None)
    assert token == "T"
    assert app.sandbox.credentials.tokens["T"].scopes == frozenset(ALL_SCOPES)


def test_cli_sandbox_prints_url_and_token_and_runs_uvicorn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    state = tmp_path / "s.sqlite"
    result = CliRunner().invoke(
        cli_app,
        ["sandbox", "--port", "9911", "--fixture", "empty", "--token", "tok-1", "--state", str(state)],
    )
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:9911" in result.output
    assert "tok-1" in result.output
    [call] = calls
    assert (call["host"], call["port"]) == ("127.0.0.1", 9911)
    assert call["app"].sandbox.credentials.tokens["tok-1"].scopes == frozenset(ALL_SCOPES)
    assert state.exists()


def test_fixture_file_option_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("portal:\n  companies:\n    - {ref: a, properties: {name: Acme Corp}}\n")
    app, _ = server.build(fixture=str(path), token=None, state=None)
    assert app.sandbox.state()["records"]["companies"][0]["properties"]["name"] == "Acme Corp"


# --- where it listens, and bad input -----------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_hosts_are_served_without_a_warning(host: str) -> None:
    assert server.check_address(host, 8765, allow_remote=False) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "sandbox.example.com"])
def test_another_host_is_refused_unless_allowed_explicitly(host: str) -> None:
    with pytest.raises(server.SandboxStartError, match="--allow-remote"):
        server.check_address(host, 8765, allow_remote=False)


def test_an_allowed_remote_host_comes_with_a_warning_about_the_signing_key() -> None:
    warning = server.check_address("0.0.0.0", 8765, allow_remote=True)
    assert warning is not None and "signing key" in warning and "/_sandbox/" in warning


@pytest.mark.parametrize("port", [0, -1, 65536, 99999])
def test_ports_out_of_range_are_refused(port: int) -> None:
    with pytest.raises(server.SandboxStartError, match="--port must be from 1 to 65535"):
        server.check_address("127.0.0.1", port, allow_remote=False)


def test_cli_refuses_a_remote_host_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    refused = CliRunner().invoke(cli_app, ["sandbox", "--host", "0.0.0.0", "--fixture", "empty"])
    allowed = CliRunner().invoke(
        cli_app, ["sandbox", "--host", "0.0.0.0", "--allow-remote", "--fixture", "empty", "--port", "9912"]
    )

    assert refused.exit_code == 2 and "--allow-remote" in refused.output
    assert allowed.exit_code == 0, allowed.output
    assert "Warning" in allowed.output and "signing key" in allowed.output
    assert calls == [{"host": "0.0.0.0", "port": 9912, "log_level": "warning"}]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: ("missing.yaml", None), "--fixture: Cannot read fixture file"),
        (lambda tmp: ("empty", tmp / "missing-dir" / "s.sqlite"), "--state: Cannot use the state file"),
        (lambda tmp: ("empty", tmp), "it is a directory"),
    ],
    ids=["missing-fixture", "state-dir-missing", "state-is-a-dir"],
)
def test_build_names_an_unusable_fixture_or_state_file(tmp_path: Path, make: Any, message: str) -> None:
    fixture, state = make(tmp_path)
    with pytest.raises(server.SandboxStartError, match=message):
        server.build(
            fixture=str(tmp_path / fixture) if fixture != "empty" else fixture, token=None, state=state
        )


def test_a_state_file_holding_something_else_is_named(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    with closing(sqlite3.connect(state)) as db, db:
        db.execute("CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO state VALUES ('portal', 'not json')")
    with pytest.raises(server.SandboxStartError, match=r"s\.sqlite cannot be read"):
        server.build(fixture="empty", token=None, state=state)
    with closing(sqlite3.connect(state)) as db, db:
        db.execute("UPDATE state SET value = '[1, 2]' WHERE key = 'portal'")
    with pytest.raises(server.SandboxStartError, match="does not hold a sandbox portal"):
        server.build(fixture="empty", token=None, state=state)

"""The ``alysio-agent sandbox`` wiring, without binding a port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
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
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
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

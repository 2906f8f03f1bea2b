"""``alysio-agent sync`` and ``alysio-agent connection ...`` (sandbox mode, a temporary data dir)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ALYSIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ALYSIO_HUBSPOT_MODE", "sandbox")
    return tmp_path


def sync_json(*args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["sync", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def test_sync_prints_the_counts_table() -> None:
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 0, result.output
    assert "created" in result.stdout and "soft-deleted" in result.stdout
    assert "users and owners" in result.stdout and "teams" in result.stdout


def test_sync_json_reports_counts_and_a_rerun_changes_nothing(data_dir: Path) -> None:
    code, first = sync_json("--tenant", "t-acme")
    assert code == 0
    assert (first["tenant_id"], first["created"], first["skipped"]) == ("t-acme", 6, [])
    code, second = sync_json("--tenant", "t-acme")
    assert (second["created"], second["unchanged"], second["connection_id"]) == (0, 6, first["connection_id"])
    assert (data_dir / "identity.sqlite").is_file()


def test_uninstalled_stops_syncs_until_reconnected() -> None:
    _, first = sync_json()
    connection_id = str(first["connection_id"])
    gone = runner.invoke(app, ["connection", "uninstalled", connection_id])
    assert gone.exit_code == 0 and "deauthorized" in gone.stdout
    code, refused = sync_json()
    assert code == 1
    error = refused["error"]
    assert isinstance(error, dict) and error["kind"] == "reconnect"
    listing = json.loads(runner.invoke(app, ["connection", "list", "--json"]).stdout)
    assert [(c["id"], c["status"], c["status_reason"]) for c in listing] == [
        (connection_id, "deauthorized", "uninstalled")
    ]
    back = runner.invoke(app, ["connection", "reconnected", connection_id])
    assert back.exit_code == 0
    code, restored = sync_json()
    assert (code, restored["restored"], restored["unchanged"]) == (0, 5, 1)


def test_an_unknown_connection_id_is_an_error() -> None:
    result = runner.invoke(app, ["connection", "uninstalled", "conn_nope"])
    assert result.exit_code == 1
    assert "No connection 'conn_nope'" in result.stderr

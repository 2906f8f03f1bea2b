from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.app import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("chat", "tools", "sandbox"):
        assert command in result.output


def test_audit_on_a_corrupt_database_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "audit.sqlite").write_bytes(b"not a database " * 100)
    monkeypatch.setenv("ALYSIO_DATA_DIR", str(tmp_path))

    result = runner.invoke(app, ["audit"])

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "audit.sqlite" in lines[0] and "not a database" in lines[0]

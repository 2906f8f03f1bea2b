from __future__ import annotations

from typer.testing import CliRunner

from adapters.cli.app import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("chat", "tools", "sandbox"):
        assert command in result.output

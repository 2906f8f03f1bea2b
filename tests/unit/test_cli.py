from __future__ import annotations

from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("chat", "tools", "sandbox"):
        assert command in result.output


def test_chat_says_plainly_it_is_not_built_yet() -> None:
    result = runner.invoke(app, ["chat"])
    assert result.exit_code == 2
    assert "not built yet" in result.output

"""The channels that reach the agent, side by side.

Each adapter turns its channel's input into :class:`agent.service.Incoming` turns and renders the
:class:`agent.events.Event` list a turn returns:

- :mod:`adapters.cli`: ``alysio-agent`` (Typer), with the terminal and piped chat (Rich / JSON lines).

HTTP, Slack and MCP adapters will live beside it (``adapters/http/``, ``adapters/slack/``,
``adapters/mcp/``). The agent and the tools never import an adapter; an adapter may import both.
"""

"""``alysio-agent``: the command line.

- :mod:`adapters.cli.app`: the Typer app and the console script's entry point.
- :mod:`adapters.cli.chat`: ``alysio-agent chat``, the conversation loop.
- :mod:`adapters.cli.render`: how a turn's events are shown (Rich, plain text, JSON lines).
"""

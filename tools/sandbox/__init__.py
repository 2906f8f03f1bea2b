"""A local emulator of the HubSpot CRM API and the Paragon proxy (ASGI).

``create_app(fixture="demo")`` builds the app; ``app.state.sandbox`` is the :class:`Sandbox` that
tests use to make tokens and connections, load fixtures, inject faults and read the request log.
See ``docs/sandbox.md``.
"""

from __future__ import annotations

from tools.sandbox.app import Sandbox, SandboxApp, create_app
from tools.sandbox.faults import DroppedConnection, RateLimits, SimulatedTimeout
from tools.sandbox.loader import FixtureError

__all__ = [
    "DroppedConnection",
    "FixtureError",
    "RateLimits",
    "Sandbox",
    "SandboxApp",
    "SimulatedTimeout",
    "create_app",
]

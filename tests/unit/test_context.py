"""``AgentContext``: the granted scopes are required (a forgotten grant fails closed)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.context import AgentContext


def test_granted_scopes_are_required() -> None:
    """A caller that forgets the grant is refused, not granted every scope."""
    incomplete: dict[str, Any] = {"tenant_id": "t", "user_id": "u", "user_email": "u@example.com"}
    with pytest.raises(TypeError, match="granted_scopes"):
        AgentContext(**incomplete)


def test_granted_scopes_are_kept_as_given() -> None:
    ctx = AgentContext(
        tenant_id="t", user_id="u", user_email="u@example.com", granted_scopes=frozenset({"oauth"})
    )
    assert ctx.granted_scopes == frozenset({"oauth"})

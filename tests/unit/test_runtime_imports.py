"""A production process never loads the sandbox: ``agent.runtime`` imports it only in sandbox mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_runtime_does_not_load_the_sandbox() -> None:
    """In a fresh interpreter, ``import agent.runtime`` leaves Starlette and ``tools.sandbox`` unloaded."""
    code = (
        "import agent.runtime, sys; "
        "print('starlette' in sys.modules, "
        "any(m == 'tools.local' or m.startswith('tools.sandbox') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_listing_the_tools_loads_neither_langchain_nor_the_http_client() -> None:
    """``alysio-agent tools`` needs the registry's tables only: LangChain and the client load on use."""
    heavy = ("langchain_core", "langgraph", "httpx", "jwt", "cryptography", "tools.hubspot.client")
    code = (
        "import sys, adapters.cli.app, tools.registry; tools.registry.tools_json(); "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

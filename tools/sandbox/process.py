"""The sandbox as a separate server process, for tests and benchmarks that run several agent processes.

Several agent processes must share one HubSpot to show what happens between them (two approvals at
once, a process killed mid-write); in-process sandboxes would each be their own portal. This starts
``alysio-agent sandbox`` on a free loopback port, waits until it answers, and gives the environment
an agent process needs to reach it in paragon mode (the production path: Paragon user tokens
signed with the sandbox's key, the proxy URL shape).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class SandboxProcess:
    """``alysio-agent sandbox`` in a child process (use as a context manager).

    Args:
        workdir: Where the signing key file is written.
        fixture: The portal to serve (``demo``, ``empty`` or a YAML file).
        user_id: The Alysio user given a HubSpot connection (the Paragon token's ``sub``).
        credential_id: That connection's credential id.
        startup_seconds: How long to wait for the server to answer.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        fixture: str = "demo",
        user_id: str = "u-alex",
        credential_id: str = "cred-sandbox",
        startup_seconds: float = 30.0,
    ) -> None:
        self.workdir = workdir
        self.fixture = fixture
        self.user_id = user_id
        self.credential_id = credential_id
        self.startup_seconds = startup_seconds
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.project_id = ""
        self.key_path = workdir / "paragon-signing-key.pem"

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self

    def __exit__(
        self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server, wait until it answers, give ``user_id`` a connection and write the key."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "adapters.cli",
            "sandbox",
            "--port",
            str(self.port),
            "--fixture",
            self.fixture,
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.workdir
        )
        deadline = time.monotonic() + self.startup_seconds
        while True:
            try:
                paragon = httpx.get(f"{self.url}/_sandbox/paragon", timeout=1.0).json()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"the sandbox did not start on {self.url}") from None
                time.sleep(0.1)
        self.project_id = paragon["projectId"]
        self.key_path.write_text(paragon["privateKeyPem"])
        os.chmod(self.key_path, 0o600)
        self.admin(
            "POST", "/_sandbox/connections", {"userId": self.user_id, "credentialId": self.credential_id}
        )

    def stop(self) -> None:
        """Stop the server."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the admin API (``/_sandbox/...``) and return the JSON answer."""
        response = httpx.request(method, f"{self.url}{path}", json=body, timeout=30.0)
        response.raise_for_status()
        return response.json()

    def records(self, object_type: str) -> list[dict[str, Any]]:
        """Live records of a type (not archived, not merged away)."""
        state = self.admin("GET", "/_sandbox/state")
        return [
            r
            for r in state["records"].get(object_type, [])
            if not r.get("archived") and not r.get("mergedInto")
        ]

    def agent_env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        """The environment of an agent process that reaches this sandbox through its Paragon proxy."""
        env = {
            **os.environ,
            "ALYSIO_HUBSPOT_MODE": "paragon",
            "ALYSIO_PARAGON_PROJECT_ID": self.project_id,
            "ALYSIO_PARAGON_PROXY_URL": self.url,
            "ALYSIO_PARAGON_API_URL": self.url,
            "ALYSIO_PARAGON_SIGNING_KEY": str(self.key_path),
            "ALYSIO_PLANNER": "offline",
            "ALYSIO_DATA_DIR": str(data_dir),
            "ALYSIO_USER_ID": self.user_id,
        }
        env.pop("ALYSIO_OPENAI_API_KEY", None)
        env.update(extra)
        return env

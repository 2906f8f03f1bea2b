"""Real processes for end-to-end tests: an ``alysio-agent sandbox`` server, and the CLI run against it.

``sandbox_server`` (a pytest fixture; ``tests/e2e/conftest.py`` makes it available to every e2e
test, elsewhere import it) starts ``alysio-agent sandbox`` on a free loopback port, waits until
its admin API answers, and stops it after the test. Its :class:`SandboxServer` gives the
environment for a chat in paragon mode (:meth:`SandboxServer.paragon_env`, with the server's
signing key in a PEM file) or direct mode (:meth:`SandboxServer.direct_env`), the admin calls tests
need (Paragon connections, the request log, the portal's state), and :func:`alysio` runs any
``alysio-agent`` command with that environment, so two processes can share one data directory::

    def test_something(sandbox_server: SandboxServer, tmp_path: Path) -> None:
        sandbox_server.connect("u-alex")  # the installer's Paragon connection
        env = sandbox_server.paragon_env(tmp_path / "data")
        result = alysio("chat", "--json", env=env, stdin="show my deals\\n", cwd=tmp_path)

Tests using it start processes: mark them ``slow``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

SCRIPT = Path(sys.executable).with_name("alysio-agent")
START_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any ``ALYSIO_`` setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALYSIO_")}
    env.update(values)
    return env


def alysio(
    *args: str, env: dict[str, str], stdin: str = "", cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``alysio-agent ARGS`` with ``stdin`` piped (``cwd`` should hold no ``.env`` file)."""
    return subprocess.run(
        [str(SCRIPT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


def json_events(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """The JSON events a ``chat --json`` run printed."""
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@dataclass
class SandboxServer:
    """A running ``alysio-agent sandbox`` process.

    Attributes:
        url: Its base URL (``http://127.0.0.1:PORT``).
        token: A direct-mode bearer token valid with every listed scope.
        project_id: The Paragon project it serves.
        key_path: The Paragon signing key (PEM), for ``ALYSIO_PARAGON_SIGNING_KEY``.
        process: The server process.
    """

    url: str
    token: str
    project_id: str
    key_path: Path
    process: subprocess.Popen[bytes]
    _http: httpx.Client = field(repr=False, default_factory=lambda: httpx.Client(timeout=10))

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the admin API (``/_sandbox/...``) and return its JSON answer."""
        response = self._http.request(method, f"{self.url}{path}", json=body)
        response.raise_for_status()
        return response.json()

    def connect(self, user_id: str, **extra: Any) -> str:
        """Connect HubSpot for a Paragon user (``POST /_sandbox/connections``); the credential id."""
        answer = self.admin("POST", "/_sandbox/connections", {"userId": user_id, **extra})
        return str(answer["credentialId"])

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The HubSpot and Paragon requests it received (``GET /_sandbox/requests``)."""
        answer: list[dict[str, Any]] = self.admin("GET", f"/_sandbox/requests?since={since}")
        return answer

    def state(self) -> dict[str, Any]:
        """Every record, owner, user... of the portal (``GET /_sandbox/state``)."""
        answer: dict[str, Any] = self.admin("GET", "/_sandbox/state")
        return answer

    def paragon_env(self, data_dir: Path, **values: str) -> dict[str, str]:
        """The environment of an ``alysio-agent`` process in paragon mode against this server."""
        return clean_env(
            ALYSIO_HUBSPOT_MODE="paragon",
            ALYSIO_PARAGON_PROXY_URL=self.url,
            ALYSIO_PARAGON_API_URL=self.url,
            ALYSIO_PARAGON_PROJECT_ID=self.project_id,
            ALYSIO_PARAGON_SIGNING_KEY=str(self.key_path),
            ALYSIO_DATA_DIR=str(data_dir),
            **values,
        )

    def direct_env(self, data_dir: Path, **values: str) -> dict[str, str]:
        """The environment of an ``alysio-agent`` process in direct mode (private-app token) against it."""
        return clean_env(
            ALYSIO_HUBSPOT_MODE="direct",
            ALYSIO_HUBSPOT_BASE_URL=self.url,
            ALYSIO_HUBSPOT_ACCESS_TOKEN=self.token,
            ALYSIO_DATA_DIR=str(data_dir),
            **values,
        )

    def stop(self) -> None:
        """Stop the process (terminate, then kill after 10 s)."""
        self._http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _wait_until_up(process: subprocess.Popen[bytes], url: str) -> dict[str, Any] | None:
    """The answer of ``GET /_sandbox/paragon`` once the server answers; None if the process ended."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        try:
            response = httpx.get(f"{url}/_sandbox/paragon", timeout=2)
            if response.status_code == 200:
                answer: dict[str, Any] = response.json()
                return answer
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the sandbox at {url} did not answer within {START_TIMEOUT_SECONDS:.0f} s")


@contextmanager
def sandbox_process(workdir: Path, *, fixture: str = "demo", attempts: int = 3) -> Iterator[SandboxServer]:
    """Run ``alysio-agent sandbox`` on a free loopback port until the block ends.

    Args:
        workdir: Where its output and the signing key file go.
        fixture: The portal to serve (``demo``, ``empty`` or a YAML file).
        attempts: Ports to try (another process may take the free port first).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    token = f"pat-na1-test-{secrets.token_hex(8)}"
    for attempt in range(attempts):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = (workdir / f"sandbox-{attempt}.log").open("wb")
        process = subprocess.Popen(
            [str(SCRIPT), "sandbox", "--port", str(port), "--fixture", fixture, "--token", token],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=clean_env(),
        )
        try:
            paragon = _wait_until_up(process, url)
        except BaseException:
            process.kill()
            process.wait(timeout=10)
            log.close()
            raise
        if paragon is None:  # it exited: most likely the port was taken meanwhile
            log.close()
            continue
        key_path = workdir / "paragon-signing-key.pem"
        key_path.write_text(paragon["privateKeyPem"], encoding="utf-8")
        key_path.chmod(0o600)
        server = SandboxServer(url, token, str(paragon["projectId"]), key_path, process)
        try:
            yield server
        finally:
            server.stop()
            log.close()
        return
    raise RuntimeError(f"alysio-agent sandbox did not start; see {workdir}")


@pytest.fixture
def sandbox_server(tmp_path: Path) -> Iterator[SandboxServer]:
    """A running ``alysio-agent sandbox`` (demo portal) on a free loopback port, stopped after the test."""
    assert SCRIPT.is_file(), "the project must be installed (pip install -e .) for the console script"
    with sandbox_process(tmp_path / "sandbox") as server:
        yield server

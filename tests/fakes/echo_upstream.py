"""A HubSpot or Paragon stand-in on a loopback port that answers every request with an error
quoting the request's own ``Authorization`` header (and any extra text given).

Real upstreams sometimes do this ("invalid token: Bearer eyJ..."); the tests use it to show that
no credential reaches a reply, a checkpoint, the audit log or a log file, whatever the error body
says. Every request's path and headers are kept for assertions.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from tests.fakes.loopback import LoopbackServer, QuietHandler

Shape = Literal["hubspot", "paragon"]


def echo_body(shape: Shape, status: int, echoed: str) -> dict[str, Any]:
    """An error body in HubSpot's shape, or in Paragon's envelope around HubSpot's, quoting ``echoed``."""
    hubspot = {
        "status": "error",
        "message": f"Authentication credentials not valid: {echoed}",
        "correlationId": "0b6d9c5e-1111-2222-3333-444455556666",
        "category": "INVALID_AUTHENTICATION" if status == 401 else "VALIDATION_ERROR",
    }
    if shape == "hubspot":
        return hubspot
    return {
        "message": f"Request failed for credential: {echoed}",
        "code": "40001",
        "status": status,
        "meta": {"isIntegrationError": False, "echo": echoed, "body": hubspot},
    }


class EchoUpstream(LoopbackServer):
    """A loopback HTTP server whose every answer is ``status`` with the caller's credentials quoted.

    Args:
        shape: ``hubspot`` (HubSpot's error body) or ``paragon`` (Paragon's envelope).
        status: The HTTP status of every answer.
        extra: More text to quote in each body (a configured secret the test wants echoed).

    Attributes:
        requests: ``(method, path, headers)`` of each request received (header names lower case).
    """

    thread_name = "echo-upstream"

    def __init__(self, shape: Shape = "hubspot", *, status: int = 400, extra: str = "") -> None:
        self.shape: Shape = shape
        self.status = status
        self.extra = extra
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        super().__init__(self._handler_class())

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(QuietHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.requests.append((self.command, self.path, headers))
                echoed = f"Authorization: {headers.get('authorization', '')} {server.extra}".strip()
                self.send_json(server.status, echo_body(server.shape, server.status, echoed))

            do_GET = do_POST = do_PATCH = do_PUT = _answer

        return Handler

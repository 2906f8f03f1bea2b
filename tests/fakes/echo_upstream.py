"""A HubSpot or Paragon stand-in on a loopback port that answers every request with an error
quoting the request's own ``Authorization`` header (and any extra text given).

Real upstreams sometimes do this ("invalid token: Bearer eyJ..."); the tests use it to show that
no credential reaches a reply, a checkpoint, the audit log or a log file, whatever the error body
says. Every request's path and headers are kept for assertions.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

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


class EchoUpstream:
    """A loopback HTTP server whose every answer is ``status`` with the caller's credentials quoted.

    Args:
        shape: ``hubspot`` (HubSpot's error body) or ``paragon`` (Paragon's envelope).
        status: The HTTP status of every answer.
        extra: More text to quote in each body (a configured secret the test wants echoed).

    Attributes:
        requests: ``(method, path, headers)`` of each request received (header names lower case).
    """

    def __init__(self, shape: Shape = "hubspot", *, status: int = 400, extra: str = "") -> None:
        self.shape: Shape = shape
        self.status = status
        self.extra = extra
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> EchoUpstream:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="echo-upstream",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.requests.append((self.command, self.path, headers))
                echoed = f"Authorization: {headers.get('authorization', '')} {server.extra}".strip()
                data = json.dumps(echo_body(server.shape, server.status, echoed)).encode("utf-8")
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = _answer

        return Handler

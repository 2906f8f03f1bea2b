"""An OpenAI-compatible chat completions server on a loopback port, answering from a script.

The ``openai`` SDK (3.x sends through ``httpx2``, which ``respx`` cannot intercept) and
``langchain-openai`` talk to it over real HTTP, so a test covers the whole client stack: the
request body the SDK builds, its retries on 429/5xx and its parsing of the answer. It serves
``POST /v1/chat/completions`` only; every request body and header is kept for assertions. Each
body is reduced to the recorded form of :mod:`agent.planners.recorded`, the one the chat models
use, so an exchange recorded at one level replays at the other.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from agent.planners.recorded import RecordedRequest, RecordedResponse, Replay, UnexpectedModelCall
from tests.fakes.loopback import LoopbackServer, QuietHandler
from tests.fakes.model_script import ModelResponse

COMPLETIONS_PATH = "/v1/chat/completions"


def completion_body(response: RecordedResponse, *, model: str, number: int) -> dict[str, Any]:
    """A ``chat.completion`` object as OpenAI returns it (structured output: the JSON as content)."""
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None if response.refusal else response.to_message().text,
                    "refusal": response.refusal,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": response.finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "system_fingerprint": "fp_fake",
    }


def error_body(message: str, *, status: int) -> dict[str, Any]:
    """OpenAI's error envelope."""
    kind = (
        "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
    )
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class FakeOpenAIServer(LoopbackServer):
    """A scripted OpenAI-compatible server on ``127.0.0.1`` (a free port unless one is given).

    Use as a context manager; point the client at :attr:`base_url`. A request the script does
    not expect is answered 400 with ``x-should-retry: false`` (so the SDK does not retry it)
    and recorded in ``script.failures``: ``script.assert_done()`` fails the test.

    Attributes:
        script: The exchanges served, in order.
        bodies: Every JSON request body received.
        headers: The headers of each request (lower-case names).
    """

    thread_name = "fake-openai"

    def __init__(self, script: Replay, *, port: int = 0) -> None:
        self.script = script
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        super().__init__(self._handler_class(), port=port)

    @property
    def base_url(self) -> str:
        """The ``base_url`` for the SDK (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _record(self, body: dict[str, Any], headers: dict[str, str]) -> int:
        with self._lock:
            self.bodies.append(body)
            self.headers.append(headers)
            return len(self.bodies)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path != COMPLETIONS_PATH:
                    failure = UnexpectedModelCall(
                        f"the fake OpenAI server serves only {COMPLETIONS_PATH}, got {self.path}"
                    )
                    server.script.failures.append(failure)
                    self.send_json(404, error_body(str(failure), status=404), {"x-should-retry": "false"})
                    return
                body = json.loads(raw or b"{}")
                number = server._record(body, {k.lower(): v for k, v in self.headers.items()})
                request = RecordedRequest.from_openai(body.get("messages", []), body.get("response_format"))
                try:
                    response = server.script.answer(request).response
                except AssertionError as exc:
                    self.send_json(400, error_body(str(exc), status=400), {"x-should-retry": "false"})
                    return
                headers = response.headers if isinstance(response, ModelResponse) else {}
                if isinstance(response, ModelResponse) and response.is_error:
                    message = response.content or HTTPStatus(response.status).phrase
                    self.send_json(response.status, error_body(message, status=response.status), headers)
                    return
                payload = completion_body(response, model=str(body.get("model", "fake")), number=number)
                self.send_json(200, payload, headers)

        return Handler

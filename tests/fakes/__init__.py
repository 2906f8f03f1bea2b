"""Test doubles of the language model, shared by the tests and the eval harness.

- :mod:`tests.fakes.model_script`: a script of expected requests and canned responses, the
  unit both fakes consume and the shape of a recorded exchange (a cassette entry).
- :mod:`tests.fakes.chat_model`: a LangChain chat model answering from a script, and a wrapper
  recording a real model's exchanges into one (for writing cassettes).
- :mod:`tests.fakes.openai_server`: an OpenAI-compatible HTTP server on a loopback port
  answering from a script, for tests through the real ``openai``/``langchain-openai`` stack.
- :mod:`tests.fakes.builders`: plans many tests share (``deal_for_acme``) and ``assert_matches``,
  a partial comparison of a plan's dump.

Both fail on a call the script does not expect, on a request that differs from the recorded
one, and (with :meth:`ModelScript.assert_done`) on a scripted call that never came.
"""

from tests.fakes.chat_model import RecordingChatModel, ScriptedChatModel
from tests.fakes.model_script import (
    Exchange,
    MissingModelCall,
    ModelRequest,
    ModelResponse,
    ModelScript,
    RequestMismatch,
    UnexpectedModelCall,
)
from tests.fakes.openai_server import FakeOpenAIServer

__all__ = [
    "Exchange",
    "FakeOpenAIServer",
    "MissingModelCall",
    "ModelRequest",
    "ModelResponse",
    "ModelScript",
    "RecordingChatModel",
    "RequestMismatch",
    "ScriptedChatModel",
    "UnexpectedModelCall",
]

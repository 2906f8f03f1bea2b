"""Test doubles of the language model, built on :mod:`agent.planners.recorded`.

- :mod:`tests.fakes.model_script`: a script of canned answers (and HTTP errors) with the
  expected requests, a :class:`~agent.planners.recorded.Replay`.
- :mod:`tests.fakes.chat_model`: a LangChain chat model answering from a script.
- :mod:`tests.fakes.openai_server`: an OpenAI-compatible HTTP server on a loopback port
  answering from a script, for tests through the real ``openai``/``langchain-openai`` stack.
- :mod:`tests.fakes.echo_upstream`: a HubSpot or Paragon stand-in on a loopback port whose every
  error quotes the caller's ``Authorization`` header (the secret-redaction tests).
- :mod:`tests.fakes.loopback`: the loopback HTTP server both HTTP fakes run on.
- :mod:`tests.fakes.builders`: plans many tests share (``deal_for_acme``) and ``assert_matches``,
  a partial comparison of a plan's dump.

Both fail on a call the script does not expect, on a request that differs from the scripted
one, and (with ``assert_done``) on a scripted call that never came.
"""

from tests.fakes.chat_model import ScriptedChatModel
from tests.fakes.model_script import ModelResponse, ModelScript
from tests.fakes.openai_server import FakeOpenAIServer

__all__ = ["FakeOpenAIServer", "ModelResponse", "ModelScript", "ScriptedChatModel"]

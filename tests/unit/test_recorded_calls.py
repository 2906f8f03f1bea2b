"""Recorded model calls: the request form, the cassette file, replay and the two chat models."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from agent.plan import Plan
from agent.planners.recorded import (
    Cassette,
    CassetteError,
    Exchange,
    MissingModelCall,
    RecordedRequest,
    RecordedResponse,
    RecordingChatModel,
    Replay,
    ReplayFailure,
    ReplayingChatModel,
    RequestMismatch,
    UnexpectedModelCall,
    read_cassette,
    write_cassette,
)

SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
FORMAT: dict[str, object] = {
    "type": "json_schema",
    "json_schema": {"name": "thing", "strict": True, "schema": SCHEMA},
}


def request(text: str, response_format: dict[str, object] | None = None) -> RecordedRequest:
    return RecordedRequest.from_openai([{"role": "user", "content": text}], response_format)


def exchange(turn: int, text: str | None, answer: str) -> Exchange:
    return Exchange(
        turn=turn,
        request=None if text is None else request(text),
        response=RecordedResponse(content=answer),
    )


def test_a_request_keeps_the_schemas_name_and_digest_whatever_the_key_order() -> None:
    reordered: dict[str, object] = {
        "json_schema": {"schema": dict(reversed(SCHEMA.items())), "name": "thing"},
        "type": "x",
    }
    sent = request("hi", FORMAT)
    assert sent.schema_name == "thing" and sent.schema_sha256 is not None and len(sent.schema_sha256) == 64
    assert request("hi", reordered) == sent
    assert request("hi", {**FORMAT, "json_schema": {"name": "other", "schema": SCHEMA}}) != sent
    plain = request("hi")
    assert (plain.schema_name, plain.schema_sha256) == (None, None)
    from_langchain = RecordedRequest.from_langchain([SystemMessage("be brief"), HumanMessage("hi")], FORMAT)
    assert from_langchain == RecordedRequest.from_openai(
        [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}], FORMAT
    )


def test_the_diff_shows_changed_lines_and_stays_short() -> None:
    before = RecordedRequest.from_openai([{"role": "system", "content": "one\ntwo\nthree"}])
    after = RecordedRequest.from_openai([{"role": "system", "content": "one\nTWO\nthree"}], FORMAT)
    diff = before.diff(after)
    assert diff.splitlines()[0].startswith("schema: recorded None (None), sent thing (")
    assert "\n-two\n+TWO" in diff
    long = RecordedRequest.from_openai([{"role": "user", "content": "\n".join(["x" * 200] * 50)}])
    cut = before.diff(long, limit=5, width=20)
    assert len(cut.splitlines()) == 6 and cut.endswith("\n...")
    assert all(len(line) <= 20 for line in cut.splitlines())
    assert len(before.diff(long, limit=None).splitlines()) > 50


def test_replay_answers_in_order_and_fails_on_an_unexpected_call() -> None:
    replay = Replay([exchange(0, "a", "first"), exchange(0, None, "second")])
    assert replay.answer(request("a")).response.content == "first"
    assert replay.answer(request("anything")).response.content == "second"  # no request: any
    replay.assert_done()
    with pytest.raises(UnexpectedModelCall, match=r"unexpected model call #3:\n"):
        replay.answer(request("one more"))
    with pytest.raises(UnexpectedModelCall):
        replay.assert_done()  # kept, even if the code under test swallowed it
    assert replay.calls == 3


def test_replay_with_turns_answers_a_call_only_from_its_turn() -> None:
    replay = Replay([exchange(1, "b", "turn one")])
    with pytest.raises(UnexpectedModelCall, match="in turn 0"):
        replay.answer(request("b"), turn=0)
    assert replay.answer(request("b"), turn=1).response.content == "turn one"


def test_replay_fails_on_a_changed_request_with_a_diff_and_on_missing_calls() -> None:
    replay = Replay([exchange(0, "recorded text", "x"), exchange(2, "later", "y")])
    with pytest.raises(
        RequestMismatch, match=r"(?s)differs from the recorded request:.*-recorded text\n\+sent text"
    ):
        replay.answer(request("sent text"))
    fresh = Replay([exchange(0, "a", "x"), exchange(2, "later", "y")])
    fresh.answer(request("a"))
    with pytest.raises(MissingModelCall, match=r"1 recorded model call\(s\) never happened \(turns \[2\]\)"):
        fresh.assert_done()


def test_replay_without_checking_requests_fills_them_in() -> None:
    replay = Replay([exchange(0, "old", "x"), exchange(1, "unused", "y")], check_requests=False)
    replay.answer(request("new"), turn=0)
    filled = replay.cassette()
    assert [e.request for e in filled.exchanges] == [request("new"), request("unused")]
    assert [e.turn for e in replay.unused()] == [1]


def test_a_cassette_file_round_trips_and_keeps_its_readable_form(tmp_path: Path) -> None:
    path = tmp_path / "case.cassette.yaml"
    cassette = Cassette(
        source="live",
        exchanges=[
            Exchange(
                turn=0,
                request=RecordedRequest.from_openai(
                    [{"role": "system", "content": "line one\nline two"}], FORMAT
                ),
                response=RecordedResponse(plan=Plan(intent="unsupported", not_understood=["x"])),
            ),
            Exchange(turn=1, response=RecordedResponse(refusal="no", finish_reason="content_filter")),
        ],
    )
    write_cassette(path, cassette)
    text = path.read_text()
    assert text.startswith("source: live\nexchanges:\n- turn: 0\n  request:\n    schema: thing\n")
    assert "content: |-\n        line one\n        line two\n" in text
    assert "- turn: 1\n  response:\n    refusal: 'no'\n    finish_reason: content_filter\n" in text
    assert read_cassette(path) == cassette


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "missing recording case.cassette.yaml: write its responses and run"),
        ("exchanges: [", "case.cassette.yaml is not valid YAML"),
        (
            "exchanges: [{turn: 0, response: {}}]",
            "case.cassette.yaml: exchanges.0.response: Value error, a response",
        ),
        ("exchanges: [{response: {content: hi}}]", "case.cassette.yaml: exchanges.0.turn: Field required"),
        ("source: guessed", "case.cassette.yaml: source: Input should be 'synthetic' or 'live'"),
    ],
    ids=["missing", "not-yaml", "empty-response", "no-turn", "bad-source"],
)
def test_an_unreadable_cassette_says_why(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "case.cassette.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(CassetteError) as caught:
        read_cassette(path)
    assert str(caught.value).startswith(message)


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"exchanges: []\x00\x01\x02\xff", "case.cassette.yaml: the file is binary, not YAML text"),
        (
            b"exchanges: [{turn: 0, response: {content: caf\xe9}}]",
            "case.cassette.yaml: the file is not UTF-8",
        ),
        (ALIAS_BOMB.encode(), "case.cassette.yaml: the document expands to more than"),
        (b"exchanges: [\n  {turn: 0,\n", "case.cassette.yaml is not valid YAML (line "),
    ],
    ids=["binary", "not-utf8", "alias-bomb", "not-yaml-one-line"],
)
def test_a_hostile_cassette_is_refused_in_one_line(tmp_path: Path, raw: bytes, message: str) -> None:
    path = tmp_path / "case.cassette.yaml"
    path.write_bytes(raw)
    with pytest.raises(CassetteError) as caught:
        read_cassette(path)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


async def test_the_replaying_model_answers_the_recorded_form_and_refuses_other_options() -> None:
    sent = RecordedRequest.from_langchain([HumanMessage("hi")], FORMAT)
    replay = Replay([Exchange(turn=0, request=sent, response=RecordedResponse(content="hello"))])
    model = ReplayingChatModel(responder=replay)

    reply = await model.bind(response_format=FORMAT).ainvoke([HumanMessage("hi")])

    assert reply.text == "hello" and reply.response_metadata["finish_reason"] == "stop"
    replay.assert_done()
    with pytest.raises(ReplayFailure, match="no place for"):
        await model.ainvoke([HumanMessage("hi")], stop=["\n"])


async def test_the_recording_model_keeps_each_exchange_in_its_turn() -> None:
    answers = Replay(
        [
            Exchange(turn=0, response=RecordedResponse(content="plain")),
            Exchange(turn=0, response=RecordedResponse(refusal="no")),
        ]
    )
    turn = 3
    recorder = RecordingChatModel(inner=ReplayingChatModel(responder=answers), current_turn=lambda: turn)

    await recorder.bind(response_format=FORMAT).ainvoke([HumanMessage("first")])
    turn = 4
    await recorder.ainvoke([HumanMessage("second")])

    cassette = recorder.cassette()
    assert cassette.source == "live"
    assert [(e.turn, e.request, e.response) for e in cassette.exchanges] == [
        (
            3,
            RecordedRequest.from_langchain([HumanMessage("first")], FORMAT),
            RecordedResponse(content="plain"),
        ),
        (4, RecordedRequest.from_langchain([HumanMessage("second")]), RecordedResponse(refusal="no")),
    ]

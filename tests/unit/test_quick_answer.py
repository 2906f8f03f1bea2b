"""The shared yes / no / cancel reading: a plain reply never needs a model, anything more is not plain."""

from __future__ import annotations

import pytest

from agent.planners.quick import quick_answer

YES = [
    "yes",
    "Yes",
    "YES!",
    "y",
    "yep",
    "yeah",
    "yup",
    "sure",
    "sure, go ahead",
    "go ahead",
    "do it",
    "ok",
    "OK.",
    "okay",
    "k",
    "approve",
    "approved",
    "confirm",
    "looks good",
    "lgtm",
    "sounds good",
    "yes please",
    "please do",
    "ship it",
    "👍",
    "ok 👍",
    "✅",
    "yes, thanks",
    "perfect, go for it",
    "that’s right",
    "actually yes",
]
NO = [
    "no",
    "No.",
    "n",
    "nope",
    "nah",
    "no thanks",
    "no, thank you",
    "don't",
    "dont",
    "do not",
    "reject",
    "👎",
    "wrong",
]
CANCEL = [
    "cancel",
    "cancel that",
    "Cancel it.",
    "nevermind",
    "never mind",
    "nvm",
    "stop",
    "abort",
    "forget it",
    "scratch that",
    "no, cancel",
]
NOT_PLAIN = [
    "yes but make it 60k",
    "yes, and assign it to Sam",
    "ok make it 60k",
    "no, make it 60k",
    "yes no",
    "sure, but close date next Friday",
    "make it 60k",
    "the one at Initech",
    "2",
    "create a deal for Acme",
    "",
    "   ",
    "yes delete it",
]


@pytest.mark.parametrize("message", YES)
def test_yes_approves_a_confirmation(message: str) -> None:
    answer = quick_answer(message, "confirm")
    assert answer is not None
    assert answer.decision == "approve"


@pytest.mark.parametrize("message", NO)
def test_no_rejects_a_confirmation(message: str) -> None:
    answer = quick_answer(message, "confirm")
    assert answer is not None
    assert answer.decision == "reject"


@pytest.mark.parametrize("message", CANCEL)
def test_cancel_cancels_a_confirmation(message: str) -> None:
    answer = quick_answer(message, "confirm")
    assert answer is not None
    assert answer.decision == "cancel"


@pytest.mark.parametrize("message", NOT_PLAIN)
def test_replies_that_say_more_than_yes_or_no_are_not_plain(message: str) -> None:
    assert quick_answer(message, "confirm") is None
    assert quick_answer(message, "clarify") is None


@pytest.mark.parametrize("message", ["yes", "no", "cancel", "sure, go ahead"])
def test_nothing_is_read_when_nothing_is_pending(message: str) -> None:
    assert quick_answer(message, "none") is None


def test_yes_to_a_question_accepts_what_it_offered_in_the_users_words() -> None:
    answer = quick_answer("  Yep, do it ", "clarify")
    assert answer is not None
    assert (answer.decision, answer.choice) == ("choose", "Yep, do it")


@pytest.mark.parametrize("message", ["no", "nope", "cancel", "nevermind", "stop"])
def test_no_or_cancel_to_a_question_cancels_it(message: str) -> None:
    answer = quick_answer(message, "clarify")
    assert answer is not None
    assert answer.decision == "cancel"

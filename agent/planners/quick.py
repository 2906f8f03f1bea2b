"""The deterministic reading of yes / no / cancel, shared by both planners.

A plain yes or no to a pending confirmation must never cost a model call, so both planners ask
:func:`quick_answer` first. It accepts a reply only when every part of it is a yes (or a no, or a
cancel) phrase plus politeness ("sure, go ahead", "no thanks", "👍"); anything more ("yes but make
it 60k") is left to the planner as an edit.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from agent.plan import Answer
from agent.planners.base import PendingKind

_Reading = Literal["yes", "no", "cancel"]

_PHRASES: Final[dict[_Reading, tuple[str, ...]]] = {
    "yes": (
        "yes",
        "y",
        "yeah",
        "yea",
        "yah",
        "ya",
        "yep",
        "yup",
        "yess",
        "yesss",
        "sure",
        "sure thing",
        "ok",
        "okay",
        "okey",
        "k",
        "kk",
        "go ahead",
        "go for it",
        "go",
        "do it",
        "just do it",
        "approve",
        "approved",
        "i approve",
        "confirm",
        "confirmed",
        "correct",
        "right",
        "that's right",
        "thats right",
        "that is right",
        "looks good",
        "looks great",
        "look good",
        "lgtm",
        "sounds good",
        "perfect",
        "great",
        "good",
        "fine",
        "proceed",
        "ship it",
        "send it",
        "make it so",
        "absolutely",
        "definitely",
        "of course",
        "affirmative",
        "alright",
        "all right",
        "please do",
        "yes please",
        "👍",
        "✅",
        "👌",
        "✔",
        "✔️",
    ),
    "no": (
        "no",
        "n",
        "nope",
        "nah",
        "naw",
        "no way",
        "don't",
        "dont",
        "do not",
        "don't do it",
        "don't do that",
        "reject",
        "rejected",
        "decline",
        "declined",
        "deny",
        "wrong",
        "not right",
        "that's wrong",
        "thats wrong",
        "negative",
        "👎",
        "❌",
    ),
    "cancel": (
        "cancel",
        "cancel that",
        "cancel it",
        "nevermind",
        "never mind",
        "nvm",
        "stop",
        "abort",
        "forget it",
        "forget about it",
        "forget that",
        "scratch that",
        "drop it",
        "skip it",
        "skip",
        "quit",
        "exit",
        "leave it",
        "🛑",
    ),
}
_FILLER: Final[frozenset[str]] = frozenset(
    {"please", "pls", "thanks", "thank", "you", "thx", "ty", "it", "that", "this", "now", "then", "just"}
    | {"oh", "well", "hmm", "actually", "wait", "sir", "mate", "man", "pal"}
)
_APOSTROPHES: Final[re.Pattern[str]] = re.compile(r"[\u2019\u2018`]")
_PUNCTUATION: Final[re.Pattern[str]] = re.compile(r"[.,!?;:()\"\-]+")

_LOOKUP: Final[dict[tuple[str, ...], _Reading]] = {
    tuple(phrase.split()): reading for reading, phrases in _PHRASES.items() for phrase in phrases
}
_LONGEST: Final[int] = max(len(key) for key in _LOOKUP)


_CONFIRM_DECISIONS: Final[dict[_Reading, Literal["approve", "reject", "cancel"]]] = {
    "yes": "approve",
    "no": "reject",
    "cancel": "cancel",
}


def _reading(message: str) -> _Reading | None:
    """What a reply means when it is nothing but yes / no / cancel phrases and filler."""
    text = _APOSTROPHES.sub("'", message.lower())
    text = _PUNCTUATION.sub(" ", text)
    # Emoji are words of their own even when typed without spaces ("ok👍").
    text = re.sub(r"([\U0001F300-\U0001FAFF\u2705\u2714\u274C\u2611\uFE0F]+)", r" \1 ", text)
    words = [word for word in text.split() if word != "\ufe0f"]
    found: set[_Reading] = set()
    index = 0
    while index < len(words):
        for size in range(min(_LONGEST, len(words) - index), 0, -1):
            key = tuple(words[index : index + size])
            if key in _LOOKUP:
                found.add(_LOOKUP[key])
                index += size
                break
        else:
            if words[index] in _FILLER:
                index += 1
                continue
            return None
    if len(found) != 1:
        # "no, go ahead" or "ok cancel": two readings; let the planner ask rather than guess.
        return "cancel" if found == {"no", "cancel"} else None
    return found.pop()


def quick_answer(message: str, pending: PendingKind) -> Answer | None:
    """Read a plain yes / no / cancel reply to what is pending, without any model.

    Args:
        message: The user's reply.
        pending: What the agent is waiting for.

    Returns:
        ``approve`` / ``reject`` / ``cancel`` for a pending confirmation; for a pending question,
        ``cancel`` for a no or cancel and ``choose`` (with the user's words) for a yes, which
        accepts what the question offered. None when nothing is pending or the reply says more
        than yes or no.
    """
    if pending == "none":
        return None
    reading = _reading(message)
    if reading is None:
        return None
    if pending == "confirm":
        return Answer(decision=_CONFIRM_DECISIONS[reading])
    if reading == "yes":
        return Answer(decision="choose", choice=message.strip())
    return Answer(decision="cancel")

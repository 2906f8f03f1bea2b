"""Slot readers shared by the offline planner's intents: stages, owners, lifecycle, fields.

Each reader looks at an :class:`~agent.planners.offline.text.Utterance` and returns a value in the
plan's terms, or None. None of them guesses: no stage word, no stage value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

from agent.planners.offline.lexicon import DEFAULT_STAGE_LABELS, LIFECYCLE_STAGES, STOPWORDS
from agent.planners.offline.text import Utterance

POLITE: Final[tuple[tuple[str, ...], ...]] = tuple(
    tuple(phrase.split())
    for phrase in (
        "please",
        "can you please",
        "could you please",
        "can you",
        "could you",
        "would you",
        "will you",
        "can u",
        "pls",
        "hey",
        "hi",
        "hello",
        "yo",
        "so",
        "ok so",
        "okay so",
        "quick",
        "quickly",
        "real quick",
        "just",
        "also",
        "and",
        "then",
        "now",
        "i need to",
        "i need you to",
        "need to",
        "i want to",
        "i want you to",
        "i'd like to",
        "id like to",
        "i would like to",
        "i wanna",
        "let's",
        "lets",
        "go ahead and",
        "help me",
        "alysio",
        "fyi",
        "ok",
        "okay",
        "alright",
        "cool",
        "great",
        "thanks",
        "btw",
        "heads up",
        "quick one",
    )
)
"""Openers that carry no request of their own."""

_OWNER: Final[str] = (
    r"(me|myself|(?:[A-Z][\w'-]*|[a-z][\w'-]*)(?:\s+[A-Z][\w'-]*)?|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
)


def request_start(u: Utterance) -> int:
    """Index of the first token after politeness ("can you please", "hey", "i need to")."""
    index = 0
    words = [token.low for token in u.tokens]
    changed = True
    while changed:
        changed = False
        while index < len(words) and u.tokens[index].is_boundary:
            index += 1
        for phrase in sorted(POLITE, key=len, reverse=True):
            if tuple(words[index : index + len(phrase)]) == phrase:
                index += len(phrase)
                changed = True
                break
    return index


@dataclass(frozen=True)
class StageHit:
    """A deal stage named in the message: the portal's label and the words' span."""

    label: str
    start: int
    end: int


def find_stage(u: Utterance, labels: list[str], allow_single: bool = True) -> StageHit | None:
    """The deal stage the message names, matched to the portal's labels with fuzzy scoring.

    Args:
        u: The message.
        labels: The portal's stage labels (HubSpot's defaults when empty).
        allow_single: Accept a lone "won" / "lost" for the closed stages (not in questions, where
            "deals won" is a deal status instead).
    """
    known = labels or list(DEFAULT_STAGE_LABELS)
    plain = {label: " ".join(re.sub(r"[^a-z0-9]+", " ", label.lower()).split()) for label in known}
    words = [token for token in u.tokens if not token.is_boundary]
    norms = [re.sub(r"[^a-z0-9]+", " ", token.text.lower()).strip() for token in words]
    best: tuple[float, int, StageHit] | None = None
    for size in (5, 4, 3, 2):
        # Labels of about this many words ("Decision Maker Bought-In" is four).
        targets = {label: target for label, target in plain.items() if abs(len(target.split()) - size) <= 1}
        if not targets:
            continue
        for index in range(len(words) - size + 1):
            text = " ".join(norms[index : index + size])
            found = process.extractOne(text, targets, scorer=fuzz.ratio, score_cutoff=88)
            if found is not None and (best is None or (found[1], size) > (best[0], best[1])):
                best = (found[1], size, StageHit(found[2], words[index].start, words[index + size - 1].end))
    if best is not None:
        return best[2]
    if allow_single:
        for token in words:
            for word in ("won", "lost"):
                if token.low == word:
                    closed = next((label for label, target in plain.items() if word in target.split()), None)
                    if closed is not None:
                        return StageHit(closed, token.start, token.end)
    return None


def find_owner(u: Utterance) -> tuple[str, int] | None:
    """An owner the message assigns or filters by: "me" or the name, and where it starts.

    Reads "assign ... to Sam", "give it to me", "owner to Priya", "make Sam the owner",
    "owned by me", "Sam's deals" is left to questions (it may be a contact's deals).
    """
    patterns = [
        r"\b(?:assign(?:ed)?|reassign(?:ed)?|give|hand(?:\s+(?:it|this|that|them))?\s+over|transfer|switch)\b.*?\bto\s+"
        + _OWNER,
        r"\bowner\s+(?:to|is|=|should be|as)\s+" + _OWNER,
        r"\bmake\s+" + _OWNER + r"\s+(?:the\s+)?owner\b",
        r"\bowned\s+by\s+" + _OWNER,
        r"\b(?:put|set|add|make)\s+" + _OWNER + r"\s+as\s+(?:the\s+)?owner\b",
        r"\bassigned\s+to\s+" + _OWNER,
        r"\bset\s+(?:the\s+)?owner\s+(?:of\s+.*?\s+)?to\s+" + _OWNER,
    ]
    for pattern in patterns:
        m = re.search(pattern, u.text, flags=re.IGNORECASE)
        if m:
            name = m.group(1)
            if name.lower() in ("me", "myself"):
                return "me", m.start(1)
            if name.lower().split()[0] in ("the", "a", "an", "it", "this", "that", "him", "her", "them"):
                continue
            return name, m.start(1)
    return None


def find_city(u: Utterance) -> str | None:
    """A company's city: "HQ in Gotham City", "city to palo alto", "moved HQ to austin"."""
    m = u.find(
        r"\b(?:city\s+(?:to|is|=|:)|(?:hq|headquarters|head office|offices?)\s+(?:is\s+|are\s+)?(?:in|at)|"
        r"(?:headquartered|based|located)\s+in|moved\s+(?:their\s+|its\s+|the\s+)?(?:hq|headquarters|offices?)\s+to)"
        r"\s+([A-Za-z][\w.'-]*(?:\s+[A-Za-z][\w.'-]*){0,3}?)(?=\s*(?:$|[,.;!?]|\s-\s|\s+(?:and|but|so|pls|please)\b))"
    )
    return m.group(1).strip() if m else None


def find_lifecycle(u: Utterance) -> str | None:
    """HubSpot's lifecycle stage value the message sets ("Jane is now a customer" -> ``customer``)."""
    words = "|".join(sorted((re.escape(word) for word in LIFECYCLE_STAGES), key=len, reverse=True))
    m = re.search(
        r"(?:'s\s+now|'s|\b(?:is now|now|is|as|to|into|becomes?|became|converted to|lifecycle(?: stage)?(?: to| is)?))"
        r"\s+(?:an?\s+|the\s+)?(" + words + r")\b",
        u.text,
        flags=re.IGNORECASE,
    )
    return LIFECYCLE_STAGES[m.group(1).lower()] if m else None


def find_priority(u: Utterance) -> str | None:
    """A task priority: HIGH for "high priority", "urgent", "asap"; LOW, MEDIUM likewise."""
    if u.has("urgent", "asap", "high priority", "top priority", "hi priority", "important", "priority high"):
        return "HIGH"
    if u.has("low priority", "priority low", "not urgent", "no rush"):
        return "LOW"
    if u.has("medium priority", "normal priority", "priority medium"):
        return "MEDIUM"
    return None


def priority_spans(u: Utterance) -> list[tuple[int, int]]:
    """Spans of priority phrases (cut out of task subjects)."""
    pattern = (
        r",?\s*\b(?:(?:with\s+)?(?:high|hi|top|low|medium|normal)\s+priority|priority\s+(?:high|low|medium)|"
        r"urgent|asap|not urgent|no rush|important)\b"
    )
    return [(m.start(), m.end()) for m in re.finditer(pattern, u.text, flags=re.IGNORECASE)]


def find_job_title(u: Utterance) -> str | None:
    """A job title the message gives ("title to VP Sales", "job title: CTO", "she's the new CFO")."""
    m = re.search(
        r"\b(?:job\s+title|title|role|position)\s*(?:to|is now|is|:|=|as|of)?\s*([A-Za-z][\w &/,.-]*?)(?=$|[.;!?]|,\s|\s+(?:and|at|for)\s)",
        u.text,
        flags=re.IGNORECASE,
    )
    if m:
        return m.group(1).strip(" ,.")
    m = re.search(
        r"(?:\b(?:is now|is|as)\s+|'s\s+|,\s*)(?:the\s+|our\s+|their\s+|an?\s+)?(?:new\s+)?((?:CEO|CTO|CFO|COO|CRO|CMO|CIO|VP|SVP|EVP|Head|Director|Manager|President|Founder|Co-founder|Chief|Senior|Lead)\b[\w &/-]*?)(?=$|[.;,!?]|\s+(?:at|of|for|in)\s+[A-Z])",
        u.text,
    )
    if m:
        return m.group(1).strip()
    # "she's the new procurement lead": a department before a role word, said of a person.
    m = re.search(
        r"\b(?:she's|he's|they're|who's|(?:she|he|who)\s+is)\s+(?:now\s+)?(?:the|our|their|a|an)\s+(?:new\s+)?"
        r"((?:[a-z][\w&/-]*\s+){0,2}?(?:lead|manager|director|head|officer|engineer|buyer|coordinator|analyst|"
        r"architect|counsel|administrator|specialist))\b(?!\s+(?:on|for|of)\b)",
        u.text,
        flags=re.IGNORECASE,
    )
    return m.group(1).strip() if m else None


def content_words(u: Utterance) -> list[str]:
    """The message's words that carry meaning (for reporting what was not understood)."""
    words = re.findall(r"[A-Za-z][\w'-]*", u.raw)
    return [word for word in words if word.lower() not in STOPWORDS]

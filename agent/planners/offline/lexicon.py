"""The offline planner's vocabulary: abbreviations, keyword classes and typo correction.

Sales people type fast: "cretae a dael w/ acme", "f/u tmrw". The message is first rewritten word by
word: abbreviations are expanded, and a word that is one slip away from a keyword ("compnay") is
replaced by it. Everything else (names, numbers, punctuation, casing) is kept as typed, so the
later steps see a clean sentence without losing the user's own words.
"""

from __future__ import annotations

import re
from typing import Final

from rapidfuzz import process
from rapidfuzz.distance import OSA

from tools.hubspot.types import ObjectType


def words(text: str, *more: str) -> frozenset[str]:
    """A word set from a whitespace-separated list (plus ``more``), for readable vocabularies."""
    return frozenset((*text.split(), *more))


ABBREVIATIONS: Final[dict[str, str]] = {
    "opp": "deal",
    "opps": "deals",
    "oppty": "deal",
    "oppties": "deals",
    "acct": "account",
    "accts": "accounts",
    "mtg": "meeting",
    "mtgs": "meetings",
    "f/u": "follow up",
    "fu": "follow up",
    "f-u": "follow up",
    "followup": "follow up",
    "w/": "with",
    "w": "with",
    "w/o": "without",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmw": "tomorrow",
    "2moro": "tomorrow",
    "tomorow": "tomorrow",
    "tommorow": "tomorrow",
    "tommorrow": "tomorrow",
    "tdy": "today",
    "pls": "please",
    "plz": "please",
    "ppl": "people",
    "amt": "amount",
    "mins": "minutes",
    "min": "minutes",
    "hr": "hour",
    "hrs": "hours",
    "wk": "week",
    "yr": "year",
    "yrs": "years",
    "qtr": "quarter",
    "qtrs": "quarters",
    "vm": "voicemail",
    "thru": "through",
    "wks": "weeks",
    "nxt": "next",
    "mgr": "manager",
    "pri": "priority",
    "prio": "priority",
    "info": "details",
    "convo": "conversation",
    "e-mail": "email",
    "e-mails": "emails",
    "todo": "task",
    "to-do": "task",
    "todos": "tasks",
    "nvm": "nevermind",
    "thx": "thanks",
    "re:": "about",
    "closedate": "close date",
    "ph": "phone",
    "tel": "phone",
    "cust": "customer",
    "co.": "company",
    "comp": "company",
}
"""Word-level rewrites of shorthand sales people use (keys are lower case)."""

KEYWORDS: Final[frozenset[str]] = words(
    """
    closes moved months weeks years days quarters emailed called assigned created updated logged booked
    opened added changed marked pushed owned owns merged linked deleted archived removed exported send sent
    show list find tell what when where which many much have does status demo reminder reminders details
    values amounts stages calling meets mobile numbers dealstage industry website domain
    create add new update change move mark assign reassign associate link connect merge log record
    remind follow schedule book delete archive remove export summarize summary contact contacts
    company companies account accounts deal deals task tasks note notes call calls meeting meetings
    email emails person people tomorrow today yesterday monday tuesday wednesday thursday friday
    saturday sunday month quarter week year next last this pipeline pipelines stage stages owner
    owners property properties fields priority amount close closing closed won lost open total value
    count many contract decision presentation appointment qualified scheduled bought lifecycle
    customer subscriber evangelist opportunity marketing phone title number minutes hours duplicate
    duplicates currency timezone portal please proposal nevermind cancel approve confirm
    """
)
"""Words typos are corrected to. Short everyday words are left out on purpose ("name", "same"):
a name like "Jane" must never be "corrected" into one of them."""

_KEYWORD_LIST: Final[list[str]] = sorted(KEYWORDS)
_WORD: Final[re.Pattern[str]] = re.compile(r"(?<![\w@.])[A-Za-z][A-Za-z'/-]*[A-Za-z/:.]?(?![\w@])")


def _max_slips(length: int) -> int:
    """How many slips (edits, adjacent swaps) a word of ``length`` may carry and still match."""
    return 1 if length <= 8 else 2


def correct_word(word: str) -> str:
    """The keyword ``word`` was meant to be, or ``word`` unchanged.

    A correction needs the same first letter (slips rarely hit it, and names differ there) and,
    for four-letter words, the same letters (only a swap: "dael" -> "deal", never "lead").
    """
    lower = word.lower()
    if len(lower) < 4 or lower in KEYWORDS or not lower.isalpha():
        return word
    found = process.extract(
        lower, _KEYWORD_LIST, scorer=OSA.distance, score_cutoff=_max_slips(len(lower)), limit=8
    )
    if not found:
        return word
    # Among equally close keywords prefer a swap of the same letters ("contarct" -> "contract",
    # not "contact"), then the same length.
    best = min(
        found, key=lambda hit: (hit[1], sorted(hit[0]) != sorted(lower), len(hit[0]) != len(lower), hit[0])
    )
    target = best[0]
    if target[0] != lower[0] or abs(len(target) - len(lower)) > 1:
        return word
    if len(lower) == 4 and sorted(target) != sorted(lower):
        return word
    return target


def _rewrite(word: str, is_first: bool) -> str:
    lower = word.lower()
    if lower in ABBREVIATIONS:
        return ABBREVIATIONS[lower]
    if word[0].isupper() and not is_first:
        return word
    return correct_word(word)


def normalize(message: str) -> tuple[str, list[int]]:
    """Rewrite shorthand and keyword typos, keeping names, numbers and punctuation as typed.

    A capitalised word that is not the first word is taken for a name and never corrected.

    Returns:
        The rewritten text and, for each of its positions (and its end), the position in
        ``message`` it came from, so the user's own words (a note's body) can be cut from the
        message as typed.
    """
    text = message.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    pieces: list[str] = []
    origin: list[int] = []
    cursor = 0
    for index, match in enumerate(_WORD.finditer(text)):
        pieces.append(text[cursor : match.start()])
        origin.extend(range(cursor, match.start()))
        word, end = match.group(0), match.end()
        if word[-1] in ".:" and word.lower() not in ABBREVIATIONS:
            # A sentence's dot or a label's colon is punctuation, not part of the word.
            word, end = word[:-1], end - 1
        replacement = _rewrite(word, index == 0)
        pieces.append(replacement)
        if replacement == word:
            origin.extend(range(match.start(), end))
        else:
            origin.extend([match.start()] * len(replacement))
        cursor = end
    pieces.append(text[cursor:])
    origin.extend(range(cursor, len(text) + 1))
    return "".join(pieces), origin


OBJECT_NOUNS: Final[dict[str, ObjectType]] = {
    "contact": "contacts",
    "contacts": "contacts",
    "person": "contacts",
    "people": "contacts",
    "prospect": "contacts",
    "prospects": "contacts",
    "lead": "contacts",
    "leads": "contacts",
    "company": "companies",
    "companies": "companies",
    "account": "companies",
    "accounts": "companies",
    "org": "companies",
    "organization": "companies",
    "organisation": "companies",
    "organizations": "companies",
    "client": "companies",
    "clients": "companies",
    "deal": "deals",
    "deals": "deals",
    "opportunity": "deals",
    "opportunities": "deals",
    "task": "tasks",
    "tasks": "tasks",
    "reminder": "tasks",
    "reminders": "tasks",
    "note": "notes",
    "notes": "notes",
    "call": "calls",
    "calls": "calls",
    "meeting": "meetings",
    "meetings": "meetings",
    "email": "emails",
    "emails": "emails",
}
"""Nouns naming an object type (after abbreviations are expanded)."""

ACTIVITY_NOUNS: Final[dict[str, ObjectType]] = {
    word: kind
    for word, kind in OBJECT_NOUNS.items()
    if kind in ("tasks", "notes", "calls", "meetings", "emails")
}

DEFAULT_STAGE_LABELS: Final[tuple[str, ...]] = (
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
    "Closed Won",
    "Closed Lost",
)
"""HubSpot's default deal pipeline stage labels, used when the portal's are not known."""

LIFECYCLE_STAGES: Final[dict[str, str]] = {
    "subscriber": "subscriber",
    "lead": "lead",
    "marketing qualified lead": "marketingqualifiedlead",
    "marketing qualified": "marketingqualifiedlead",
    "mql": "marketingqualifiedlead",
    "sales qualified lead": "salesqualifiedlead",
    "sales qualified": "salesqualifiedlead",
    "sql": "salesqualifiedlead",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "evangelist",
    "other": "other",
}
"""Contact lifecycle stage words -> HubSpot's enumeration values."""

COMPANY_SUFFIXES: Final[frozenset[str]] = words(
    """
    inc inc. corp corp. corporation llc ltd ltd. gmbh ag co co. company group labs systems
    technologies tech industries holdings partners solutions sa plc
    """
)
"""Last words that mark a name as a company's."""

STOPWORDS: Final[frozenset[str]] = words(
    """
    a an the to for with at on in of and or by from as is are was were be been it its this that
    these those my me i we our us you your he she her him his they them their please can could would
    should will just now new all any some up out into about over under than then there here what who
    which when where how do does did have has had not no yes so if but also too very really
    """
)
"""Words that carry no content of their own (used when reporting what was not understood)."""

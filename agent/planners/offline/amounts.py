"""Money amounts in a message ("50k", "$1.2M", "1,500", "2.5 mil", "fifty thousand").

Amounts come back as HubSpot's plain decimal strings ("50000", "75000.5"). A bare number counts
as money only when it looks like money (a currency sign, a scale word, thousands separators) or
follows a word that asks for one ("amount", "worth", "to", "over"): "top 5 deals" has no amount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

_SCALES: Final[dict[str, Decimal]] = {
    "k": Decimal(1000),
    "K": Decimal(1000),
    "thousand": Decimal(1000),
    "grand": Decimal(1000),
    "m": Decimal(1_000_000),
    "mm": Decimal(1_000_000),
    "mil": Decimal(1_000_000),
    "mill": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "b": Decimal(1_000_000_000),
    "bn": Decimal(1_000_000_000),
    "billion": Decimal(1_000_000_000),
}
_UNITS: Final[dict[str, int]] = {
    word: index
    for index, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS: Final[dict[str, int]] = {
    word: 10 * (index + 2)
    for index, word in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    )
}
_CUES: Final[str] = (
    r"(?:amount|worth|value|valued|budget|revenue|price|priced|size|to|at|of|for|over|under|above|below|"
    r"than|least|most|is|and|between|from|bump|raise|lower|make it)"
)
_NUMERIC: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w./:-])(?P<cur>[$€£]\s?)?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s?(?P<scale>k|K|mm|m|M|mil|mill|million|thousand|grand|bn|b|billion)\b)?(?P<usd>\s?(?:usd|eur|dollars|bucks))?"
    r"(?![\w/:%]|\.\d)",
)
_WORDS: Final[re.Pattern[str]] = re.compile(
    r"\b(?:(?:" + "|".join([*_UNITS, *_TENS, "hundred", "a"]) + r")[\s-]+){1,6}(?:thousand|million|grand)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AmountHit:
    """One amount: its span in the text and HubSpot's decimal string."""

    start: int
    end: int
    value: str


def format_decimal(value: Decimal) -> str:
    """HubSpot's plain decimal string: no exponent, no trailing zeros ("1200000", "75000.5")."""
    text = format(value.normalize(), "f")
    return text


def _words_value(phrase: str) -> Decimal | None:
    total, current = 0, 0
    for word in re.split(r"[\s-]+", phrase.lower()):
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "a":
            current = max(current, 1)
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in ("thousand", "grand"):
            total += max(current, 1) * 1000
            current = 0
        elif word == "million":
            total += max(current, 1) * 1_000_000
            current = 0
        else:
            return None
    return Decimal(total + current) if total + current else None


def find_amounts(text: str, skip: list[tuple[int, int]]) -> list[AmountHit]:
    """Find money amounts in ``text``, ignoring the spans in ``skip`` (dates, times, emails).

    Args:
        text: The (normalised) message.
        skip: Character spans already claimed by other extractors.

    Returns:
        The amounts in text order.
    """

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in skip)

    hits: list[AmountHit] = []
    for m in _WORDS.finditer(text):
        value = _words_value(m.group(0))
        if value is not None and free(m.start(), m.end()):
            hits.append(AmountHit(m.start(), m.end(), format_decimal(value)))
    taken = [(hit.start, hit.end) for hit in hits]
    for m in _NUMERIC.finditer(text):
        if not free(m.start(), m.end()) or any(not (m.end() <= a or m.start() >= b) for a, b in taken):
            continue
        scale = m.group("scale")
        grouped = "," in m.group("num")
        before = text[: m.start()].rstrip().lower()
        cued = re.search(r"\b" + _CUES + r"$", before) is not None
        if not (m.group("cur") or scale or m.group("usd") or grouped or (cued and len(m.group("num")) >= 3)):
            continue
        try:
            value = Decimal(m.group("num").replace(",", "") + (m.group("frac") or ""))
        except InvalidOperation:
            continue
        if scale:
            value *= _SCALES[scale if scale in _SCALES else scale.lower()]
        hits.append(AmountHit(m.start(), m.end(), format_decimal(value)))
    return sorted(hits, key=lambda hit: hit.start)

"""One message read into slots: dates, amounts, emails, domains, phones, and word tokens.

Slots are cut out of the token stream (their characters become a boundary), so a name read after
"for" stops where "50k" or "next Friday" begins. Mentions of records are read from the tokens with
:func:`Utterance.phrase_at` and :func:`Utterance.mention_at`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from agent.plan import Mention
from agent.planners.base import PlanningInput
from agent.planners.offline.amounts import AmountHit, find_amounts
from agent.planners.offline.dates import Temporal, find_temporal
from agent.planners.offline.lexicon import COMPANY_SUFFIXES, OBJECT_NOUNS, normalize, words
from tools.hubspot.types import ObjectType

# The lookbehind makes a scan linear: a match may only start where a word starts.
_EMAIL: Final[re.Pattern[str]] = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w@.])(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+(?:com|io|co|net|org|ai|de|uk|fr|app|dev|us|biz|tech|eu|ca|au|nl|ch|es|it|se|info))\b/?",
    re.IGNORECASE,
)
_PHONE: Final[re.Pattern[str]] = re.compile(r"(?<![\w$])(\+?\d[\d ().-]{6,}\d)(?![\w%])")
_TOKEN: Final[re.Pattern[str]] = re.compile(r"[\w][\w'&.@-]*|[^\w\s]")
_MASK: Final[str] = "\x00"

BREAK_WORDS: Final[frozenset[str]] = words(
    """
    to for with at on in of and or by from as is are was were be been into about called named titled
    that which who whose re regarding saying said says because so but then also too now please asap
    today tomorrow create add update change move mark assign reassign give hand link associate
    connect merge log record set bump push pull make remind follow book schedule note call meeting
    email task deal contact company account amount close closing closed date stage owner phone title
    name domain priority value worth won lost open this next last she he they it her him them me my
    i we our us you your a an the new same his their its wants want needs need asked asks will would
    should could can has have had not no yes closes due until before after high low medium urgent
    important priority minutes hours is's 's one moved moving went goes got became becomes signed
    owns owned wants called emailed rang phoned wrote replied team folks guys recently lately ever yet say
    says tell told mention mentioned ask got right
    """,
    *OBJECT_NOUNS,
)
"""Words that end a name: prepositions, verbs, field and object words, pronouns."""

DEAL_WORDS: Final[frozenset[str]] = words(
    "renewal renewals expansion upsell pilot rollout migration deployment project license licenses upgrade "
    "subscription poc opportunity"
)
"""Last words that mark a name as a deal's."""

PRONOUNS: Final[dict[str, ObjectType | None]] = {
    "her": "contacts",
    "him": "contacts",
    "she": "contacts",
    "he": "contacts",
    "them": None,
    "they": None,
    "it": None,
    "its": None,
}


@dataclass(frozen=True)
class Token:
    """A word or punctuation mark of the masked message, with its span."""

    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        """The token in lower case, without a possessive or trailing dot."""
        low = self.text.lower()
        if low.endswith("'s"):
            low = low[:-2]
        return low.rstrip(".") or low

    @property
    def is_boundary(self) -> bool:
        """Punctuation (or a cut-out slot) that ends a phrase."""
        return not (self.text[0].isalnum() or self.text[0] == "_") and self.text not in ("&",)


@dataclass
class Utterance:
    """A message read for planning."""

    raw: str
    text: str
    temporal: Temporal
    amounts: list[AmountHit]
    emails: list[tuple[int, int, str]]
    domains: list[tuple[int, int, str]]
    phones: list[tuple[int, int, str]]
    tokens: list[Token] = field(default_factory=list)
    given: PlanningInput | None = None
    origin: list[int] = field(default_factory=list)

    def typed(self, start: int, end: int) -> str:
        """The user's own words for the normalised span ``[start, end)`` (typos and all)."""
        if not self.origin:
            return self.text[start:end]
        begin = self.origin[min(start, len(self.origin) - 1)]
        # The end is where the next character came from (a rewritten word maps as a whole).
        stop = self.origin[min(end, len(self.origin) - 1)] if end < len(self.text) else len(self.raw)
        if end < len(self.text) and end > start and self.origin[end] == self.origin[end - 1]:
            stop = self._word_end(self.origin[end - 1])
        return self.raw[begin:stop]

    def _word_end(self, position: int) -> int:
        while (
            position < len(self.raw) and not self.raw[position].isspace() and self.raw[position] not in ",;:"
        ):
            position += 1
        return position

    def without(self, start: int, end: int, cuts: list[tuple[int, int]], typed: bool = True) -> str:
        """The words of ``[start, end)`` minus the ``cuts`` (dates, priorities), tidied.

        Args:
            start: Start of the span in the normalised text.
            end: Its end.
            cuts: Spans to leave out.
            typed: The user's words as typed; False for the normalised ones (shorthand expanded).
        """
        take = self.typed if typed else (lambda a, b: self.text[a:b])
        pieces: list[str] = []
        cursor = start
        for cut_start, cut_end in sorted(cuts):
            if cut_end <= cursor or cut_start >= end:
                continue
            pieces.append(take(cursor, max(cursor, cut_start)))
            cursor = max(cursor, cut_end)
        pieces.append(take(cursor, end) if cursor < end else "")
        text = " ".join(" ".join(pieces).split())
        return re.sub(r"\s+([,.;:!?])", r"\1", text).strip(" ,;")

    @property
    def _domain_starts(self) -> set[int]:
        return {start for start, _, _ in self.domains}

    @property
    def low(self) -> str:
        """The normalised message in lower case."""
        return self.text.lower()

    def has(self, *words: str) -> bool:
        """True when any of ``words`` (or multi-word phrases) occurs as whole words."""
        return any(re.search(r"(?<![\w'])" + re.escape(word) + r"(?![\w'])", self.low) for word in words)

    def find(self, pattern: str) -> re.Match[str] | None:
        """The first match of a case-insensitive ``pattern`` in the normalised text."""
        return re.search(pattern, self.text, flags=re.IGNORECASE)

    def index_after(self, position: int) -> int:
        """Index of the first token starting at or after character ``position``."""
        for index, token in enumerate(self.tokens):
            if token.start >= position:
                return index
        return len(self.tokens)

    def phrase_at(self, index: int, stop: frozenset[str] = BREAK_WORDS, limit: int = 8) -> tuple[str, int]:
        """The name starting at token ``index`` (articles skipped) and the index after it.

        A name runs until punctuation, a cut-out slot or a stop word; "of" and "&" are kept inside
        capitalised names ("Bank of America"), and a dash before a capitalised word ("Acme Corp -
        Plant 2 expansion", HubSpot's usual deal names). Returns ("", index) when there is none.
        """
        tokens = self.tokens
        while index < len(tokens) and tokens[index].low in ("the", "a", "an"):
            index += 1
        words: list[Token] = []
        cursor = index
        while cursor < len(tokens) and len(words) < limit:
            token = tokens[cursor]
            low = token.low
            following = tokens[cursor + 1].text if cursor + 1 < len(tokens) else ""
            joiner = token.text == "&" or (token.text in ("-", "–") and following[:1].isupper())
            if joiner and words:
                words.append(token)
            elif token.is_boundary or "@" in token.text or token.start in self._domain_starts:
                break
            elif low in stop and not (words and low in COMPANY_SUFFIXES):
                if low == "of" and words and words[-1].text[0].isupper() and cursor + 1 < len(tokens):
                    following = tokens[cursor + 1].text
                    if following[0].isupper():
                        words.append(token)
                        cursor += 1
                        continue
                break
            else:
                words.append(token)
                if token.text.lower().endswith("'s"):
                    cursor += 1
                    break
            cursor += 1
        while words and (words[-1].text in ("&", "-", "–") or words[-1].low == "of"):
            words.pop()
            cursor -= 1
        if not words:
            return "", index
        text = self.typed(words[0].start, words[-1].end)
        if text.lower().endswith("'s"):
            text = text[:-2]
        return text.rstrip(".,") if not text.lower().endswith(
            ("inc.", "co.", "ltd.", "corp.")
        ) else text, cursor

    def mention_at(self, index: int, default: ObjectType) -> tuple[Mention | None, int]:
        """The record mentioned at token ``index``: a pronoun, "that deal", a name or an email."""
        tokens = self.tokens
        if index >= len(tokens):
            return None, index
        low = tokens[index].low
        if low in PRONOUNS:
            kind = PRONOUNS[low] or self.recent_type(default)
            if kind == "contacts" and index + 1 < len(tokens) and tokens[index + 1].low == "email":
                # "her email" is her address (a contact field), not an email engagement.
                return Mention(object_type="contacts", refers_back=True), index + 1
            if index + 1 < len(tokens) and tokens[index + 1].low in OBJECT_NOUNS:
                return Mention(object_type=OBJECT_NOUNS[tokens[index + 1].low], refers_back=True), index + 2
            return Mention(object_type=kind, refers_back=True), index + 1
        if low in ("that", "this", "those", "these", "same") or (
            low == "the" and index + 1 < len(tokens) and tokens[index + 1].low == "same"
        ):
            cursor = index + 1
            while cursor < len(tokens) and tokens[cursor].low in ("same", "one"):
                cursor += 1
            if cursor < len(tokens) and tokens[cursor].low in OBJECT_NOUNS:
                return Mention(object_type=OBJECT_NOUNS[tokens[cursor].low], refers_back=True), cursor + 1
            if tokens[cursor - 1].low == "one":
                return Mention(object_type=self.recent_type(default), refers_back=True), cursor
        if low == "the" and index + 1 < len(tokens) and tokens[index + 1].low in OBJECT_NOUNS:
            follower = tokens[index + 2].low if index + 2 < len(tokens) else ""
            if follower not in ("for", "with", "at", "named", "called") and not tokens[
                index + 1
            ].low.endswith("s"):
                return Mention(object_type=OBJECT_NOUNS[tokens[index + 1].low], refers_back=True), index + 2
        for start, end, email in self.emails:
            if tokens[index].start == start or (tokens[index].start < end and tokens[index].end > start):
                return Mention(object_type="contacts", text=email), self.index_after(end)
        for start, end, domain in self.domains:
            if tokens[index].start <= start < tokens[index].end + 1:
                return Mention(object_type="companies", text=domain), self.index_after(end)
        text, after = self.phrase_at(index)
        if not text:
            return None, index
        kind = self.type_of_name(text, default)
        possessive = tokens[after - 1].text.lower().endswith("'s")
        if (
            not possessive
            and after < len(tokens)
            and tokens[after].low in OBJECT_NOUNS
            and tokens[after].low not in ("note", "call")
        ):
            kind = OBJECT_NOUNS[tokens[after].low]
            after += 1
        qualifier = None
        if kind == "contacts" and after + 1 < len(tokens) and tokens[after].low in ("at", "from"):
            qualifier, after = self.phrase_at(after + 1)
            qualifier = qualifier or None
        return Mention(object_type=kind, text=text, qualifier=qualifier), after

    def type_of_name(self, text: str, default: ObjectType) -> ObjectType:
        """The most likely type of a named record: a company suffix, an earlier record, or ``default``."""
        last = text.split()[-1].lower()
        if last in COMPANY_SUFFIXES:
            return "companies"
        if last in DEAL_WORDS:
            return "deals"  # "the initech renewal", "Acme expansion"
        if self.given is not None:
            for record in self.given.recent:
                if record.label.lower() == text.lower():
                    return record.object_type
        return default

    def recent_type(self, default: ObjectType) -> ObjectType:
        """The type of the last record the conversation touched, else ``default``."""
        if self.given is not None and self.given.recent:
            return self.given.recent[0].object_type
        return default


def read(message: str, given: PlanningInput, now: datetime) -> Utterance:
    """Normalise ``message`` and extract its slots.

    Args:
        message: The user's text.
        given: The planning input (timezone, recent records).
        now: The turn's clock in the user's zone.
    """
    text, origin = normalize(message)
    emails = [(m.start(), m.end(), m.group(0)) for m in _EMAIL.finditer(text)]
    email_spans = [(start, end) for start, end, _ in emails]

    def outside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
        return all(end <= a or start >= b for a, b in spans)

    domains = [
        (m.start(), m.end(), m.group(1).lower())
        for m in _DOMAIN.finditer(text)
        if outside(m.start(), m.end(), email_spans)
    ]
    claimed = email_spans + [(start, end) for start, end, _ in domains]
    temporal = find_temporal(_blank(text, claimed), now, given.timezone)
    claimed += temporal.spans
    phones = [
        (m.start(), m.end(), m.group(1).strip())
        for m in _PHONE.finditer(text)
        if outside(m.start(), m.end(), claimed) and sum(ch.isdigit() for ch in m.group(1)) >= 7
    ]
    claimed += [(start, end) for start, end, _ in phones]
    amounts = find_amounts(_blank(text, claimed), claimed)
    claimed += [(hit.start, hit.end) for hit in amounts]
    masked = _blank(text, claimed, keep_emails=emails, keep_domains=domains)
    tokens = [Token(_trim(m.group(0)), m.start(), m.end()) for m in _TOKEN.finditer(masked)]
    return Utterance(message, text, temporal, amounts, emails, domains, phones, tokens, given, origin)


def _trim(word: str) -> str:
    """A token without a sentence's trailing dot (kept on "Inc." and friends)."""
    if word.endswith(".") and word.lower() not in ("inc.", "co.", "ltd.", "corp."):
        return word.rstrip(".") or word
    return word


def _blank(
    text: str,
    spans: list[tuple[int, int]],
    keep_emails: list[tuple[int, int, str]] | None = None,
    keep_domains: list[tuple[int, int, str]] | None = None,
) -> str:
    """``text`` with each span replaced by mask characters, except kept emails and domains."""
    kept = {(s, e) for s, e, _ in (keep_emails or [])} | {(s, e) for s, e, _ in (keep_domains or [])}
    chars = list(text)
    for start, end in spans:
        if (start, end) in kept:
            continue
        for position in range(start, min(end, len(chars))):
            chars[position] = _MASK
    return "".join(chars)

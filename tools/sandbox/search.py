"""CRM search (``POST /crm/v3/objects/{type}/search``) with HubSpot's semantics and limits.

Filters inside a group are AND-ed and groups are OR-ed. Number, date and datetime properties are
compared as numbers (dates as epoch milliseconds), strings case-insensitively, enumerations
case-sensitively (HUBSPOT_FACTS §4). Results are capped at 10,000 per query.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tools.sandbox import catalog, errors
from tools.sandbox.catalog import PropertyDef
from tools.sandbox.context import parse_uint
from tools.sandbox.store import Portal, Record
from tools.sandbox.timeutil import epoch_ms, parse_instant

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS_TOTAL = 18
MAX_LIMIT = 200
DEFAULT_LIMIT = 10
RESULT_CAP = 10_000
MAX_QUERY_CHARS = 3000

OPERATORS = frozenset(
    {
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    }
)
_NEEDS_VALUE = frozenset(
    {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN", "BETWEEN"}
)
_TOKEN_SPLIT = re.compile(r"[\s,;:()\[\]{}\"'!?/\\|<>]+")
_WORDS = re.compile(r"\w+")


class Columns:
    """Column views of one object type's live records, built lazily per property.

    A search evaluates each filter over a whole column with one comprehension, which keeps a
    10,000-record portal well inside the latency target. The portal caches one instance per type
    until the next write (:attr:`Portal.version`).
    """

    def __init__(self, portal: Portal, object_type: str) -> None:
        self.portal = portal
        self.object_type = object_type
        self.records: list[Record] = list(portal.live(object_type))
        self.everything: frozenset[int] = frozenset(range(len(self.records)))
        self._raw: dict[str, list[str | None]] = {}
        self._lower: dict[str, list[str | None]] = {}
        self._num: dict[str, list[float | None]] = {}
        self._tokens: dict[str, dict[str, set[int]]] = {}
        self._record_tokens: dict[str, list[set[str] | None]] = {}
        self._searchable: list[str] | None = None

    def raw(self, name: str) -> list[str | None]:
        """Stored values (None when unset or empty)."""
        if name not in self._raw:
            self._raw[name] = [r.properties.get(name) or None for r in self.records]
        return self._raw[name]

    def lower(self, name: str) -> list[str | None]:
        """Lowercased stored values."""
        if name not in self._lower:
            self._lower[name] = [v.lower() if v is not None else None for v in self.raw(name)]
        return self._lower[name]

    def num(self, prop: PropertyDef) -> list[float | None]:
        """Numbers (number properties) or epoch milliseconds (date/datetime properties)."""
        if prop.name not in self._num:
            self._num[prop.name] = [_typed(r, prop) for r in self.records]
        return self._num[prop.name]

    def record_tokens(self, name: str) -> list[set[str] | None]:
        """Each record's token set, for wildcard tests on few candidates."""
        if name not in self._record_tokens:
            self._record_tokens[name] = [_tokens(v) if v is not None else None for v in self.raw(name)]
        return self._record_tokens[name]

    def token_index(self, name: str) -> dict[str, set[int]]:
        """Token → record positions, for CONTAINS_TOKEN."""
        if name not in self._tokens:
            index: dict[str, set[int]] = {}
            for i, v in enumerate(self.raw(name)):
                if v is not None:
                    for tok in _tokens(v):
                        index.setdefault(tok, set()).add(i)
            self._tokens[name] = index
        return self._tokens[name]

    def searchable(self) -> list[str]:
        """The type's default searchable properties joined per record, for ``query``."""
        if self._searchable is None:
            cols = [self.lower(p) for p in catalog.SEARCHABLE_PROPERTIES[self.object_type]]
            self._searchable = ["\x00".join(v for v in vals if v) for vals in zip(*cols, strict=True)]
        return self._searchable


Candidates = set[int] | frozenset[int]
# A filter: given the column views and the records still in play, the ones that match.
Predicate = Callable[[Columns, Candidates], set[int]]


@dataclass(frozen=True)
class SearchRequest:
    """A parsed and validated search body."""

    groups: list[list[Predicate]]
    query: str
    sort_property: str | None
    sort_descending: bool
    properties: list[str] | None
    limit: int
    offset: int


def columns(portal: Portal, object_type: str) -> Columns:
    """The cached :class:`Columns` of a type, rebuilt after any write to the portal."""
    key = (object_type, portal.version)
    cached = portal.search_cache.get(object_type)
    if cached is None or cached[0] != key:
        cached = (key, Columns(portal, object_type))
        portal.search_cache[object_type] = cached
    result: Columns = cached[1]
    return result


def _typed(record: Record, prop: PropertyDef) -> float | None:
    """The numeric value of a number/date/datetime property (cached on the record)."""
    if prop.name in record.typed:
        return record.typed[prop.name]
    raw = record.properties.get(prop.name)
    value: float | None = None
    if raw:
        if prop.type == "number":
            try:
                value = float(raw)
            except ValueError:
                value = None
        else:
            when = parse_instant(raw)
            value = float(epoch_ms(when)) if when is not None else None
    record.typed[prop.name] = value
    return value


def _filter_number(prop: PropertyDef, text: str, where: str) -> float:
    if prop.type == "number":
        try:
            return float(text)
        except ValueError:
            raise errors.bad_request(
                f"{where}: '{text}' is not a valid number for property {prop.name}"
            ) from None
    when = parse_instant(text)
    if when is None:
        raise errors.bad_request(f"{where}: '{text}' is not a valid date for property {prop.name}")
    return float(epoch_ms(when))


def _tokens(value: str) -> set[str]:
    low = value.lower()
    return {t for t in _TOKEN_SPLIT.split(low) if t} | set(_WORDS.findall(low)) | {low}


def _token_matcher(pattern: str) -> Callable[[str], bool]:
    """A test on one token; ``*`` and ``?`` are wildcards (fast paths for prefix/suffix/infix)."""
    pat = pattern.lower().strip()
    body = pat.strip("*")
    if "?" not in pat and "*" not in body:
        if pat.startswith("*") and pat.endswith("*") and len(pat) > 1:
            return lambda tok: body in tok
        if pat.startswith("*"):
            return lambda tok: tok.endswith(body)
        if pat.endswith("*"):
            return lambda tok: tok.startswith(body)
        return pat.__eq__
    rx = re.compile(fnmatch.translate(pat))
    return lambda tok: rx.match(tok) is not None


def _contains_token(name: str, pattern: str) -> Predicate:
    pat = pattern.lower().strip()
    if "*" not in pat and "?" not in pat:
        return lambda cols, cand: cols.token_index(name).get(pat, set()) & cand
    test = _token_matcher(pat)

    def pred(cols: Columns, cand: Candidates) -> set[int]:
        index = cols.token_index(name)
        if len(cand) * 4 < len(index):  # a record has a few tokens: scan whichever side is smaller
            toks = cols.record_tokens(name)
            return {i for i in cand if (t := toks[i]) is not None and any(test(x) for x in t)}
        hits: set[int] = set()
        for tok, positions in index.items():
            if test(tok):
                hits |= positions
        return hits & cand

    return pred


def _str(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | str):
        return str(v)
    raise errors.bad_request(f"{where}: value must be a string")


def _negate(pred: Predicate) -> Predicate:
    return lambda cols, cand: set(cand) - pred(cols, cand)


def _where(values: list[Any], test: Callable[[Any], bool], cand: Candidates) -> set[int]:
    return {i for i in cand if (v := values[i]) is not None and test(v)}


def _eq(values: list[Any], target: Any, cand: Candidates) -> set[int]:
    return {i for i in cand if values[i] == target}


def _association_predicate(
    portal: Portal, object_type: str, f: dict[str, Any], name: str, where: str
) -> Predicate:
    to_type = catalog.resolve_object_type(name.split(".", 1)[1])
    op = f.get("operator")
    if to_type is None or op not in ("EQ", "IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        raise errors.bad_request(f"{where}: unsupported association filter {name} {op}")
    ids: set[str] = set()
    if op == "EQ":
        ids = {portal.resolve_id(to_type, _str(f.get("value"), where))}
    elif op == "IN":
        ids = {portal.resolve_id(to_type, _str(v, where)) for v in f.get("values") or []}

    def matches(r: Record) -> bool:
        linked = portal.associated((object_type, r.id), to_type)
        if op == "HAS_PROPERTY":
            return bool(linked)
        if op == "NOT_HAS_PROPERTY":
            return not linked
        return any(i in ids for i in linked)

    return lambda cols, cand: {i for i in cand if matches(cols.records[i])}


def _predicate(
    portal: Portal, object_type: str, defs: dict[str, PropertyDef], f: Any, where: str
) -> Predicate:
    if not isinstance(f, dict):
        raise errors.bad_request(f"{where} must be an object")
    name = f.get("propertyName")
    op = f.get("operator")
    if not isinstance(name, str) or not name:
        raise errors.bad_request(f"{where}.propertyName is required")
    if op not in OPERATORS:
        raise errors.bad_request(
            f"{where}.operator: Cannot deserialize value {op!r}: not one of the values accepted "
            f"({', '.join(sorted(OPERATORS))})"
        )
    if name.startswith("associations."):
        return _association_predicate(portal, object_type, f, name, where)
    prop = defs.get(name)
    if prop is None:
        raise errors.bad_request(f'{where}: Property "{name}" does not exist on {object_type}')
    numeric = prop.type in ("number", "date", "datetime")
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        has: Predicate = lambda cols, cand: {i for i in cand if cols.raw(name)[i]}  # noqa: E731
        return has if op == "HAS_PROPERTY" else _negate(has)
    if op in ("IN", "NOT_IN"):
        values = f.get("values")
        if not isinstance(values, list) or not values:
            raise errors.bad_request(f"{where}.values is required for operator {op}")
        texts = [_str(v, where) for v in values]
        pred: Predicate
        if numeric:
            nums = {_filter_number(prop, t, where) for t in texts}
            pred = lambda cols, cand: _where(cols.num(prop), nums.__contains__, cand)  # noqa: E731
        elif prop.type == "enumeration":
            # Enumerations are case-sensitive; a multi-value field matches on any of its options.
            opts = set(texts)

            def pred(cols: Columns, cand: Candidates) -> set[int]:
                values = cols.raw(name)
                if prop.field_type != "checkbox":
                    return {i for i in cand if values[i] in opts}
                return _where(values, lambda v: bool(opts.intersection(v.split(";"))), cand)

        else:
            # String IN values must be lowercase: values are matched against the lowercased index (DOC-SEARCH).
            wanted = set(texts)
            pred = lambda cols, cand: _where(cols.lower(name), wanted.__contains__, cand)  # noqa: E731
        return pred if op == "IN" else _negate(pred)
    if op in _NEEDS_VALUE and f.get("value") is None:
        raise errors.bad_request(f"{where}.value is required for operator {op}")
    value = _str(f.get("value"), where)
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        contains = _contains_token(name, value)
        return contains if op == "CONTAINS_TOKEN" else _negate(contains)
    if op == "BETWEEN" and f.get("highValue") is None:
        raise errors.bad_request(f"{where}.highValue is required for operator BETWEEN")
    column: Callable[[Columns], list[Any]]
    if numeric:
        target: Any = _filter_number(prop, value, where)
        high: Any = _filter_number(prop, _str(f.get("highValue"), where), where) if op == "BETWEEN" else None
        column = lambda cols: cols.num(prop)  # noqa: E731
    elif prop.type == "enumeration":
        target, column = value, (lambda cols: cols.raw(name))
        high = _str(f.get("highValue"), where) if op == "BETWEEN" else None
    else:
        target, column = value.lower(), (lambda cols: cols.lower(name))
        high = _str(f.get("highValue"), where).lower() if op == "BETWEEN" else None
    if op == "NEQ":
        # Records without a value match NEQ, as a "must not" clause does in HubSpot's index.
        return lambda cols, cand: set(cand) - _eq(column(cols), target, cand)
    tests: dict[str, Callable[[Any], bool]] = {
        "EQ": lambda v: bool(v == target),
        "LT": lambda v: bool(v < target),
        "LTE": lambda v: bool(v <= target),
        "GT": lambda v: bool(v > target),
        "GTE": lambda v: bool(v >= target),
        "BETWEEN": lambda v: bool(target <= v <= high),
    }
    if op == "EQ":
        return lambda cols, cand: _eq(column(cols), target, cand)
    check = tests[op]
    return lambda cols, cand: _where(column(cols), check, cand)


def _int_field(body: dict[str, Any], name: str, default: int) -> int:
    raw = body.get(name)
    if raw is None:
        return default
    if isinstance(raw, bool):
        raise errors.bad_request(f"{name} must be an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        number = parse_uint(text.removeprefix("-"))
        if number is not None:
            return -number if text.startswith("-") else number
    raise errors.bad_request(f"{name} must be an integer, got {raw!r}")


def parse(portal: Portal, object_type: str, body: Any) -> SearchRequest:
    """Validate a search body and compile its filters.

    Raises:
        HubSpotError: 400 ``VALIDATION_ERROR`` for any rule HubSpot enforces (limits, operators,
            missing values, unknown properties, bad paging).
    """
    if not isinstance(body, dict):
        raise errors.invalid_json("the search body must be a JSON object")
    defs = portal.property_defs(object_type)
    groups_raw = body.get("filterGroups") or []
    if not isinstance(groups_raw, list):
        raise errors.bad_request("filterGroups must be a list")
    if len(groups_raw) > MAX_GROUPS:
        raise errors.bad_request(
            f"Too many filter groups: {len(groups_raw)}. The maximum number of filterGroups is {MAX_GROUPS}."
        )
    groups: list[list[Predicate]] = []
    total = 0
    for gi, g in enumerate(groups_raw):
        filters = g.get("filters") if isinstance(g, dict) else None
        if not isinstance(filters, list):
            raise errors.bad_request(f"filterGroups[{gi}].filters must be a list")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise errors.bad_request(
                f"Too many filters in filterGroups[{gi}]: {len(filters)}. "
                f"The maximum number of filters in a group is {MAX_FILTERS_PER_GROUP}."
            )
        total += len(filters)
        groups.append(
            [
                _predicate(portal, object_type, defs, f, f"filterGroups[{gi}].filters[{fi}]")
                for fi, f in enumerate(filters)
            ]
        )
    if total > MAX_FILTERS_TOTAL:
        raise errors.bad_request(
            f"Too many filters: {total}. The maximum number of filters across all filterGroups is {MAX_FILTERS_TOTAL}."
        )
    query = body.get("query") or ""
    if not isinstance(query, str):
        raise errors.bad_request("query must be a string")
    if len(query) > MAX_QUERY_CHARS:
        raise errors.bad_request(f"query is longer than the maximum of {MAX_QUERY_CHARS} characters")

    sort_property, descending = _parse_sorts(body.get("sorts"))
    props = body.get("properties")
    if props is not None and (not isinstance(props, list) or not all(isinstance(p, str) for p in props)):
        raise errors.bad_request("properties must be a list of property names")
    limit = _int_field(body, "limit", DEFAULT_LIMIT)
    if limit < 1 or limit > MAX_LIMIT:
        raise errors.bad_request(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    offset = _int_field(body, "after", 0)
    if offset < 0:
        raise errors.bad_request(f"after must be a non-negative integer, got {offset}")
    if offset + limit > RESULT_CAP:
        raise errors.bad_request(
            f"Paging past {RESULT_CAP} results is not supported: after ({offset}) + limit ({limit}) "
            f"exceeds the {RESULT_CAP} result limit for a search."
        )
    return SearchRequest(groups, query.strip().lower(), sort_property, descending, props, limit, offset)


def _parse_sorts(raw: Any) -> tuple[str | None, bool]:
    if raw is None or raw == []:
        return None, False
    if not isinstance(raw, list):
        raise errors.bad_request("sorts must be a list")
    first = raw[0]  # HubSpot applies only one sort rule.
    if isinstance(first, str):
        # The SDK sends strings: "-prop" sorts descending, "prop" ascending.
        if first.startswith("-"):
            return first[1:], True
        return first, False
    if isinstance(first, dict) and isinstance(first.get("propertyName"), str):
        direction = first.get("direction", "ASCENDING")
        if direction not in ("ASCENDING", "DESCENDING"):
            raise errors.bad_request(f"sorts[0].direction must be ASCENDING or DESCENDING, got {direction!r}")
        return first["propertyName"], direction == "DESCENDING"
    raise errors.bad_request("sorts[0] must be a property name or {propertyName, direction}")


def run(
    portal: Portal, object_type: str, req: SearchRequest, *, created_before: datetime | None = None
) -> tuple[int, list[Record]]:
    """Evaluate a search: ``(total matches, the page of records)``.

    Args:
        portal: The portal.
        object_type: Plural object type.
        req: The parsed request.
        created_before: When set, only records created at or before it are indexed yet (HubSpot's
            search lags writes by "a few moments").
    """
    cols = columns(portal, object_type)
    matched: set[int] | frozenset[int] = cols.everything
    if created_before is not None:
        matched = {i for i, r in enumerate(cols.records) if r.created_at <= created_before}
    if req.groups:
        base, matched = matched, set()
        for group in req.groups:
            hits: Candidates = base
            for pred in group:
                hits = pred(cols, hits)  # later filters only look at what earlier ones kept
                if not hits:
                    break
            matched = matched | hits
    if req.query:
        # Every word must appear in one of the searchable properties, so "jane doe" finds the
        # contact whose firstname is Jane and lastname Doe.
        words = req.query.split()
        text = cols.searchable()
        matched = {i for i in matched if all(w in text[i] for w in words)}
    order = sorted(matched)  # creation order, oldest first: HubSpot's default for search
    if req.sort_property is not None:
        order = _sorted(cols, order, req.sort_property, req.sort_descending)
    page = order[req.offset : req.offset + req.limit]
    return len(order), [cols.records[i] for i in page]


def _sorted(cols: Columns, order: list[int], name: str, descending: bool) -> list[int]:
    prop = cols.portal.property_defs(cols.object_type).get(name)
    keys: list[Any] = (
        cols.num(prop)
        if prop is not None and prop.type in ("number", "date", "datetime")
        else cols.lower(name)
    )
    present = [i for i in order if keys[i] is not None]
    missing = [i for i in order if keys[i] is None]
    present.sort(key=keys.__getitem__, reverse=descending)
    # Records without a value come last in either direction.
    return present + missing

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
from typing import Any

from tools.sandbox import catalog, errors
from tools.sandbox.catalog import PropertyDef
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

Predicate = Callable[[Record], bool]


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


def _typed(portal: Portal, record: Record, prop: PropertyDef) -> float | None:
    """The numeric value of a number/date/datetime property (cached on the record)."""
    if prop.name in record.typed:
        return record.typed[prop.name]
    raw = record.properties.get(prop.name)
    value: float | None = None
    if raw not in (None, ""):
        assert raw is not None
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


def _contains_token(value: str, pattern: str) -> bool:
    pat = pattern.lower().strip()
    toks = _tokens(value)
    if "*" in pat or "?" in pat:
        return any(fnmatch.fnmatchcase(t, pat) for t in toks)
    return pat in toks


def _str(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | str):
        return str(v)
    raise errors.bad_request(f"{where}: value must be a string")


def _association_predicate(
    portal: Portal, object_type: str, f: dict[str, Any], name: str, where: str
) -> Predicate:
    to_type = catalog.resolve_object_type(name.split(".", 1)[1])
    op = f.get("operator")
    if to_type is None or op not in ("EQ", "IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        raise errors.bad_request(f"{where}: unsupported association filter {name} {op}")
    ids: set[str]
    if op in ("EQ",):
        ids = {portal.resolve_id(to_type, _str(f.get("value"), where))}
    elif op == "IN":
        ids = {portal.resolve_id(to_type, _str(v, where)) for v in f.get("values") or []}
    else:
        ids = set()

    def pred(r: Record) -> bool:
        linked = portal.associated((object_type, r.id), to_type)
        if op == "HAS_PROPERTY":
            return bool(linked)
        if op == "NOT_HAS_PROPERTY":
            return not linked
        return any(i in ids for i in linked)

    return pred


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
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        want = op == "HAS_PROPERTY"
        return lambda r: bool(r.properties.get(name)) == want
    if op in ("IN", "NOT_IN"):
        values = f.get("values")
        if not isinstance(values, list) or not values:
            raise errors.bad_request(f"{where}.values is required for operator {op}")
        texts = [_str(v, where) for v in values]
        negate = op == "NOT_IN"
        if prop.type in ("number", "date", "datetime"):
            nums = {_filter_number(prop, t, where) for t in texts}
            return lambda r: (_typed(portal, r, prop) in nums) != negate
        if prop.type == "enumeration":
            # Enumerations are case-sensitive; multi-value fields match on any option.
            opts = set(texts)
            return lambda r: bool(set((r.properties.get(name) or "").split(";")) & opts) != negate
        # String IN values must be lowercase: stored values are matched lowercased (DOC-SEARCH).
        wanted = set(texts)
        return lambda r: (name in r.properties and r.properties[name].lower() in wanted) != negate
    if op in _NEEDS_VALUE and f.get("value") is None:
        raise errors.bad_request(f"{where}.value is required for operator {op}")
    value = _str(f.get("value"), where)
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        negate = op == "NOT_CONTAINS_TOKEN"
        return lambda r: (name in r.properties and _contains_token(r.properties[name], value)) != negate
    if prop.type in ("number", "date", "datetime"):
        low = _filter_number(prop, value, where)
        if op == "BETWEEN":
            if f.get("highValue") is None:
                raise errors.bad_request(f"{where}.highValue is required for operator BETWEEN")
            high = _filter_number(prop, _str(f.get("highValue"), where), where)

            def between(r: Record) -> bool:
                v = _typed(portal, r, prop)
                return v is not None and low <= v <= high

            return between
        return _compare(op, lambda r: _typed(portal, r, prop), low)
    if prop.type == "enumeration" or prop.type == "bool":
        key: Callable[[Record], Any] = lambda r: r.properties.get(name)  # noqa: E731
        cmp_value: Any = value.lower() if prop.type == "bool" else value
    else:
        key = lambda r: r.properties[name].lower() if name in r.properties else None  # noqa: E731
        cmp_value = value.lower()
    if op == "BETWEEN":
        if f.get("highValue") is None:
            raise errors.bad_request(f"{where}.highValue is required for operator BETWEEN")
        high_s = _str(f.get("highValue"), where).lower()
        return lambda r: (v := key(r)) is not None and cmp_value <= v <= high_s
    return _compare(op, key, cmp_value)


def _compare(op: str, key: Callable[[Record], Any], target: Any) -> Predicate:
    if op == "EQ":
        return lambda r: key(r) == target
    if op == "NEQ":
        # Records without a value match NEQ, as a "must not" clause does in HubSpot's index.
        return lambda r: key(r) != target
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "LT": lambda a, b: a < b,
        "LTE": lambda a, b: a <= b,
        "GT": lambda a, b: a > b,
        "GTE": lambda a, b: a >= b,
    }
    fn = ops[op]
    return lambda r: (v := key(r)) is not None and fn(v, target)


def _int_field(body: dict[str, Any], name: str, default: int) -> int:
    raw = body.get(name)
    if raw is None:
        return default
    if isinstance(raw, bool):
        raise errors.bad_request(f"{name} must be an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
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


def run(portal: Portal, object_type: str, req: SearchRequest) -> tuple[int, list[Record]]:
    """Evaluate a search: ``(total matches, the page of records)``."""
    searchable = catalog.SEARCHABLE_PROPERTIES[object_type]
    q = req.query
    matches: list[Record] = []
    for r in portal.live(object_type):
        if req.groups and not any(all(p(r) for p in g) for g in req.groups):
            continue
        if q and not any(q in r.properties.get(p, "").lower() for p in searchable):
            continue
        matches.append(r)
    if req.sort_property is not None:
        matches = _sorted(portal, object_type, matches, req.sort_property, req.sort_descending)
    # else: creation order, oldest first (HubSpot's default for search).
    return len(matches), matches[req.offset : req.offset + req.limit]


def _sorted(
    portal: Portal, object_type: str, records: list[Record], name: str, descending: bool
) -> list[Record]:
    prop = portal.property_defs(object_type).get(name)
    present: list[tuple[Any, Record]] = []
    missing: list[Record] = []
    for r in records:
        raw = r.properties.get(name)
        if prop is not None and prop.type in ("number", "date", "datetime"):
            key: Any = _typed(portal, r, prop)
        else:
            key = raw.lower() if raw else None
        if key is None:
            missing.append(r)
        else:
            present.append((key, r))
    present.sort(key=lambda kr: kr[0], reverse=descending)
    # Records without a value come last in either direction.
    return [r for _, r in present] + missing

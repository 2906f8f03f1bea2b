"""HubSpot's CRM search rules, checked before a search is sent.

From HubSpot's search guide: filter groups are OR-ed and the filters inside one group AND-ed;
at most 5 groups, 6 filters per group and 18 filters in total; ``limit`` at most 200; paging
with ``after`` (an offset); no more than 10,000 results per query; one sort rule; a query of at
most 3,000 characters. Breaking a rule is a :class:`SearchRuleViolation`, raised here so the
request never reaches HubSpot.
"""

from __future__ import annotations

from typing import Final

from tools.hubspot.errors import SearchRuleViolation
from tools.hubspot.models import Filter, SearchRequest

MAX_GROUPS: Final = 5
MAX_FILTERS_PER_GROUP: Final = 6
MAX_FILTERS_TOTAL: Final = 18
MAX_LIMIT: Final = 200
MAX_RESULTS: Final = 10_000
MAX_QUERY_CHARS: Final = 3_000
MAX_SORTS: Final = 1

_NO_VALUE = frozenset({"HAS_PROPERTY", "NOT_HAS_PROPERTY"})
_LIST_VALUE = frozenset({"IN", "NOT_IN"})


def _check_filter(f: Filter) -> None:
    if f.operator in _NO_VALUE:
        if f.value is not None or f.values or f.high_value is not None:
            raise SearchRuleViolation(f"{f.operator} on {f.property_name} takes no value.")
    elif f.operator in _LIST_VALUE:
        if not f.values:
            raise SearchRuleViolation(f"{f.operator} on {f.property_name} needs a list of values.")
    elif f.operator == "BETWEEN":
        if f.value is None or f.high_value is None:
            raise SearchRuleViolation(f"BETWEEN on {f.property_name} needs a value and a highValue.")
    elif f.value is None:
        raise SearchRuleViolation(f"{f.operator} on {f.property_name} needs a value.")


def offset_of(after: str | None) -> int:
    """The numeric offset a search ``after`` stands for (0 on the first page).

    Raises:
        SearchRuleViolation: ``after`` is not a non-negative integer string.
    """
    if after is None or after == "":
        return 0
    if not after.isdigit():
        raise SearchRuleViolation(f"Search 'after' must be a number (the paging offset), got {after!r}.")
    return int(after)


def check_search(request: SearchRequest) -> None:
    """Raise :class:`SearchRuleViolation` when ``request`` breaks one of HubSpot's search rules."""
    groups = request.filter_groups
    if len(groups) > MAX_GROUPS:
        raise SearchRuleViolation(f"A search takes at most {MAX_GROUPS} filter groups, got {len(groups)}.")
    total = 0
    for index, group in enumerate(groups, start=1):
        if len(group.filters) > MAX_FILTERS_PER_GROUP:
            raise SearchRuleViolation(
                f"A filter group takes at most {MAX_FILTERS_PER_GROUP} filters; group {index} has {len(group.filters)}."
            )
        if not group.filters:
            raise SearchRuleViolation(f"Filter group {index} is empty.")
        total += len(group.filters)
        for f in group.filters:
            _check_filter(f)
    if total > MAX_FILTERS_TOTAL:
        raise SearchRuleViolation(
            f"A search takes at most {MAX_FILTERS_TOTAL} filters in total, got {total}."
        )
    if not 1 <= request.limit <= MAX_LIMIT:
        raise SearchRuleViolation(f"Search limit must be between 1 and {MAX_LIMIT}, got {request.limit}.")
    if len(request.sorts) > MAX_SORTS:
        raise SearchRuleViolation("HubSpot applies only one sort rule per search.")
    if request.query is not None and len(request.query) > MAX_QUERY_CHARS:
        raise SearchRuleViolation(f"A search query is at most {MAX_QUERY_CHARS:,} characters.")
    if offset_of(request.after) + request.limit > MAX_RESULTS:
        raise SearchRuleViolation(
            f"HubSpot returns at most {MAX_RESULTS:,} results per search; narrow the filters instead of paging further."
        )

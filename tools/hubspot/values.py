"""Comparing HubSpot property values as HubSpot stores them (shared by the client and the agent)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SPACE = re.compile(r"\s+")


def same_value(a: str | None, b: str | None) -> bool:
    """Whether two property values are the same.

    Blank and unset are the same; numbers compare by value (``"50000"`` = ``"50000.0"``); text
    compares with white space folded and, for values HubSpot lowercases (emails, domains),
    without case.
    """
    left, right = _SPACE.sub(" ", (a or "").strip()), _SPACE.sub(" ", (b or "").strip())
    if left == right:
        return True
    try:
        return Decimal(left) == Decimal(right)
    except InvalidOperation:
        pass
    looks_lowercased = "@" in left or ("." in left and " " not in left)
    return looks_lowercased and left.casefold() == right.casefold()

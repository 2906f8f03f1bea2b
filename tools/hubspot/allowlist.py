"""The allow-list: every (method, HubSpot path) the client may send. Nothing else leaves the process.

Derived from the endpoint table (:mod:`tools.hubspot.endpoints`): one pattern per HubSpot row,
its placeholders strict (a supported object type, a numeric id, a pipeline slug), so no input can
steer a request to another endpoint. No DELETE, ever: Alysio does not delete CRM data.
"""

from __future__ import annotations

import re
from typing import Final

from tools.hubspot.endpoints import HUBSPOT_ENDPOINTS, SLUG
from tools.hubspot.errors import NotAllowed

ALLOWED_REQUESTS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (e.method, re.compile(e.allowed_pattern())) for e in HUBSPOT_ENDPOINTS
)
"""Every (method, HubSpot path) the client may send; nothing else leaves the process."""


# One alternation per method: a single regex match per request instead of a scan of the list.
_ALLOWED_BY_METHOD: Final[dict[str, re.Pattern[str]]] = {
    method: re.compile("|".join(f"(?:{p.pattern})" for m, p in ALLOWED_REQUESTS if m == method))
    for method in {m for m, _ in ALLOWED_REQUESTS}
}


def ensure_allowed(method: str, path: str) -> None:
    """Raise :class:`NotAllowed` for DELETE or any request outside :data:`ALLOWED_REQUESTS`."""
    method = method.upper()
    if method == "DELETE":
        raise NotAllowed("Alysio never deletes HubSpot data: DELETE requests are refused.")
    pattern = _ALLOWED_BY_METHOD.get(method)
    if pattern is None or pattern.fullmatch(path) is None:
        raise NotAllowed(f"{method} {path} is not an endpoint this integration uses.")


__all__ = ["ALLOWED_REQUESTS", "SLUG", "ensure_allowed"]

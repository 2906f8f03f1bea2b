"""The allow-list: every (method, HubSpot path) the client may send. Nothing else leaves the process.

No DELETE, ever: Alysio does not delete CRM data. Record ids must be numeric and object types
must be supported ones, so no input can steer a request to another endpoint.
"""

from __future__ import annotations

import re
from typing import Final

from tools.hubspot.errors import NotAllowed
from tools.hubspot.types import OBJECT_TYPES

_TYPE = "(?:" + "|".join(OBJECT_TYPES) + ")"
_ID = r"[0-9]+"
SLUG = r"[A-Za-z0-9_-]+"
"""A pipeline id ('default' or a number)."""
ALLOWED_REQUESTS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (method, re.compile(pattern))
    for method, pattern in (
        ("GET", r"/account-info/v3/details"),
        ("GET", r"/crm/v3/owners/?"),
        ("GET", r"/settings/v3/users/?"),
        ("GET", r"/settings/v3/users/roles"),
        ("GET", r"/settings/v3/users/teams"),
        ("POST", rf"/crm/v3/objects/{_TYPE}/search"),
        ("GET", rf"/crm/v3/objects/{_TYPE}/{_ID}"),
        ("POST", rf"/crm/v3/objects/{_TYPE}"),
        ("PATCH", rf"/crm/v3/objects/{_TYPE}/{_ID}"),
        ("POST", r"/crm/v3/objects/companies/merge"),
        ("GET", rf"/crm/v4/objects/{_TYPE}/{_ID}/associations/{_TYPE}"),
        ("PUT", rf"/crm/v4/objects/{_TYPE}/{_ID}/associations/default/{_TYPE}/{_ID}"),
        ("GET", rf"/crm/v3/pipelines/{_TYPE}"),
        ("GET", rf"/crm/v3/pipelines/{_TYPE}/{SLUG}/stages"),
        ("GET", rf"/crm/v3/properties/{_TYPE}"),
    )
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

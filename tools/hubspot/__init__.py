"""The HubSpot layer: typed client and config, endpoint and scope tables, errors, rate limiter, types.

Import from here: ``from tools.hubspot import HubSpotClient, Connection, NotFound``. The names
load on first use (PEP 562), so a process that only needs the tables (``alysio-agent tools``)
does not import the HTTP client, JWT and cryptography with them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.hubspot.client import Connection, HubSpotClient, RequestHook, RequestRecord, ensure_allowed
    from tools.hubspot.config import HubSpotClientConfig
    from tools.hubspot.errors import (
        Conflict,
        Forbidden,
        HubSpotError,
        MissingScopes,
        NotAllowed,
        NotFound,
        OutcomeUnknown,
        RateLimited,
        ReconnectRequired,
        SearchRuleViolation,
        UpstreamUnavailable,
        ValidationFailed,
    )
    from tools.hubspot.models import (
        AssociationInput,
        CrmObject,
        Filter,
        FilterGroup,
        SearchPage,
        SearchRequest,
        SearchResult,
        Sort,
    )
    from tools.hubspot.scopes import ScopeGrant
    from tools.hubspot.types import OBJECT_TYPES, ObjectType, association_type_ids, record_url

_MODULE_OF = {
    **dict.fromkeys(
        ("Connection", "HubSpotClient", "RequestHook", "RequestRecord", "ensure_allowed"), "client"
    ),
    "HubSpotClientConfig": "config",
    **dict.fromkeys(
        (
            "Conflict",
            "Forbidden",
            "HubSpotError",
            "MissingScopes",
            "NotAllowed",
            "NotFound",
            "OutcomeUnknown",
            "RateLimited",
            "ReconnectRequired",
            "SearchRuleViolation",
            "UpstreamUnavailable",
            "ValidationFailed",
        ),
        "errors",
    ),
    **dict.fromkeys(
        (
            "AssociationInput",
            "CrmObject",
            "Filter",
            "FilterGroup",
            "SearchPage",
            "SearchRequest",
            "SearchResult",
            "Sort",
        ),
        "models",
    ),
    "ScopeGrant": "scopes",
    **dict.fromkeys(("OBJECT_TYPES", "ObjectType", "association_type_ids", "record_url"), "types"),
}


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "OBJECT_TYPES",
    "AssociationInput",
    "Conflict",
    "Connection",
    "CrmObject",
    "Filter",
    "FilterGroup",
    "Forbidden",
    "HubSpotClient",
    "HubSpotClientConfig",
    "HubSpotError",
    "MissingScopes",
    "NotAllowed",
    "NotFound",
    "ObjectType",
    "OutcomeUnknown",
    "RateLimited",
    "ReconnectRequired",
    "RequestHook",
    "RequestRecord",
    "ScopeGrant",
    "SearchPage",
    "SearchRequest",
    "SearchResult",
    "SearchRuleViolation",
    "Sort",
    "UpstreamUnavailable",
    "ValidationFailed",
    "association_type_ids",
    "ensure_allowed",
    "record_url",
]

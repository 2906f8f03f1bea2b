"""The HubSpot layer: typed client and config, endpoint and scope tables, errors, rate limiter, types.

Import from here: ``from tools.hubspot import HubSpotClient, Connection, NotFound``.
"""

from __future__ import annotations

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

"""The HubSpot route table: method + path pattern → handler.

Paths are matched after removing a trailing slash, so ``/settings/v3/users/`` (what the SDK calls)
and ``/settings/v3/users`` are the same endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tools.sandbox import associations, metadata, objects
from tools.sandbox.context import Ctx, Reply

Handler = Callable[..., Reply]
_SEG = r"[^/]+"


@dataclass(frozen=True)
class Route:
    """One endpoint."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    is_search: bool = False


def _r(method: str, template: str, handler: Handler, *, is_search: bool = False) -> Route:
    regex = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m.group(1)}>{_SEG})", template)
    return Route(method, re.compile(f"^{regex}$"), handler, is_search)


OBJ = "/crm/v3/objects/{object_type}"
ASSOC = "/crm/v4/objects/{from_type}/{from_id}/associations"
PIPE = "/crm/v3/pipelines/{object_type}"
PROPS = "/crm/v3/properties/{object_type}"

ROUTES: tuple[Route, ...] = (
    _r("GET", "/account-info/v3/details", metadata.account_details),
    _r("GET", "/crm/v3/owners", metadata.list_owners),
    _r("GET", "/crm/v3/owners/{owner_id}", metadata.get_owner),
    _r("GET", "/settings/v3/users", metadata.list_users),
    _r("GET", "/settings/v3/users/roles", metadata.list_roles),
    _r("GET", "/settings/v3/users/teams", metadata.list_teams),
    _r("GET", "/settings/v3/users/{user_id}", metadata.get_user),
    _r("POST", OBJ + "/search", objects.search_objects, is_search=True),
    _r("POST", OBJ + "/merge", objects.merge_objects),
    _r("GET", OBJ, objects.list_objects),
    _r("POST", OBJ, objects.create_object),
    _r("GET", OBJ + "/{object_id}", objects.get_object),
    _r("PATCH", OBJ + "/{object_id}", objects.update_object),
    _r("GET", ASSOC + "/{to_type}", associations.list_associations),
    _r("PUT", ASSOC + "/default/{to_type}/{to_id}", associations.put_default),
    _r("PUT", ASSOC + "/{to_type}/{to_id}", associations.put_labeled),
    _r("GET", PIPE, metadata.list_pipelines),
    _r("GET", PIPE + "/{pipeline_id}", metadata.get_pipeline),
    _r("GET", PIPE + "/{pipeline_id}/stages", metadata.list_stages),
    _r("GET", PIPE + "/{pipeline_id}/stages/{stage_id}", metadata.get_stage),
    _r("GET", PROPS, metadata.list_properties),
    _r("GET", PROPS + "/groups", metadata.list_groups),
    _r("GET", PROPS + "/{name}", metadata.get_property),
)


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """Find the route for a request.

    Returns:
        ``(route, path params, path known)``; ``route`` is None when nothing matches the method,
        and ``path known`` tells a wrong method (405) from an unknown path (404).
    """
    known = False
    for route in ROUTES:
        m = route.pattern.match(path)
        if m is None:
            continue
        known = True
        if route.method == method:
            return route, m.groupdict(), True
    return None, {}, known


def call(route: Route, ctx: Ctx, params: dict[str, str]) -> Reply:
    """Run a route's handler."""
    return route.handler(ctx, **params)

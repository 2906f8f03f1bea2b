"""The endpoint table: every HTTP endpoint the integration calls, in one place.

Each row is an HTTP method, a path template in HubSpot's own style (``{objectType}``,
``{objectId}``...) and the client operation it performs. Scopes are not written here: the
operation links the row to the scope table (:mod:`tools.hubspot.scopes`), which is checked for
each object type the path names (or the row's fixed ``object_type``).

Derived from this table, so none of them lists an endpoint of its own:

- the allow-list (:mod:`tools.hubspot.allowlist`): each HubSpot row's template with strict
  placeholders (supported object types, numeric ids);
- the client's method, path and audit template of each operation (:meth:`Endpoint.path`);
- the registry's endpoint strings (:attr:`Endpoint.spec`);
- the eval runner's classification of observed requests (:func:`classify`).

There is no DELETE row, and :data:`Method` has no DELETE: Alysio never deletes CRM data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from tools.hubspot.scopes import Operation
from tools.hubspot.types import OBJECT_TYPES, ObjectType

Method = Literal["GET", "POST", "PATCH", "PUT"]
Api = Literal["hubspot", "paragon"]
PlaceholderKind = Literal["object_type", "id", "slug"]

SLUG: Final = r"[A-Za-z0-9_-]+"
"""A pipeline id ('default' or a number)."""

PLACEHOLDERS: Final[dict[str, PlaceholderKind]] = {
    "objectType": "object_type",
    "fromObjectType": "object_type",
    "toObjectType": "object_type",
    "objectId": "id",
    "fromObjectId": "id",
    "toObjectId": "id",
    "ownerId": "id",
    "userId": "id",
    "pipelineId": "slug",
    "projectId": "slug",
}
"""What each placeholder of a template stands for."""

_STRICT: Final[dict[PlaceholderKind, str]] = {
    "object_type": "(?:" + "|".join(OBJECT_TYPES) + ")",
    "id": r"[0-9]+",
    "slug": SLUG,
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _pattern(template: str, strict: bool) -> str:
    """A template as a regex: strict placeholders (what may be sent) or any segment, captured by name."""
    parts = _PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        else:
            out.append(_STRICT[PLACEHOLDERS[part]] if strict else f"(?P<{part}>[^/]+)")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One endpoint of the integration.

    Attributes:
        operation: The client operation (a :data:`~tools.hubspot.scopes.Operation`); its scopes
            are the scope table's for that operation and each object type the path names.
        method: The HTTP method.
        template: The path, HubSpot-style (``/crm/v3/objects/{objectType}/{objectId}``); the audit
            log records it as the request's path template.
        object_type: The object type a literal path names (merge: ``companies``).
        trailing_slash: The allow-list also accepts the path with a trailing ``/``.
        variants: Other paths HubSpot serves for the same operation under the same scopes (one
            owner by id, the list form of a read). The client never sends them and the allow-list
            refuses them; an observer of the traffic (the eval runner) classifies them as this row.
        api: ``hubspot`` (sent through the Paragon proxy or directly; on the allow-list) or
            ``paragon`` (Paragon's own API, called at an absolute URL).
    """

    operation: Operation
    method: Method
    template: str
    object_type: ObjectType | None = None
    trailing_slash: bool = False
    variants: tuple[str, ...] = ()
    api: Api = "hubspot"

    def __post_init__(self) -> None:
        for template in (self.template, *self.variants):
            unknown = set(_PLACEHOLDER.findall(template)) - set(PLACEHOLDERS)
            if unknown:
                raise ValueError(f"{template}: unknown placeholder(s) {sorted(unknown)}")

    @property
    def spec(self) -> str:
        """``METHOD /template``, as the registry and ``alysio-agent tools`` show it."""
        return f"{self.method} {self.template}"

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The template's placeholder names, in order."""
        return tuple(_PLACEHOLDER.findall(self.template))

    def path(self, **values: str) -> str:
        """The template filled in (values are inserted as given: validate ids before).

        Raises:
            KeyError: A placeholder has no value.
        """
        return self.template.format(**values)

    def allowed_pattern(self) -> str:
        """The regex of the paths the allow-list accepts for this row."""
        return _pattern(self.template, strict=True) + ("/?" if self.trailing_slash else "")


ENDPOINTS: Final[tuple[Endpoint, ...]] = (
    Endpoint("account_details", "GET", "/account-info/v3/details"),
    Endpoint(
        "list_owners", "GET", "/crm/v3/owners", trailing_slash=True, variants=("/crm/v3/owners/{ownerId}",)
    ),
    Endpoint(
        "list_users",
        "GET",
        "/settings/v3/users",
        trailing_slash=True,
        variants=("/settings/v3/users/{userId}",),
    ),
    Endpoint("list_roles", "GET", "/settings/v3/users/roles"),
    Endpoint("list_teams", "GET", "/settings/v3/users/teams"),
    Endpoint("search", "POST", "/crm/v3/objects/{objectType}/search"),
    Endpoint(
        "get_object",
        "GET",
        "/crm/v3/objects/{objectType}/{objectId}",
        variants=("/crm/v3/objects/{objectType}",),
    ),
    Endpoint("create", "POST", "/crm/v3/objects/{objectType}"),
    Endpoint("update", "PATCH", "/crm/v3/objects/{objectType}/{objectId}"),
    Endpoint("merge", "POST", "/crm/v3/objects/companies/merge", object_type="companies"),
    Endpoint(
        "list_associations", "GET", "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}"
    ),
    Endpoint(
        "associate_default",
        "PUT",
        "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}",
    ),
    Endpoint("list_pipelines", "GET", "/crm/v3/pipelines/{objectType}"),
    Endpoint("pipeline_stages", "GET", "/crm/v3/pipelines/{objectType}/{pipelineId}/stages"),
    Endpoint("list_properties", "GET", "/crm/v3/properties/{objectType}"),
    Endpoint("paragon_me", "GET", "/projects/{projectId}/sdk/me", api="paragon"),
)
"""Every endpoint the integration calls; nothing else is ever sent."""

BY_OPERATION: Final[dict[Operation, Endpoint]] = {e.operation: e for e in ENDPOINTS}
"""The endpoint of each operation (one each)."""

HUBSPOT_ENDPOINTS: Final[tuple[Endpoint, ...]] = tuple(e for e in ENDPOINTS if e.api == "hubspot")
"""The rows on the allow-list (HubSpot's API, relative to the proxy or direct base URL)."""


def endpoint(operation: Operation) -> Endpoint:
    """The endpoint of a client operation."""
    return BY_OPERATION[operation]


# --------------------------------------------------------------------------- observed requests


@dataclass(frozen=True, slots=True)
class Observed:
    """An observed request, classified: which endpoint it is and what its path named.

    Attributes:
        endpoint: The table row.
        values: The path's placeholder values (any segment: not validated).
    """

    endpoint: Endpoint
    values: Mapping[str, str]

    @property
    def object_types(self) -> tuple[str, ...]:
        """The object types the path names, as written (aliases unresolved), or the row's fixed one."""
        named = tuple(v for k, v in self.values.items() if PLACEHOLDERS[k] == "object_type")
        if named:
            return named
        return (self.endpoint.object_type,) if self.endpoint.object_type else ()


def _observed_routes() -> tuple[tuple[str, re.Pattern[str], Endpoint], ...]:
    # Every row's own template first, then the variants, so "/settings/v3/users/roles" is
    # list_roles and not one user by id.
    primary = [(e.method, e.template, e) for e in HUBSPOT_ENDPOINTS]
    variants = [(e.method, v, e) for e in HUBSPOT_ENDPOINTS for v in e.variants]
    return tuple(
        (method, re.compile(_pattern(template, strict=False) + "/?"), e)
        for method, template, e in (*primary, *variants)
    )


_OBSERVED: Final = _observed_routes()


def classify(method: str, path: str) -> Observed | None:
    """Which HubSpot endpoint an observed request is, leniently (None when it is none of them).

    Lenient where the allow-list is strict: any segment stands for a placeholder (object type
    aliases and ids are the observer's to judge), a trailing ``/`` is accepted, and each row's
    :attr:`~Endpoint.variants` count as the row.
    """
    for route_method, pattern, row in _OBSERVED:
        if route_method != method:
            continue
        found = pattern.fullmatch(path)
        if found is not None:
            return Observed(row, {k: v for k, v in found.groupdict().items() if v is not None})
    return None

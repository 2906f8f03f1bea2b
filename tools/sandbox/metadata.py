"""Account, owners, users, roles, teams, pipelines and properties endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tools.sandbox import catalog, errors
from tools.sandbox.catalog import PropertyDef
from tools.sandbox.context import JSON, Ctx, Reply
from tools.sandbox.store import EPOCH, Owner, Portal, User, owner_json, pipeline_json
from tools.sandbox.timeutil import iso

T = TypeVar("T", Owner, User)

MAX_OWNERS_PAGE = 500
MAX_USERS_PAGE = 100


def account_details(ctx: Ctx) -> Reply:
    """``GET /account-info/v3/details``."""
    ctx.require("account")
    return Reply(200, dict(ctx.sandbox.portal.account))


def _page(ctx: Ctx, items: list[T], to_json: Callable[[T], JSON], default_limit: int, max_limit: int) -> JSON:
    """Cursor paging where ``after`` is the next item's id; only the returned page is rendered.

    Rendering every item for every page made paging through N people cost O(N²).
    """
    limit = ctx.int_param("limit", default_limit, low=1, high=max_limit)
    after = ctx.query.get("after")
    start = 0
    if after:
        start = next((i for i, it in enumerate(items) if it.id == after), -1)
        if start < 0:
            raise errors.bad_request(f"after must be a cursor returned by a previous page, got {after!r}")
    body: JSON = {"results": [to_json(it) for it in items[start : start + limit]]}
    if start + limit < len(items):
        nxt = items[start + limit].id
        body["paging"] = {"next": {"after": nxt, "link": f"{ctx.base_url}{ctx.path}?after={nxt}"}}
    return body


def list_owners(ctx: Ctx) -> Reply:
    """``GET /crm/v3/owners``: ``archived=true`` lists only archived owners; ``email`` filters."""
    ctx.require("owners")
    portal = ctx.sandbox.portal
    archived = ctx.bool_param("archived")
    email = (ctx.query.get("email") or "").strip().lower()
    owners = [
        o
        for o in portal.owners.values()
        if o.archived == archived and (not email or o.email.lower() == email)
    ]
    return Reply(200, _page(ctx, owners, lambda o: owner_json(portal, o), 100, MAX_OWNERS_PAGE))


def get_owner(ctx: Ctx, owner_id: str) -> Reply:
    """``GET /crm/v3/owners/{ownerId}`` (``idProperty=id|userId``, ``archived``)."""
    ctx.require("owners")
    portal = ctx.sandbox.portal
    id_property = ctx.query.get("idProperty", "id")
    if id_property not in ("id", "userId"):
        raise errors.bad_request(f"idProperty must be id or userId, got {id_property!r}")
    archived = ctx.bool_param("archived")
    found: Owner | None = None
    for o in portal.owners.values():
        key = o.id if id_property == "id" else str(o.user_id)
        if key == owner_id and o.archived == archived:
            found = o
    if found is None:
        raise errors.resource_not_found(f"No owner found with {id_property} {owner_id}")
    return Reply(200, owner_json(portal, found))


def user_json(portal: Portal, u: User) -> JSON:
    """HubSpot's ``PublicUser``."""
    primary = [t.id for t in portal.teams.values() if u.id in t.user_ids]
    secondary = [t.id for t in portal.teams.values() if u.id in t.secondary_user_ids]
    out: JSON = {
        "id": u.id,
        "email": u.email,
        "firstName": u.first_name,
        "lastName": u.last_name,
        "roleIds": [u.role_id] if u.role_id else [],
        "secondaryTeamIds": secondary,
        "superAdmin": u.super_admin,
        "sendWelcomeEmail": False,
    }
    if u.role_id:
        out["roleId"] = u.role_id
    if primary:
        out["primaryTeamId"] = primary[0]
    return out


def list_users(ctx: Ctx) -> Reply:
    """``GET /settings/v3/users``: active users (removed users are not listed)."""
    ctx.require("users")
    portal = ctx.sandbox.portal
    users = [u for u in portal.users.values() if not u.archived]
    return Reply(200, _page(ctx, users, lambda u: user_json(portal, u), 100, MAX_USERS_PAGE))


def get_user(ctx: Ctx, user_id: str) -> Reply:
    """``GET /settings/v3/users/{userId}`` (``idProperty=USER_ID|EMAIL``)."""
    ctx.require("users")
    portal = ctx.sandbox.portal
    id_property = ctx.query.get("idProperty", "USER_ID")
    if id_property not in ("USER_ID", "EMAIL"):
        raise errors.bad_request(f"idProperty must be USER_ID or EMAIL, got {id_property!r}")
    for u in portal.users.values():
        key = u.id if id_property == "USER_ID" else u.email.lower()
        wanted = user_id if id_property == "USER_ID" else user_id.lower()
        if key == wanted and not u.archived:
            return Reply(200, user_json(portal, u))
    raise errors.resource_not_found(f"No user found with {id_property} {user_id}")


def list_roles(ctx: Ctx) -> Reply:
    """``GET /settings/v3/users/roles``."""
    ctx.require("users")
    roles = [{"id": k, "name": v, "requiresBillingWrite": False} for k, v in ctx.sandbox.portal.roles.items()]
    return Reply(200, {"results": roles})


def list_teams(ctx: Ctx) -> Reply:
    """``GET /settings/v3/users/teams``."""
    ctx.require("teams")
    teams = [
        {
            "id": t.id,
            "name": t.name,
            "userIds": list(t.user_ids),
            "secondaryUserIds": list(t.secondary_user_ids),
        }
        for t in ctx.sandbox.portal.teams.values()
    ]
    return Reply(200, {"results": teams})


def _pipeline_type(ctx: Ctx, object_type: str) -> str:
    t = catalog.resolve_object_type(object_type)
    if t is None:
        raise errors.unknown_object_type(object_type)
    ctx.require("schema")
    if t not in catalog.PIPELINE_OBJECT_TYPES:
        raise errors.bad_request(f"Object type {t} does not support pipelines")
    return t


def list_pipelines(ctx: Ctx, object_type: str) -> Reply:
    """``GET /crm/v3/pipelines/{type}``."""
    t = _pipeline_type(ctx, object_type)
    pipelines = sorted(ctx.sandbox.portal.pipelines.get(t, {}).values(), key=lambda p: p.display_order)
    return Reply(200, {"results": [pipeline_json(p) for p in pipelines]})


def _pipeline(ctx: Ctx, object_type: str, pipeline_id: str) -> tuple[str, JSON]:
    t = _pipeline_type(ctx, object_type)
    p = ctx.sandbox.portal.pipelines.get(t, {}).get(pipeline_id)
    if p is None:
        raise errors.resource_not_found(f"Unable to find pipeline with id {pipeline_id}")
    return t, pipeline_json(p)


def get_pipeline(ctx: Ctx, object_type: str, pipeline_id: str) -> Reply:
    """``GET /crm/v3/pipelines/{type}/{pipelineId}``."""
    return Reply(200, _pipeline(ctx, object_type, pipeline_id)[1])


def list_stages(ctx: Ctx, object_type: str, pipeline_id: str) -> Reply:
    """``GET /crm/v3/pipelines/{type}/{pipelineId}/stages``."""
    return Reply(200, {"results": _pipeline(ctx, object_type, pipeline_id)[1]["stages"]})


def get_stage(ctx: Ctx, object_type: str, pipeline_id: str, stage_id: str) -> Reply:
    """``GET /crm/v3/pipelines/{type}/{pipelineId}/stages/{stageId}``."""
    for stage in _pipeline(ctx, object_type, pipeline_id)[1]["stages"]:
        if stage["id"] == stage_id:
            return Reply(200, stage)
    raise errors.resource_not_found(f"Unable to find stage with id {stage_id}")


def property_json(portal: Portal, object_type: str, p: PropertyDef, order: int) -> JSON:
    """HubSpot's ``Property``; pipeline and stage options come from the portal's pipelines."""
    options = [(label, value) for label, value in p.options]
    if object_type == "deals" and p.hubspot_defined and p.name == "pipeline":
        options = [(pl.label, pl.id) for pl in portal.pipelines.get("deals", {}).values()]
    if object_type == "deals" and p.hubspot_defined and p.name == "dealstage":
        options = [(s.label, s.id) for pl in portal.pipelines.get("deals", {}).values() for s in pl.stages]
    out: JSON = {
        "name": p.name,
        "label": p.label,
        "type": p.type,
        "fieldType": p.field_type,
        "groupName": p.group,
        "description": p.description,
        "options": [
            {"label": label, "value": value, "hidden": False, "displayOrder": i}
            for i, (label, value) in enumerate(options)
        ],
        "displayOrder": order,
        "hidden": False,
        "hasUniqueValue": p.unique,
        "hubspotDefined": p.hubspot_defined,
        "formField": not p.read_only,
        "calculated": p.calculated,
        "externalOptions": p.external_options,
        "createdAt": iso(EPOCH),
        "updatedAt": iso(EPOCH),
        "archived": False,
        "modificationMetadata": {
            "archivable": not p.hubspot_defined,
            "readOnlyDefinition": p.hubspot_defined,
            "readOnlyValue": p.read_only or p.calculated,
        },
    }
    return out


def _properties_type(ctx: Ctx, object_type: str) -> str:
    t = catalog.resolve_object_type(object_type)
    if t is None:
        raise errors.unknown_object_type(object_type)
    ctx.require("schema")
    return t


def list_properties(ctx: Ctx, object_type: str) -> Reply:
    """``GET /crm/v3/properties/{type}``."""
    t = _properties_type(ctx, object_type)
    if ctx.bool_param("archived"):
        return Reply(200, {"results": []})
    portal = ctx.sandbox.portal
    defs = list(portal.property_defs(t).values())
    return Reply(200, {"results": [property_json(portal, t, p, i) for i, p in enumerate(defs)]})


def get_property(ctx: Ctx, object_type: str, name: str) -> Reply:
    """``GET /crm/v3/properties/{type}/{propertyName}``."""
    t = _properties_type(ctx, object_type)
    portal = ctx.sandbox.portal
    defs = list(portal.property_defs(t).values())
    for i, p in enumerate(defs):
        if p.name == name:
            return Reply(200, property_json(portal, t, p, i))
    raise errors.resource_not_found(f"Unable to find property {name} on {t}")


def list_groups(ctx: Ctx, object_type: str) -> Reply:
    """``GET /crm/v3/properties/{type}/groups``."""
    t = _properties_type(ctx, object_type)
    groups = dict(catalog.PROPERTY_GROUPS[t])
    for p in ctx.sandbox.portal.custom_properties[t]:
        groups.setdefault(p.group, p.group.replace("_", " ").capitalize())
    return Reply(
        200,
        {
            "results": [
                {"name": n, "label": lbl, "displayOrder": i, "archived": False}
                for i, (n, lbl) in enumerate(groups.items())
            ]
        },
    )

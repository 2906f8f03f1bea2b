"""Associations v4: paged reads and the default/labeled PUTs (``/crm/v4/objects/...``)."""

from __future__ import annotations

from typing import Any

from tools.sandbox import catalog, errors
from tools.sandbox.context import JSON, Ctx, Reply, parse_uint
from tools.sandbox.objects import add_association, sync_contact_company
from tools.sandbox.store import Record
from tools.sandbox.timeutil import iso

MAX_LIMIT = 500


def _type(name: str) -> str:
    t = catalog.resolve_object_type(name)
    if t is None:
        raise errors.unknown_object_type(name)
    return t


def _record(ctx: Ctx, object_type: str, object_id: str) -> Record:
    rec = ctx.sandbox.portal.get(object_type, object_id)
    if rec is None:
        raise errors.object_not_found(object_id)
    return rec


def _type_json(type_id: int) -> JSON:
    d = catalog.ASSOCIATION_TYPES[type_id]
    return {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": d.label}


def list_associations(ctx: Ctx, from_type: str, from_id: str, to_type: str) -> Reply:
    """``GET /crm/v4/objects/{fromType}/{fromId}/associations/{toType}`` (limit ≤ 500, ``after`` cursor)."""
    ft, tt = _type(from_type), _type(to_type)
    ctx.require("associations")
    limit = ctx.int_param("limit", MAX_LIMIT, low=1, high=MAX_LIMIT)
    after = ctx.query.get("after") or "0"
    parsed = parse_uint(after)
    if parsed is None:
        raise errors.bad_request(f"after must be a cursor returned by a previous page, got {after!r}")
    offset = parsed
    rec = _record(ctx, ft, from_id)
    linked = sorted(ctx.sandbox.portal.associated((ft, rec.id), tt).items(), key=lambda kv: int(kv[0]))
    page = linked[offset : offset + limit]
    results = [
        # HubSpot's examples send toObjectId as a JSON number (the spec says string; see docs/sandbox.md).
        {"toObjectId": int(to_id), "associationTypes": [_type_json(t) for t in sorted(type_ids)]}
        for to_id, type_ids in page
    ]
    body: JSON = {"results": results}
    if offset + limit < len(linked):
        nxt = str(offset + limit)
        body["paging"] = {
            "next": {"after": nxt, "link": f"{ctx.base_url}{ctx.path}?after={nxt}&limit={limit}"}
        }
    return Reply(200, body)


def _now_iso(ctx: Ctx) -> str:
    return iso(ctx.sandbox.now())


def _after_link(ctx: Ctx, ft: str, fid: str, tt: str, tid: str) -> None:
    portal = ctx.sandbox.portal
    for t, i in ((ft, fid), (tt, tid)):
        if t == "contacts":
            rec = portal.records["contacts"].get(i)
            if rec is not None:
                sync_contact_company(portal, rec)
    ctx.sandbox.mark_dirty()


def put_default(ctx: Ctx, from_type: str, from_id: str, to_type: str, to_id: str) -> Reply:
    """``PUT .../associations/default/{toType}/{toId}``: the unlabeled association, 200."""
    ft, tt = _type(from_type), _type(to_type)
    ctx.require("associations")
    a = _record(ctx, ft, from_id)
    b = _record(ctx, tt, to_id)
    d = catalog.default_association(ft, tt)
    if d is None:
        raise errors.bad_request(f"There is no default association type from {ft} to {tt}")
    started = _now_iso(ctx)
    add_association(ctx.sandbox.portal, ft, a.id, tt, b.id, d.type_id)
    _after_link(ctx, ft, a.id, tt, b.id)
    spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": d.type_id}
    back = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": d.inverse_id}
    body = {
        "status": "COMPLETE",
        "results": [
            {"from": {"id": a.id}, "to": {"id": b.id}, "associationSpec": spec},
            {"from": {"id": b.id}, "to": {"id": a.id}, "associationSpec": back},
        ],
        "startedAt": started,
        "completedAt": _now_iso(ctx),
    }
    return Reply(200, body)


def put_labeled(ctx: Ctx, from_type: str, from_id: str, to_type: str, to_id: str) -> Reply:
    """``PUT .../associations/{toType}/{toId}`` with ``[AssociationSpec]``: 201."""
    ft, tt = _type(from_type), _type(to_type)
    ctx.require("associations")
    specs: Any = ctx.json()
    if not isinstance(specs, list) or not specs:
        raise errors.bad_request(
            "The body must be a non-empty list of {associationCategory, associationTypeId}"
        )
    a = _record(ctx, ft, from_id)
    b = _record(ctx, tt, to_id)
    type_ids: list[int] = []
    for spec in specs:
        tid = spec.get("associationTypeId") if isinstance(spec, dict) else None
        cat = spec.get("associationCategory") if isinstance(spec, dict) else None
        d = catalog.ASSOCIATION_TYPES.get(tid) if isinstance(tid, int) else None
        if cat != "HUBSPOT_DEFINED" or d is None or (d.from_type, d.to_type) != (ft, tt):
            raise errors.bad_request(f"association type {cat} {tid} is not valid from {ft} to {tt}")
        type_ids.append(d.type_id)
    for tid in type_ids:
        add_association(ctx.sandbox.portal, ft, a.id, tt, b.id, tid)
    _after_link(ctx, ft, a.id, tt, b.id)
    labels = sorted(
        {
            catalog.ASSOCIATION_TYPES[t].label or ""
            for t in ctx.sandbox.portal.associated((ft, a.id), tt)[b.id]
        }
        - {""}
    )
    body = {
        "fromObjectTypeId": catalog.OBJECT_TYPE_IDS[ft],
        "fromObjectId": int(a.id),
        "toObjectTypeId": catalog.OBJECT_TYPE_IDS[tt],
        "toObjectId": int(b.id),
        "labels": labels,
    }
    return Reply(201, body)

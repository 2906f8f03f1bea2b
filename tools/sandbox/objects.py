"""CRM object endpoints: list, get, create, update, search and merge (``/crm/v3/objects/...``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tools.sandbox import catalog, errors, search
from tools.sandbox.context import JSON, Ctx, Reply, parse_uint
from tools.sandbox.store import Portal, Record
from tools.sandbox.timeutil import iso
from tools.sandbox.validation import check_deal_stage, normalize_properties

MAX_PAGE = 100


def object_type_or_400(name: str) -> str:
    """The plural object type for a path segment, or HubSpot's 400 for an unknown type."""
    resolved = catalog.resolve_object_type(name)
    if resolved is None:
        raise errors.unknown_object_type(name)
    return resolved


def record_properties(portal: Portal, rec: Record, requested: list[str] | None) -> dict[str, str | None]:
    """The ``properties`` object of a read: the type's defaults, or the requested ones plus system ones.

    Requested-but-unset properties are null; requested properties that do not exist are omitted.
    """
    t = rec.object_type
    if requested is None:
        names = list(catalog.DEFAULT_READ_PROPERTIES[t])
    else:
        defs = portal.property_defs(t)
        names = [n for n in requested if n in defs]
        names += [n for n in catalog.SYSTEM_READ_PROPERTIES[t] if n not in names]
    return {n: rec.properties.get(n) for n in sorted(names)}


def record_json(portal: Portal, rec: Record, properties: dict[str, str | None]) -> JSON:
    """HubSpot's ``SimplePublicObject``."""
    out: JSON = {
        "id": rec.id,
        "properties": properties,
        "createdAt": iso(rec.created_at),
        "updatedAt": iso(rec.updated_at),
        "archived": rec.archived,
    }
    if rec.archived_at is not None:
        out["archivedAt"] = iso(rec.archived_at)
    return out


def _associations_json(ctx: Ctx, rec: Record, to_types: list[str]) -> JSON:
    portal = ctx.sandbox.portal
    out: JSON = {}
    for name in to_types:
        to_type = catalog.resolve_object_type(name)
        if to_type is None:
            continue
        results: list[JSON] = []
        for to_id, type_ids in sorted(portal.associated((rec.object_type, rec.id), to_type).items()):
            for tid in sorted(type_ids):
                results.append({"id": to_id, "type": catalog.v3_type_name(catalog.ASSOCIATION_TYPES[tid])})
        if results:
            out[to_type] = {"results": results}
    return out


def _history_json(portal: Portal, rec: Record, names: list[str]) -> JSON:
    """``propertiesWithHistory``: each existing requested property's values, newest first."""
    defs = portal.property_defs(rec.object_type)
    return {
        name: [{"value": v, "timestamp": ts, "sourceType": src} for v, ts, src in rec.history.get(name, [])]
        for name in names
        if name in defs
    }


def _decorate(ctx: Ctx, rec: Record, body: JSON) -> JSON:
    """Add ``propertiesWithHistory`` and ``associations`` when the query asks for them."""
    with_history = ctx.list_param("propertiesWithHistory")
    if with_history:
        body["propertiesWithHistory"] = _history_json(ctx.sandbox.portal, rec, with_history)
    to_types = ctx.list_param("associations")
    if to_types:
        assoc = _associations_json(ctx, rec, to_types)
        if assoc:
            body["associations"] = assoc
    return body


def _find_record(ctx: Ctx, object_type: str, object_id: str) -> Record:
    portal = ctx.sandbox.portal
    id_property = ctx.query.get("idProperty")
    if id_property and id_property != "hs_object_id":
        if id_property not in ("email",) or object_type != "contacts":
            if id_property not in portal.property_defs(object_type):
                raise errors.bad_request(f'Property "{id_property}" does not exist')
            raise errors.bad_request(f"{id_property} is not a unique property of {object_type}")
        by_email = portal.contact_by_email(object_id)
        if by_email is None:
            raise errors.object_not_found(object_id)
        return by_email
    found = portal.get(object_type, object_id)
    if found is None:
        raise errors.object_not_found(object_id)
    return found


def get_object(ctx: Ctx, object_type: str, object_id: str) -> Reply:
    """``GET /crm/v3/objects/{type}/{id}`` (merged-away ids resolve to the survivor)."""
    t = object_type_or_400(object_type)
    ctx.require("read", t)
    if ctx.bool_param("archived"):
        raise errors.object_not_found(object_id)  # records are never archived in the sandbox
    rec = _find_record(ctx, t, object_id)
    body = record_json(
        ctx.sandbox.portal, rec, record_properties(ctx.sandbox.portal, rec, ctx.list_param("properties"))
    )
    return Reply(200, _decorate(ctx, rec, body))


def list_objects(ctx: Ctx, object_type: str) -> Reply:
    """``GET /crm/v3/objects/{type}``: cursor paging where ``after`` is the next record's id."""
    t = object_type_or_400(object_type)
    ctx.require("read", t)
    portal = ctx.sandbox.portal
    limit = ctx.int_param("limit", 10, low=1, high=MAX_PAGE)
    after = ctx.query.get("after")
    records = [] if ctx.bool_param("archived") else list(portal.live(t))
    start = 0
    if after:
        idx = next((i for i, r in enumerate(records) if r.id == after), None)
        if idx is None:
            after_number = parse_uint(after)
            if after_number is None:
                raise errors.bad_request(f"after must be a record id, got {after!r}")
            idx = next((i for i, r in enumerate(records) if int(r.id) >= after_number), len(records))
        start = idx
    page = records[start : start + limit]
    props = ctx.list_param("properties")
    results = [
        _decorate(ctx, rec, record_json(portal, rec, record_properties(portal, rec, props))) for rec in page
    ]
    body: JSON = {"results": results}
    if start + limit < len(records):
        nxt = records[start + limit].id
        body["paging"] = {"next": {"after": nxt, "link": f"{ctx.base_url}{ctx.path}?after={nxt}"}}
    return Reply(200, body)


def _parse_inline_associations(ctx: Ctx, object_type: str, raw: Any) -> list[tuple[str, str, int]]:
    """Validate ``associations`` of a create body: ``[(to type, to id, type id)]``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise errors.bad_request("associations must be a list")
    portal = ctx.sandbox.portal
    out: list[tuple[str, str, int]] = []
    for i, item in enumerate(raw):
        where = f"associations[{i}]"
        to = item.get("to") if isinstance(item, dict) else None
        types = item.get("types") if isinstance(item, dict) else None
        to_id = to.get("id") if isinstance(to, dict) else None
        if isinstance(to_id, int) and not isinstance(to_id, bool):
            to_id = str(to_id)
        if not isinstance(to_id, str) or not isinstance(types, list) or not types:
            raise errors.bad_request(
                f"{where} must be {{to: {{id}}, types: [{{associationCategory, associationTypeId}}]}}"
            )
        for spec in types:
            category = spec.get("associationCategory") if isinstance(spec, dict) else None
            type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
            if category not in ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED") or not isinstance(
                type_id, int
            ):
                raise errors.bad_request(
                    f"{where}.types: associationCategory and an integer associationTypeId are required"
                )
            d = catalog.ASSOCIATION_TYPES.get(type_id)
            if category != "HUBSPOT_DEFINED" or d is None or d.from_type != object_type:
                raise errors.bad_request(
                    f"{where}: association type {category} {type_id} is not valid from {object_type}"
                )
            target = portal.get(d.to_type, to_id)
            if target is None:
                raise errors.bad_request(
                    f"{where}: the {catalog.SINGULAR[d.to_type]} {to_id} to associate with does not exist"
                )
            out.append((d.to_type, target.id, type_id))
    return out


def add_association(
    portal: Portal, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int
) -> None:
    """Associate two records; a "Primary" type also adds the unlabeled type and replaces an older primary."""
    d = catalog.ASSOCIATION_TYPES[type_id]
    if d.primary and type_id not in catalog.ONE_PRIMARY:
        # Company→contact/deal "primary" is the same link seen from the company: apply it from the other side.
        add_association(portal, to_type, to_id, from_type, from_id, d.inverse_id)
        return
    a, b = (from_type, from_id), (to_type, to_id)
    if d.primary:
        # One primary company per record: demote the previous primary to unlabeled.
        for other_id, ids in portal.associated(a, to_type).items():
            if type_id in ids and other_id != to_id:
                ids.discard(type_id)
                portal.associations[(to_type, other_id)][a].discard(d.inverse_id)
        unlabeled = catalog.default_association(from_type, to_type)
        if unlabeled is not None:
            portal.associate(a, b, unlabeled.type_id)
    portal.associate(a, b, type_id)


def _stamp_new(ctx: Ctx, rec: Record) -> None:
    now = iso(rec.created_at)
    p = rec.properties
    p["hs_object_id"] = rec.id
    p["hs_lastmodifieddate"] = iso(rec.updated_at)
    p.setdefault("hs_object_source", "INTEGRATION")
    p.setdefault("hs_object_source_label", "INTEGRATION")
    if rec.object_type in catalog.ACTIVITY_TYPES:
        p["hs_createdate"] = now
    else:
        p["createdate"] = now
    if rec.object_type == "contacts":
        p["lastmodifieddate"] = iso(rec.updated_at)
    _derive(ctx.sandbox.portal, rec)


def _derive(portal: Portal, rec: Record) -> None:
    """Keep HubSpot's calculated properties in step with the record."""
    p = rec.properties
    if rec.object_type == "deals":
        pipeline = portal.pipelines.get("deals", {}).get(p.get("pipeline", ""))
        stage = pipeline.stage(p.get("dealstage", "")) if pipeline else None
        for k in ("hs_deal_stage_probability", "hs_is_closed", "hs_is_closed_won"):
            p.pop(k, None)
        if stage is not None:
            if stage.probability is not None:
                p["hs_deal_stage_probability"] = stage.probability
            p["hs_is_closed"] = "true" if stage.is_closed else "false"
            p["hs_is_closed_won"] = "true" if stage.is_closed and stage.probability == "1.0" else "false"
    if rec.object_type == "contacts":
        email = p.get("email", "")
        if "@" in email:
            p["hs_email_domain"] = email.rsplit("@", 1)[1].lower()
        else:
            p.pop("hs_email_domain", None)
    rec.typed.clear()


def _duplicate_email(portal: Portal, email: str | None, exclude: str | None = None) -> Record | None:
    if not email:
        return None
    found = portal.contact_by_email(email)
    return found if found is not None and found.id != exclude else None


def create_record(
    ctx: Ctx, object_type: str, properties: Any, associations: list[tuple[str, str, int]] | None = None
) -> Record:
    """Validate and store a new record (shared by the create endpoint and the fixture loader)."""
    portal = ctx.sandbox.portal
    values, _clear = normalize_properties(portal, object_type, properties)
    if object_type == "deals":
        check_deal_stage(portal, values, set(), None)
    if object_type == "meetings" and "hs_timestamp" not in values and "hs_meeting_start_time" in values:
        values["hs_timestamp"] = values["hs_meeting_start_time"]
    if object_type in catalog.ACTIVITY_TYPES and "hs_timestamp" not in values:
        raise errors.property_errors(
            int(str(portal.account["portalId"])),
            [("hs_timestamp", "REQUIRED_PROPERTY", "hs_timestamp is required")],
        )
    if object_type == "contacts":
        dup = _duplicate_email(portal, values.get("email"))
        if dup is not None:
            raise errors.conflict(f"Contact already exists. Existing ID: {dup.id}")
    now = ctx.sandbox.now()
    rec = Record(portal.new_record_id(), object_type, values, now, now)
    portal.records[object_type][rec.id] = rec
    if object_type == "contacts":
        portal.index_email(rec.id, None, values.get("email"))
    for to_type, to_id, type_id in associations or []:
        add_association(portal, object_type, rec.id, to_type, to_id, type_id)
    _stamp_new(ctx, rec)
    for name, value in values.items():
        rec.record_change(name, value, now)
    if object_type == "contacts":
        sync_contact_company(portal, rec)
    return rec


def sync_contact_company(portal: Portal, rec: Record) -> None:
    """``associatedcompanyid`` mirrors the contact's primary company."""
    primary = [cid for cid, ids in portal.associated(("contacts", rec.id), "companies").items() if 1 in ids]
    if primary:
        rec.properties["associatedcompanyid"] = primary[0]
    else:
        rec.properties.pop("associatedcompanyid", None)
    rec.typed.clear()


def create_object(ctx: Ctx, object_type: str) -> Reply:
    """``POST /crm/v3/objects/{type}`` → 201 with the new record."""
    t = object_type_or_400(object_type)
    ctx.require("write", t)
    body = ctx.json()
    if not isinstance(body, dict):
        raise errors.invalid_json("the body must be a JSON object")
    if "properties" not in body:
        raise errors.bad_request("properties is required")
    assoc = _parse_inline_associations(ctx, t, body.get("associations"))
    rec = create_record(ctx, t, body["properties"], assoc)
    ctx.sandbox.mark_dirty()
    return Reply(201, record_json(ctx.sandbox.portal, rec, dict(sorted(rec.properties.items()))))


def update_object(ctx: Ctx, object_type: str, object_id: str) -> Reply:
    """``PATCH /crm/v3/objects/{type}/{id}`` → 200 with the updated record."""
    t = object_type_or_400(object_type)
    ctx.require("write", t)
    body = ctx.json()
    if not isinstance(body, dict) or "properties" not in body:
        raise errors.bad_request("properties is required")
    rec = _find_record(ctx, t, object_id)
    portal = ctx.sandbox.portal
    values, clear = normalize_properties(portal, t, body["properties"], rec)
    if t == "deals" and ({"pipeline", "dealstage"} & (set(values) | clear)):
        check_deal_stage(portal, values, clear, rec)
    if t == "contacts" and "email" in values:
        dup = _duplicate_email(portal, values["email"], exclude=rec.id)
        if dup is not None:
            raise errors.conflict(f"Contact already exists. Existing ID: {dup.id}")
    if t == "contacts" and ("email" in values or "email" in clear):
        portal.index_email(rec.id, rec.properties.get("email"), values.get("email"))
    when = ctx.sandbox.now()
    for name, value in values.items():
        if rec.properties.get(name) != value:
            rec.record_change(name, value, when)
    for name in clear:
        if name in rec.properties:
            rec.record_change(name, "", when)
    rec.properties.update(values)
    for name in clear:
        rec.properties.pop(name, None)
    rec.updated_at = ctx.sandbox.now()
    rec.properties["hs_lastmodifieddate"] = iso(rec.updated_at)
    if t == "contacts":
        rec.properties["lastmodifieddate"] = iso(rec.updated_at)
    _derive(portal, rec)
    ctx.sandbox.mark_dirty()
    return Reply(200, record_json(portal, rec, dict(sorted(rec.properties.items()))))


def search_objects(ctx: Ctx, object_type: str) -> Reply:
    """``POST /crm/v3/objects/{type}/search``."""
    t = object_type_or_400(object_type)
    ctx.require("read", t)
    portal = ctx.sandbox.portal
    req = search.parse(portal, t, ctx.json())
    lag = ctx.sandbox.search_lag_seconds
    cutoff = ctx.sandbox.now() - timedelta(seconds=lag) if lag > 0 else None
    total, page = search.run(portal, t, req, created_before=cutoff)
    results = [record_json(portal, r, record_properties(portal, r, req.properties)) for r in page]
    body: JSON = {"total": total, "results": results}
    end = req.offset + len(page)
    if end < min(total, search.RESULT_CAP) and page:
        body["paging"] = {"next": {"after": str(end)}}
    return Reply(200, body)


MERGEABLE = frozenset({"contacts", "companies", "deals"})


def merge_objects(ctx: Ctx, object_type: str) -> Reply:
    """``POST /crm/v3/objects/{type}/merge``: both records become one survivor with a new id.

    The primary's values win (the secondary fills properties the primary lacks); both old ids
    resolve to the survivor; associations of both are carried over.
    """
    t = object_type_or_400(object_type)
    if t not in MERGEABLE:
        raise errors.bad_request(f"Merging {t} is not supported")
    ctx.require("write", t)
    body = ctx.json()
    if not isinstance(body, dict):
        raise errors.invalid_json("the body must be a JSON object")
    ids = []
    for key in ("primaryObjectId", "objectIdToMerge"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            raise errors.bad_request(f"{key} is required")
        ids.append(value)
    portal = ctx.sandbox.portal
    primary = portal.get(t, ids[0])
    secondary = portal.get(t, ids[1])
    if primary is None:
        raise errors.object_not_found(ids[0])
    if secondary is None:
        raise errors.object_not_found(ids[1])
    if primary.id == secondary.id:
        raise errors.bad_request("Cannot merge an object with itself")
    now = ctx.sandbox.now()
    survivor = Record(portal.new_record_id(), t, {}, primary.created_at, now)
    skip = {"hs_object_id", "hs_merged_object_ids", "hs_lastmodifieddate", "lastmodifieddate"}
    props = {k: v for k, v in secondary.properties.items() if k not in skip and k != "email"}
    props.update({k: v for k, v in primary.properties.items() if k not in skip})
    if t == "contacts" and secondary.properties.get("email"):
        extra = [e for e in props.get("hs_additional_emails", "").split(";") if e]
        props["hs_additional_emails"] = ";".join([*extra, secondary.properties["email"]])
    merged_ids = [
        *primary.properties.get("hs_merged_object_ids", "").split(";"),
        *secondary.properties.get("hs_merged_object_ids", "").split(";"),
        primary.id,
        secondary.id,
    ]
    props["hs_merged_object_ids"] = ";".join(i for i in merged_ids if i)
    props["hs_object_id"] = survivor.id
    props["hs_lastmodifieddate"] = iso(now)
    if t == "contacts":
        props["lastmodifieddate"] = iso(now)
    survivor.properties = props
    for old in (secondary, primary):
        for name, entries in old.history.items():
            survivor.history.setdefault(name, []).extend(entries)
    for entries in survivor.history.values():
        entries.sort(key=lambda e: e[1], reverse=True)
    portal.records[t][survivor.id] = survivor
    if t == "contacts":
        for old in (primary, secondary):
            portal.index_email(old.id, old.properties.get("email"), None)
        portal.index_email(survivor.id, None, props.get("email"))
    new_key = (t, survivor.id)
    # The primary's associations first, so its primary-company links win over the secondary's.
    for old in (primary, secondary):
        edges = portal.dissociate_all((t, old.id))
        for other, type_ids in edges.items():
            if other in ((t, primary.id), (t, secondary.id)):
                continue  # a link between the two merged records disappears
            for type_id in sorted(type_ids):
                if type_id in catalog.ONE_PRIMARY and any(
                    type_id in ids
                    for ids in portal.associated(new_key, catalog.ASSOCIATION_TYPES[type_id].to_type).values()
                ):
                    continue  # HubSpot drops the secondary's excess primary associations
                portal.associate(new_key, other, type_id)
        old.merged_into = survivor.id
        old.updated_at = now
        portal.aliases[t][old.id] = survivor.id
    _derive(portal, survivor)
    for other_id in portal.associated(new_key, "contacts"):
        contact = portal.records["contacts"].get(other_id)
        if contact is not None and t == "companies":
            sync_contact_company(portal, contact)
    if t == "contacts":
        sync_contact_company(portal, survivor)
    ctx.sandbox.mark_dirty()
    return Reply(200, record_json(portal, survivor, dict(sorted(survivor.properties.items()))))

"""HubSpot's write rules for property values, implemented independently of the client.

:func:`normalize_properties` turns a create/PATCH ``properties`` object into the stored string
values, or raises HubSpot's 400 ``VALIDATION_ERROR`` naming every bad property.
"""

from __future__ import annotations

import math
import re
from typing import Any

from tools.sandbox import errors
from tools.sandbox.catalog import PropertyDef
from tools.sandbox.store import Portal, Record
from tools.sandbox.timeutil import iso, parse_instant

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
Problem = tuple[str, str, str]


def to_wire_string(value: Any) -> str | None:
    """Coerce a JSON property value to HubSpot's string form; None means "not a scalar"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return None


def _enum_options(portal: Portal, prop: PropertyDef) -> list[str] | None:
    """Allowed values of an enumeration, or None when any value is accepted."""
    if prop.name in ("hubspot_owner_id", "hs_all_collaborator_owner_ids"):
        return list(portal.owners)
    if prop.name == "pipeline" and prop.hubspot_defined:
        return list(portal.pipelines.get("deals", {}))
    if prop.name == "dealstage" and prop.hubspot_defined:
        return None  # checked against the deal's pipeline in check_deal_stage
    if not prop.options:
        return None
    return [v for _, v in prop.options]


def _check_value(
    portal: Portal, prop: PropertyDef, raw: str, record: Record | None
) -> tuple[str | None, Problem | None]:
    """Validate one non-empty value; return the stored form or a problem."""
    name = prop.name
    if prop.type == "number":
        text = raw.strip()
        if not _NUMBER.match(text):
            return None, (name, "INVALID_INTEGER", f"{raw} was not a valid number")
        return text, None
    if prop.type == "bool":
        low = raw.strip().lower()
        if low not in ("true", "false"):
            return None, (name, "INVALID_BOOLEAN", f"{raw} was not a valid boolean (true or false)")
        return low, None
    if prop.type in ("date", "datetime"):
        when = parse_instant(raw)
        if when is None:
            return None, (name, "INVALID_DATE", f"{raw} was not a valid date or datetime")
        if prop.type == "date":
            if (when.hour, when.minute, when.second, when.microsecond) != (0, 0, 0, 0):
                stamp = when.strftime("%H:%M:%S.") + f"{when.microsecond // 1000:03d}"
                return None, (name, "INVALID_DATE", f"{raw} is at {stamp} UTC, not midnight!")
            return when.date().isoformat(), None
        return iso(when), None
    if prop.type == "enumeration":
        allowed = _enum_options(portal, prop)
        if allowed is None:
            return raw, None
        multi = prop.field_type == "checkbox"
        parts = raw.split(";") if multi else [raw]
        if multi and raw.startswith(";") and record is not None:
            # A leading ';' appends to the current value (HUBSPOT_FACTS §1).
            current = [p for p in record.properties.get(name, "").split(";") if p]
            parts = current + [p for p in parts if p and p not in current]
        parts = [p for p in parts if p != ""] if multi else parts
        bad = [p for p in parts if p not in allowed]
        if bad:
            shown = ", ".join(allowed)
            return None, (name, "INVALID_OPTION", f"{bad[0]} was not one of the allowed options: [{shown}]")
        return ";".join(parts), None
    if name == "email" and prop.hubspot_defined and not _EMAIL.match(raw.strip()):
        return None, (name, "INVALID_EMAIL", f"Email address {raw} is invalid")
    return raw, None


def normalize_properties(
    portal: Portal, object_type: str, raw: Any, record: Record | None = None
) -> tuple[dict[str, str], set[str]]:
    """Validate a ``properties`` object against the type's property definitions.

    Args:
        portal: The portal (for owners, pipelines and custom properties).
        object_type: Plural object type.
        raw: The request's ``properties`` value.
        record: The record being updated (None on create).

    Returns:
        ``(values to set, names to clear)``. Read-only properties are ignored, as HubSpot does.

    Raises:
        HubSpotError: 400 ``VALIDATION_ERROR`` naming each invalid property.
    """
    if not isinstance(raw, dict):
        raise errors.invalid_json("properties must be an object of property name to string value")
    defs = portal.property_defs(object_type)
    problems: list[Problem] = []
    out: dict[str, str] = {}
    clear: set[str] = set()
    for name, value in raw.items():
        prop = defs.get(name)
        if prop is None:
            problems.append((name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            continue
        text = to_wire_string(value)
        if text is None:
            problems.append(
                (name, "INVALID_PROPERTY_VALUE", f"{name} must be a string, number, boolean or null")
            )
            continue
        if prop.read_only or prop.calculated:
            continue
        if text == "":
            clear.add(name)
            continue
        stored, problem = _check_value(portal, prop, text, record)
        if problem is not None:
            problems.append(problem)
        elif stored is not None:
            out[name] = stored
    if problems:
        raise errors.property_errors(int(str(portal.account["portalId"])), problems)
    return out, clear


def check_deal_stage(portal: Portal, values: dict[str, str], clear: set[str], record: Record | None) -> None:
    """A deal's stage must belong to its pipeline (the default pipeline when none is given)."""
    current = record.properties if record is not None else {}
    pipeline_id = values.get("pipeline") or ("" if "pipeline" in clear else current.get("pipeline", ""))
    stage_id = values.get("dealstage") or ("" if "dealstage" in clear else current.get("dealstage", ""))
    if not pipeline_id:
        pipeline_id = "default"
        if record is None or "pipeline" in values:
            values["pipeline"] = pipeline_id
    pipeline = portal.pipelines.get("deals", {}).get(pipeline_id)
    if pipeline is None:  # pragma: no cover - the enumeration check rejects unknown pipelines first
        raise errors.property_errors(
            int(str(portal.account["portalId"])),
            [("pipeline", "INVALID_OPTION", f"{pipeline_id} was not one of the allowed options")],
        )
    if stage_id and pipeline.stage(stage_id) is None:
        allowed = ", ".join(s.id for s in pipeline.stages)
        raise errors.property_errors(
            int(str(portal.account["portalId"])),
            [
                (
                    "dealstage",
                    "INVALID_OPTION",
                    f"{stage_id} was not one of the allowed options: [{allowed}]",
                )
            ],
        )

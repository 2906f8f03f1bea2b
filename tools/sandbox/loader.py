"""Loading a ``portal:`` block (EVAL_CASES.md format plus the sandbox's extensions) into a portal.

Keys: ``owners``, ``users``, ``roles``, ``teams``, ``pipelines``, ``properties`` and the eight record
types. Property values may be ``{owner: ref}``, ``{stage: "Label"}`` or ``{days: N}``. Records go
through the same validation as the API, so a fixture cannot hold what HubSpot would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from tools.sandbox import catalog, errors
from tools.sandbox.catalog import PropertyDef
from tools.sandbox.objects import add_association, sync_contact_company
from tools.sandbox.store import Owner, Pipeline, Portal, Stage, Team, User
from tools.sandbox.timeutil import iso
from tools.sandbox.validation import to_wire_string
from tools.yamlsafe import YamlRefused, describe_error, load_file

MAX_FIXTURE_BYTES = 64 * 1024 * 1024
"""Fixture files are portals: larger than cases, still bounded."""

FIXTURES_DIR = Path(__file__).parent / "fixtures"
TOP_LEVEL_KEYS = frozenset(
    {"owners", "users", "roles", "teams", "pipelines", "properties", *catalog.OBJECT_TYPES}
)
_RECORD_KEYS = frozenset({"ref", "properties", "associations"})
_OWNER_KEYS = frozenset({"ref", "email", "firstName", "lastName", "archived", "teams"})
_USER_KEYS = frozenset({"ref", "email", "roleId", "firstName", "lastName", "archived"})
_TEAM_KEYS = frozenset({"ref", "name", "members", "secondaryMembers"})
_PIPELINE_KEYS = frozenset({"ref", "objectType", "label", "stages"})
_STAGE_KEYS = frozenset({"label", "probability", "isClosed"})
_PROPERTY_KEYS = frozenset({"objectType", "name", "label", "type", "fieldType", "options", "groupName"})
_RECORD_ORDER = ("companies", "contacts", "deals", "tasks", "notes", "emails", "meetings", "calls")
_PROPERTY_TYPES = frozenset({"string", "number", "date", "datetime", "enumeration", "bool"})


class FixtureError(ValueError):
    """A fixture that cannot be loaded; the message names the key and entry."""


def read_fixture(source: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Resolve ``"empty"``, ``"demo"`` (bundled), a YAML file path, or a block dict to a block dict.

    A YAML file may hold the block at its top level or under a top-level ``portal:`` key.
    """
    if isinstance(source, dict):
        block = source
    elif isinstance(source, str) and source == "empty":
        return {}
    elif isinstance(source, str) and "/" not in source and not source.endswith((".yaml", ".yml")):
        path = FIXTURES_DIR / f"{source}.yaml"
        if not path.is_file():
            names = sorted(p.stem for p in FIXTURES_DIR.glob("*.yaml"))
            raise FixtureError(f"Unknown bundled fixture {source!r}; known: empty, {', '.join(names)}")
        block = _read_yaml(path)
    else:
        block = _read_yaml(Path(source))
    if set(block) == {"portal"}:
        block = block["portal"] or {}
    if not isinstance(block, dict):
        raise FixtureError("A fixture must be a mapping of portal keys")
    return block


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = load_file(path, max_bytes=MAX_FIXTURE_BYTES)
    except OSError as exc:
        raise FixtureError(f"Cannot read fixture file {path}: {exc.strerror}") from None
    except YamlRefused as exc:
        raise FixtureError(f"Fixture file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise FixtureError(f"Fixture file {path} is not valid YAML ({describe_error(exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FixtureError(f"Fixture file {path} must hold a mapping")
    return data


def _check_keys(
    entry: Any, allowed: frozenset[str], where: str, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise FixtureError(f"{where} must be a mapping")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise FixtureError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    for key in required:
        if key not in entry:
            raise FixtureError(f"{where}: missing required key {key!r}")
    return entry


def _list(block: dict[str, Any], key: str) -> list[Any]:
    value = block.get(key) or []
    if not isinstance(value, list):
        raise FixtureError(f"{key} must be a list")
    return value


class Loader:
    """Applies one block to a portal, collecting ``ref → id``.

    Args:
        portal: The portal to add to.
        now: The sandbox clock's current time (for ``{days: N}`` and default activity timestamps).
        create: Creates a record through the API's rules: ``(type, properties, associations) → id``.
    """

    def __init__(
        self,
        portal: Portal,
        now: datetime,
        create: Callable[[str, dict[str, str], list[tuple[str, str, int]]], str],
    ) -> None:
        self.portal = portal
        self.now = now
        self.create = create
        self.refs: dict[str, str] = {}
        self.owner_refs: dict[str, str] = {}
        self.user_refs: dict[str, str] = {}
        self.team_refs: dict[str, str] = {}
        self.record_refs: dict[tuple[str, str], str] = {}

    def load(self, block: dict[str, Any]) -> dict[str, str]:
        """Load everything; returns the ref → id map.

        Raises:
            FixtureError: naming the key or entry at fault.
        """
        try:
            return self._load(block)
        except FixtureError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise FixtureError(f"Invalid fixture: {exc!r}") from None

    def _load(self, block: dict[str, Any]) -> dict[str, str]:
        if not isinstance(block, dict):
            raise FixtureError("A fixture must be a mapping of portal keys")
        unknown = sorted(set(block) - TOP_LEVEL_KEYS)
        if unknown:
            raise FixtureError(
                f"Unknown fixture key {unknown[0]!r} (allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})"
            )
        for i, role in enumerate(_list(block, "roles")):
            r = _check_keys(role, frozenset({"ref", "name"}), f"roles[{i}]", ("ref", "name"))
            rid = self.portal.new_meta_id(1_000_000)
            self.portal.roles[rid] = str(r["name"])
            self._ref(str(r["ref"]), rid, f"roles[{i}]")
        teams = [
            _check_keys(t, _TEAM_KEYS, f"teams[{i}]", ("ref", "name"))
            for i, t in enumerate(_list(block, "teams"))
        ]
        for i, t in enumerate(teams):
            tid = self.portal.new_meta_id(3_000_000)
            self.portal.teams[tid] = Team(tid, str(t["name"]))
            self.team_refs[str(t["ref"])] = tid
            self._ref(str(t["ref"]), tid, f"teams[{i}]")
        for i, u in enumerate(_list(block, "users")):
            self._user(_check_keys(u, _USER_KEYS, f"users[{i}]", ("ref", "email")), f"users[{i}]")
        for i, o in enumerate(_list(block, "owners")):
            self._owner(_check_keys(o, _OWNER_KEYS, f"owners[{i}]", ("ref", "email")), f"owners[{i}]")
        for i, t in enumerate(teams):
            self._team_members(t, f"teams[{i}]")
        for i, p in enumerate(_list(block, "pipelines")):
            self._pipeline(
                _check_keys(p, _PIPELINE_KEYS, f"pipelines[{i}]", ("label", "stages")), f"pipelines[{i}]"
            )
        for i, p in enumerate(_list(block, "properties")):
            self._property(
                _check_keys(
                    p,
                    _PROPERTY_KEYS,
                    f"properties[{i}]",
                    ("objectType", "name", "label", "type", "fieldType"),
                ),
                f"properties[{i}]",
            )
        pending: list[tuple[str, str, list[Any], str]] = []
        for otype in _RECORD_ORDER:
            for i, entry in enumerate(_list(block, otype)):
                where = f"{otype}[{i}]"
                e = _check_keys(entry, _RECORD_KEYS, where, ("ref",))
                props = self._properties(otype, e.get("properties") or {}, where)
                try:
                    rid = self.create(otype, props, [])
                except errors.HubSpotError as exc:
                    raise FixtureError(f"{where} ({e['ref']}): {exc.message}") from None
                self.record_refs[(otype, str(e["ref"]))] = rid
                self._ref(str(e["ref"]), rid, where)
                pending.append((otype, rid, e.get("associations") or [], where))
        for otype, rid, assoc, where in pending:
            self._associations(otype, rid, assoc, where)
        return dict(self.refs)

    # helpers -------------------------------------------------------------------------------

    def _ref(self, ref: str, value: str, where: str) -> None:
        if ref in self.refs and self.refs[ref] != value:
            raise FixtureError(f"{where}: ref {ref!r} is used twice")
        self.refs[ref] = value

    def _user(self, u: dict[str, Any], where: str) -> str:
        existing = next(
            (x for x in self.portal.users.values() if x.email.lower() == str(u["email"]).lower()), None
        )
        uid = existing.id if existing else self.portal.new_meta_id(9_000_000)
        role = u.get("roleId")
        role_id = self.refs.get(str(role), str(role)) if role is not None else None
        self.portal.users[uid] = User(
            id=uid,
            email=str(u["email"]),
            first_name=str(u.get("firstName", existing.first_name if existing else "")),
            last_name=str(u.get("lastName", existing.last_name if existing else "")),
            role_id=role_id,
            archived=bool(u.get("archived", False)),
        )
        self.user_refs[str(u["ref"])] = uid
        self._ref(str(u["ref"]), uid, where)
        return uid

    def _owner(self, o: dict[str, Any], where: str) -> None:
        email = str(o["email"])
        user = next((u for u in self.portal.users.values() if u.email.lower() == email.lower()), None)
        archived = bool(o.get("archived", False))
        if user is None:
            # An owner is a user seen from the CRM: make the user (inactive for an archived owner).
            uid = self.portal.new_meta_id(9_000_000)
            user = User(
                uid, email, str(o.get("firstName", "")), str(o.get("lastName", "")), archived=archived
            )
            self.portal.users[uid] = user
        oid = self.portal.new_meta_id(41_000_000)
        team_ids = []
        for ref in o.get("teams") or []:
            if str(ref) not in self.team_refs:
                raise FixtureError(f"{where}: unknown team ref {ref!r}")
            team_ids.append(self.team_refs[str(ref)])
        self.portal.owners[oid] = Owner(
            id=oid,
            email=email,
            first_name=str(o.get("firstName", "")),
            last_name=str(o.get("lastName", "")),
            user_id=int(user.id),
            created_at=self.now,
            updated_at=self.now,
            archived=archived,
            teams=team_ids,
        )
        for tid in team_ids:
            team = self.portal.teams[tid]
            if user.id not in team.user_ids and user.id not in team.secondary_user_ids:
                (team.user_ids if tid == team_ids[0] else team.secondary_user_ids).append(user.id)
        self.owner_refs[str(o["ref"])] = oid
        self._ref(str(o["ref"]), oid, where)

    def _member_user_id(self, ref: str, where: str) -> str:
        if ref in self.user_refs:
            return self.user_refs[ref]
        if ref in self.owner_refs:
            return str(self.portal.owners[self.owner_refs[ref]].user_id)
        raise FixtureError(f"{where}: unknown owner or user ref {ref!r}")

    def _team_members(self, t: dict[str, Any], where: str) -> None:
        team = self.portal.teams[self.team_refs[str(t["ref"])]]
        for key, target in (("members", team.user_ids), ("secondaryMembers", team.secondary_user_ids)):
            for ref in t.get(key) or []:
                uid = self._member_user_id(str(ref), f"{where}.{key}")
                if uid not in target:
                    target.append(uid)
        for owner in self.portal.owners.values():
            uid = str(owner.user_id)
            if (uid in team.user_ids or uid in team.secondary_user_ids) and team.id not in owner.teams:
                if uid in team.user_ids:
                    owner.teams.insert(0, team.id)
                else:
                    owner.teams.append(team.id)

    def _pipeline(self, p: dict[str, Any], where: str) -> None:
        object_type = catalog.resolve_object_type(str(p.get("objectType", "deals")))
        if object_type not in catalog.PIPELINE_OBJECT_TYPES:
            raise FixtureError(f"{where}: objectType must be deals")
        stages_raw = p["stages"]
        if not isinstance(stages_raw, list) or not stages_raw:
            raise FixtureError(f"{where}.stages must be a non-empty list")
        stages = []
        for i, s in enumerate(stages_raw):
            s = _check_keys(s, _STAGE_KEYS, f"{where}.stages[{i}]", ("label",))
            closed = bool(s.get("isClosed", False))
            prob = s.get("probability")
            stages.append(
                Stage(
                    self.portal.new_meta_id(150_000_000),
                    str(s["label"]),
                    i,
                    str(float(prob)) if prob is not None else ("0.0" if closed else "0.5"),
                    closed,
                    self.now,
                    self.now,
                )
            )
        pid = self.portal.new_meta_id(140_000_000)
        pipelines = self.portal.pipelines.setdefault(object_type, {})
        pipelines[pid] = Pipeline(
            pid, object_type, str(p["label"]), len(pipelines), stages, self.now, self.now
        )
        if p.get("ref") is not None:
            self._ref(str(p["ref"]), pid, where)

    def _property(self, p: dict[str, Any], where: str) -> None:
        object_type = catalog.resolve_object_type(str(p["objectType"]))
        if object_type is None:
            raise FixtureError(f"{where}: unknown objectType {p['objectType']!r}")
        if p["type"] not in _PROPERTY_TYPES:
            raise FixtureError(f"{where}: type must be one of {', '.join(sorted(_PROPERTY_TYPES))}")
        if str(p["name"]) in self.portal.property_defs(object_type):
            raise FixtureError(f"{where}: property {p['name']!r} already exists on {object_type}")
        options = []
        for i, opt in enumerate(p.get("options") or []):
            o = _check_keys(opt, frozenset({"label", "value"}), f"{where}.options[{i}]", ("label", "value"))
            options.append((str(o["label"]), str(o["value"])))
        self.portal.custom_properties[object_type].append(
            PropertyDef(
                name=str(p["name"]),
                label=str(p["label"]),
                type=p["type"],
                field_type=str(p["fieldType"]),
                group=str(p.get("groupName", catalog.PROPERTY_GROUPS[object_type][0][0])),
                options=tuple(options),
                hubspot_defined=False,
            )
        )

    def _properties(self, object_type: str, raw: Any, where: str) -> dict[str, str]:
        if not isinstance(raw, dict):
            raise FixtureError(f"{where}.properties must be a mapping")
        defs = self.portal.property_defs(object_type)
        out: dict[str, str] = {}
        deferred_stage: tuple[str, str] | None = None
        for name, value in raw.items():
            if isinstance(value, dict):
                if set(value) == {"owner"}:
                    ref = str(value["owner"])
                    if ref not in self.owner_refs:
                        raise FixtureError(f"{where}.properties.{name}: unknown owner ref {ref!r}")
                    out[name] = self.owner_refs[ref]
                elif set(value) == {"stage"}:
                    deferred_stage = (name, str(value["stage"]))
                elif set(value) == {"days"}:
                    out[name] = self._days(defs.get(name), value["days"], f"{where}.properties.{name}")
                else:
                    raise FixtureError(
                        f"{where}.properties.{name}: unknown value form {sorted(value)} (use owner, stage or days)"
                    )
                continue
            text = to_wire_string(value)
            if text is None:
                raise FixtureError(f"{where}.properties.{name}: values must be strings")
            out[name] = text
        if deferred_stage is not None:
            name, label = deferred_stage
            pipeline_id = out.get("pipeline", catalog.DEFAULT_DEAL_PIPELINE_ID)
            pipeline = self.portal.pipelines.get("deals", {}).get(self.refs.get(pipeline_id, pipeline_id))
            if pipeline is None:
                raise FixtureError(f"{where}.properties.pipeline: unknown pipeline {pipeline_id!r}")
            out["pipeline"] = pipeline.id
            stage = next((s for s in pipeline.stages if s.label.lower() == label.lower()), None)
            if stage is None:
                labels = ", ".join(s.label for s in pipeline.stages)
                raise FixtureError(
                    f"{where}.properties.{name}: no stage {label!r} in pipeline {pipeline.label} ({labels})"
                )
            out[name] = stage.id
        if object_type in catalog.ACTIVITY_TYPES and "hs_timestamp" not in out:
            out["hs_timestamp"] = out.get("hs_meeting_start_time", iso(self.now))
        return out

    def _days(self, prop: PropertyDef | None, days: Any, where: str) -> str:
        if not isinstance(days, int) or isinstance(days, bool):
            raise FixtureError(f"{where}: days must be an integer")
        day = (self.now + timedelta(days=days)).date()
        if prop is not None and prop.type == "date":
            return day.isoformat()
        return iso(datetime.combine(day, time(12, 0), tzinfo=self.now.tzinfo))

    def _associations(self, object_type: str, record_id: str, assoc: Any, where: str) -> None:
        if not isinstance(assoc, list):
            raise FixtureError(f"{where}.associations must be a list")
        for i, a in enumerate(assoc):
            a = _check_keys(a, frozenset({"to", "ref"}), f"{where}.associations[{i}]", ("to", "ref"))
            to_type = catalog.resolve_object_type(str(a["to"]))
            if to_type is None:
                raise FixtureError(f"{where}.associations[{i}]: unknown type {a['to']!r}")
            to_id = self.record_refs.get((to_type, str(a["ref"])))
            if to_id is None:
                raise FixtureError(f"{where}.associations[{i}]: no {to_type} with ref {a['ref']!r}")
            primary = catalog.primary_association(object_type, to_type) or catalog.primary_association(
                to_type, object_type
            )
            default = catalog.default_association(object_type, to_type)
            if default is None:
                raise FixtureError(
                    f"{where}.associations[{i}]: {object_type} cannot be associated with {to_type}"
                )
            type_id = default.type_id
            if primary is not None:
                # The first company of a contact or deal becomes its primary company, as in HubSpot's UI.
                side, side_id, other = (
                    (object_type, record_id, to_type)
                    if object_type != "companies"
                    else (to_type, to_id, object_type)
                )
                has_primary = any(
                    (1 in ids or 5 in ids) for ids in self.portal.associated((side, side_id), other).values()
                )
                if not has_primary:
                    p = catalog.primary_association(object_type, to_type)
                    assert p is not None
                    type_id = p.type_id
            add_association(self.portal, object_type, record_id, to_type, to_id, type_id)
            for t, rid in ((object_type, record_id), (to_type, to_id)):
                if t == "contacts":
                    sync_contact_company(self.portal, self.portal.records["contacts"][rid])

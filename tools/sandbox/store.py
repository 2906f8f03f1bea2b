"""The portal's data: records, associations, owners, users, teams, roles, pipelines, custom properties.

Plain in-memory structures with a JSON round trip (used for ``GET /_sandbox/state`` and for the
SQLite state file). HubSpot's rules live in :mod:`tools.sandbox.validation` and the handlers; this
module only stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tools.sandbox import catalog
from tools.sandbox.catalog import PropertyDef
from tools.sandbox.timeutil import iso, parse_instant

JSON = dict[str, Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _dt(value: str) -> datetime:
    parsed = parse_instant(value)
    if parsed is None:  # pragma: no cover - only our own output is read back
        raise ValueError(f"bad timestamp in state: {value!r}")
    return parsed


@dataclass
class Record:
    """One CRM record. ``properties`` holds only set values (HubSpot strings)."""

    id: str
    object_type: str
    properties: dict[str, str]
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    archived_at: datetime | None = None
    merged_into: str | None = None
    # Value history per property, newest first: [value, ISO timestamp, sourceType].
    history: dict[str, list[list[str]]] = field(default_factory=dict, repr=False)
    # Typed values for search (numbers and epoch ms), rebuilt lazily after each write.
    typed: dict[str, float | None] = field(default_factory=dict, repr=False, compare=False)

    def to_json(self) -> JSON:
        """Serialize (no derived caches)."""
        out: JSON = {
            "id": self.id,
            "properties": dict(self.properties),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "archived": self.archived,
        }
        if self.archived_at is not None:
            out["archivedAt"] = iso(self.archived_at)
        if self.merged_into is not None:
            out["mergedInto"] = self.merged_into
        if self.history:
            out["history"] = self.history
        return out

    def record_change(self, name: str, value: str, when: datetime, source: str = "INTEGRATION") -> None:
        """Add a value to a property's history (what ``propertiesWithHistory`` returns)."""
        self.history.setdefault(name, []).insert(0, [value, iso(when), source])

    @classmethod
    def from_json(cls, object_type: str, data: JSON) -> Record:
        """Inverse of :meth:`to_json`."""
        return cls(
            id=data["id"],
            object_type=object_type,
            properties=dict(data["properties"]),
            created_at=_dt(data["createdAt"]),
            updated_at=_dt(data["updatedAt"]),
            archived=bool(data.get("archived", False)),
            archived_at=_dt(data["archivedAt"]) if data.get("archivedAt") else None,
            merged_into=data.get("mergedInto"),
            history={k: [list(e) for e in v] for k, v in data.get("history", {}).items()},
        )


@dataclass
class Owner:
    """A CRM owner (``/crm/v3/owners``)."""

    id: str
    email: str
    first_name: str
    last_name: str
    user_id: int | None
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    teams: list[str] = field(default_factory=list)  # team ids; the first is primary


@dataclass
class User:
    """A settings user (``/settings/v3/users``)."""

    id: str
    email: str
    first_name: str
    last_name: str
    role_id: str | None = None
    archived: bool = False
    super_admin: bool = False


@dataclass
class Team:
    """A team; ``user_ids`` are primary members, ``secondary_user_ids`` additional ones."""

    id: str
    name: str
    user_ids: list[str] = field(default_factory=list)
    secondary_user_ids: list[str] = field(default_factory=list)


@dataclass
class Stage:
    """A pipeline stage; deal stages carry ``probability`` and ``isClosed`` metadata."""

    id: str
    label: str
    display_order: int
    probability: str | None
    is_closed: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class Pipeline:
    """A pipeline of one object type."""

    id: str
    object_type: str
    label: str
    display_order: int
    stages: list[Stage]
    created_at: datetime
    updated_at: datetime

    def stage(self, stage_id: str) -> Stage | None:
        """The stage with this id, if it belongs to the pipeline."""
        return next((s for s in self.stages if s.id == stage_id), None)


AssocKey = tuple[str, str]  # (object type, id)


@dataclass
class Portal:
    """Everything in one HubSpot account."""

    account: JSON
    records: dict[str, dict[str, Record]]
    aliases: dict[str, dict[str, str]]
    associations: dict[AssocKey, dict[AssocKey, set[int]]]
    owners: dict[str, Owner]
    users: dict[str, User]
    roles: dict[str, str]  # id -> name
    teams: dict[str, Team]
    pipelines: dict[str, dict[str, Pipeline]]
    custom_properties: dict[str, list[PropertyDef]]
    next_id: int = 1
    next_meta_id: int = 1
    # Bumped on every write; search caches its column views per version.
    version: int = 0
    search_cache: dict[str, Any] = field(default_factory=dict, repr=False)
    # Lowercased contact email -> contact id, so the uniqueness check stays O(1) on big portals.
    email_index: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Portal:
        """A portal with HubSpot's defaults and no records."""
        default = Pipeline(
            id=catalog.DEFAULT_DEAL_PIPELINE_ID,
            object_type="deals",
            label=catalog.DEFAULT_DEAL_PIPELINE_LABEL,
            display_order=0,
            stages=[
                Stage(s.id, s.label, i, s.probability, s.is_closed, EPOCH, EPOCH)
                for i, s in enumerate(catalog.DEFAULT_DEAL_STAGES)
            ],
            created_at=EPOCH,
            updated_at=EPOCH,
        )
        return cls(
            account=dict(catalog.ACCOUNT_DEFAULTS),
            records={t: {} for t in catalog.OBJECT_TYPES},
            aliases={t: {} for t in catalog.OBJECT_TYPES},
            associations={},
            owners={},
            users={},
            roles={},
            teams={},
            pipelines={"deals": {default.id: default}},
            custom_properties={t: [] for t in catalog.OBJECT_TYPES},
        )

    # ids -------------------------------------------------------------------------------------

    def new_record_id(self) -> str:
        """A fresh numeric record id (one sequence for every type keeps ids easy to tell apart)."""
        self.next_id += 1
        return str(10_000_000_000 + self.next_id * 7 + (self.next_id % 5))

    def new_meta_id(self, base: int) -> str:
        """A fresh id for owners, users, teams, roles and custom pipelines/stages."""
        self.next_meta_id += 1
        return str(base + self.next_meta_id)

    # records ---------------------------------------------------------------------------------

    def resolve_id(self, object_type: str, record_id: str) -> str:
        """Follow merge aliases: an old id resolves to the surviving record's id."""
        seen = 0
        while record_id in self.aliases[object_type] and seen < 300:
            record_id = self.aliases[object_type][record_id]
            seen += 1
        return record_id

    def get(self, object_type: str, record_id: str) -> Record | None:
        """The live (not archived, not merged) record with this id or alias."""
        rec = self.records[object_type].get(self.resolve_id(object_type, record_id))
        if rec is None or rec.archived or rec.merged_into is not None:
            return None
        return rec

    def live(self, object_type: str) -> Iterator[Record]:
        """Live records of a type, in creation order."""
        return (r for r in self.records[object_type].values() if not r.archived and r.merged_into is None)

    def index_email(self, record_id: str, old: str | None, new: str | None) -> None:
        """Keep the contact email index in step with a contact's ``email`` change."""
        if old and self.email_index.get(old.lower()) == record_id:
            del self.email_index[old.lower()]
        if new:
            self.email_index[new.lower()] = record_id

    def contact_by_email(self, email: str) -> Record | None:
        """The live contact whose primary email is ``email`` (case-insensitive)."""
        record_id = self.email_index.get(email.strip().lower())
        return self.get("contacts", record_id) if record_id is not None else None

    # properties ------------------------------------------------------------------------------

    def property_defs(self, object_type: str) -> dict[str, PropertyDef]:
        """Default plus custom property definitions of a type, by name."""
        defs = {p.name: p for p in catalog.DEFAULT_PROPERTIES[object_type]}
        defs.update({p.name: p for p in self.custom_properties[object_type]})
        return defs

    # associations ----------------------------------------------------------------------------

    def associate(self, a: AssocKey, b: AssocKey, type_id: int) -> None:
        """Add association type ``type_id`` from a to b, and its inverse from b to a."""
        inverse = catalog.ASSOCIATION_TYPES[type_id].inverse_id
        self.associations.setdefault(a, {}).setdefault(b, set()).add(type_id)
        self.associations.setdefault(b, {}).setdefault(a, set()).add(inverse)

    def dissociate_all(self, a: AssocKey) -> dict[AssocKey, set[int]]:
        """Remove every association of a (both directions); return what it had."""
        edges = self.associations.pop(a, {})
        for b in edges:
            back = self.associations.get(b)
            if back is not None:
                back.pop(a, None)
        return edges

    def associated(self, a: AssocKey, to_type: str) -> dict[str, set[int]]:
        """The ids of ``to_type`` records associated with a, with the type ids from a to each."""
        return {k[1]: ids for k, ids in self.associations.get(a, {}).items() if k[0] == to_type and ids}

    # serialization ---------------------------------------------------------------------------

    def to_json(self) -> JSON:
        """All records, associations and metadata (``GET /_sandbox/state``)."""
        assoc: list[JSON] = []
        for (ft, fid), edges in self.associations.items():
            for (tt, tid), ids in edges.items():
                for type_id in sorted(ids):
                    assoc.append(
                        {"fromType": ft, "fromId": fid, "toType": tt, "toId": tid, "typeId": type_id}
                    )
        return {
            "account": self.account,
            "records": {t: [r.to_json() for r in recs.values()] for t, recs in self.records.items()},
            "aliases": self.aliases,
            "associations": assoc,
            "owners": [_owner_json(o) for o in self.owners.values()],
            "users": [
                {
                    "id": u.id,
                    "email": u.email,
                    "firstName": u.first_name,
                    "lastName": u.last_name,
                    "roleId": u.role_id,
                    "archived": u.archived,
                    "superAdmin": u.super_admin,
                }
                for u in self.users.values()
            ],
            "roles": [{"id": k, "name": v} for k, v in self.roles.items()],
            "teams": [
                {"id": t.id, "name": t.name, "userIds": t.user_ids, "secondaryUserIds": t.secondary_user_ids}
                for t in self.teams.values()
            ],
            "pipelines": [_pipeline_json(p) for ps in self.pipelines.values() for p in ps.values()],
            "customProperties": [
                {
                    "objectType": t,
                    "name": p.name,
                    "label": p.label,
                    "type": p.type,
                    "fieldType": p.field_type,
                    "groupName": p.group,
                    "options": [{"label": lbl, "value": v} for lbl, v in p.options],
                }
                for t, props in self.custom_properties.items()
                for p in props
            ],
            "nextId": self.next_id,
            "nextMetaId": self.next_meta_id,
        }

    @classmethod
    def from_json(cls, data: JSON) -> Portal:
        """Inverse of :meth:`to_json`."""
        portal = cls.empty()
        portal.account = dict(data["account"])
        portal.records = {
            t: {r["id"]: Record.from_json(t, r) for r in data["records"].get(t, [])}
            for t in catalog.OBJECT_TYPES
        }
        portal.aliases = {t: dict(data["aliases"].get(t, {})) for t in catalog.OBJECT_TYPES}
        for a in data["associations"]:
            portal.associations.setdefault((a["fromType"], a["fromId"]), {}).setdefault(
                (a["toType"], a["toId"]), set()
            ).add(int(a["typeId"]))
        for o in data["owners"]:
            portal.owners[o["id"]] = Owner(
                id=o["id"],
                email=o["email"],
                first_name=o["firstName"],
                last_name=o["lastName"],
                user_id=o.get("userIdIncludingInactive"),
                created_at=_dt(o["createdAt"]),
                updated_at=_dt(o["updatedAt"]),
                archived=o["archived"],
                teams=[t["id"] for t in o.get("teams", [])],
            )
        for u in data["users"]:
            portal.users[u["id"]] = User(
                id=u["id"],
                email=u["email"],
                first_name=u["firstName"],
                last_name=u["lastName"],
                role_id=u.get("roleId"),
                archived=u.get("archived", False),
                super_admin=u.get("superAdmin", False),
            )
        portal.roles = {r["id"]: r["name"] for r in data["roles"]}
        portal.teams = {
            t["id"]: Team(t["id"], t["name"], list(t["userIds"]), list(t["secondaryUserIds"]))
            for t in data["teams"]
        }
        portal.pipelines = {}
        for p in data["pipelines"]:
            stages = [
                Stage(
                    s["id"],
                    s["label"],
                    s["displayOrder"],
                    s["metadata"].get("probability"),
                    s["metadata"].get("isClosed") == "true",
                    _dt(s["createdAt"]),
                    _dt(s["updatedAt"]),
                )
                for s in p["stages"]
            ]
            portal.pipelines.setdefault(p["objectType"], {})[p["id"]] = Pipeline(
                p["id"],
                p["objectType"],
                p["label"],
                p["displayOrder"],
                stages,
                _dt(p["createdAt"]),
                _dt(p["updatedAt"]),
            )
        for cp in data["customProperties"]:
            portal.custom_properties[cp["objectType"]].append(
                PropertyDef(
                    cp["name"],
                    cp["label"],
                    cp["type"],
                    cp["fieldType"],
                    cp["groupName"],
                    tuple((o["label"], o["value"]) for o in cp["options"]),
                    hubspot_defined=False,
                )
            )
        for rec in portal.live("contacts"):
            portal.index_email(rec.id, None, rec.properties.get("email"))
        portal.next_id = int(data["nextId"])
        portal.next_meta_id = int(data["nextMetaId"])
        return portal


def _owner_json(o: Owner, team_names: Callable[[str], str] | None = None) -> JSON:
    out: JSON = {
        "id": o.id,
        "email": o.email,
        "type": "PERSON",
        "firstName": o.first_name,
        "lastName": o.last_name,
        "userId": None if o.archived else o.user_id,
        "userIdIncludingInactive": o.user_id,
        "createdAt": iso(o.created_at),
        "updatedAt": iso(o.updated_at),
        "archived": o.archived,
    }
    if o.teams:
        out["teams"] = [
            {"id": t, "name": team_names(t) if team_names else t, "primary": i == 0}
            for i, t in enumerate(o.teams)
        ]
    return out


def owner_json(portal: Portal, o: Owner) -> JSON:
    """HubSpot's ``PublicOwner`` for an owner."""
    return _owner_json(o, lambda tid: portal.teams[tid].name if tid in portal.teams else tid)


def _pipeline_json(p: Pipeline) -> JSON:
    out = pipeline_json(p)
    out["objectType"] = p.object_type
    return out


def stage_json(s: Stage, object_type: str) -> JSON:
    """HubSpot's ``PipelineStage``."""
    metadata: dict[str, str] = {}
    if object_type == "deals":
        metadata = {"isClosed": "true" if s.is_closed else "false"}
        if s.probability is not None:
            metadata["probability"] = s.probability
    return {
        "id": s.id,
        "label": s.label,
        "displayOrder": s.display_order,
        "metadata": metadata,
        "createdAt": iso(s.created_at),
        "updatedAt": iso(s.updated_at),
        "archived": False,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }


def pipeline_json(p: Pipeline) -> JSON:
    """HubSpot's ``Pipeline``."""
    return {
        "id": p.id,
        "label": p.label,
        "displayOrder": p.display_order,
        "stages": [stage_json(s, p.object_type) for s in p.stages],
        "createdAt": iso(p.created_at),
        "updatedAt": iso(p.updated_at),
        "archived": False,
    }

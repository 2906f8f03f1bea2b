"""Matching HubSpot's people and teams to stored rows: pure functions every store runs in its transaction.

Matching order for a person: the HubSpot user id, then the owner id, then the email (only against a
mapping whose cached ids do not contradict the person's). So an email change keeps the mapping, and
an email reused by a different HubSpot user gets a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from agent.identity.store import Person, SyncCounts, TeamInfo, TeamRecord, UserMapping


@dataclass(slots=True)
class PeoplePlan:
    """Rows to write: ``creates`` are new, ``updates`` replace stored rows with the same id."""

    creates: list[UserMapping] = field(default_factory=list)
    updates: list[UserMapping] = field(default_factory=list)
    counts: SyncCounts = field(default_factory=SyncCounts)


def _fits(mapping: UserMapping, person: Person) -> bool:
    """Whether the mapping's cached ids allow it to be this person (none contradicts)."""
    if (
        mapping.hubspot_user_id
        and person.hubspot_user_id
        and mapping.hubspot_user_id != person.hubspot_user_id
    ):
        return False
    return not (mapping.owner_id and person.owner_id and mapping.owner_id != person.owner_id)


def _email_preference(m: UserMapping) -> tuple[bool, float]:
    return (m.deleted_at is None, m.synced_at.timestamp() if m.synced_at else 0.0)


def _blank(tenant_id: str, now: datetime) -> UserMapping:
    return UserMapping(
        id=0,
        tenant_id=tenant_id,
        alysio_user_id=None,
        hubspot_user_id=None,
        owner_id=None,
        email=None,
        first_name=None,
        last_name=None,
        role_id=None,
        role_name=None,
        team_ids=(),
        synced_at=now,
        deleted_at=None,
    )


def _apply(mapping: UserMapping, person: Person) -> UserMapping:
    """The mapping with HubSpot's current values.

    Cached ids, the email and names are kept when HubSpot omits them (archived owners come back
    with blank names, and a label should still say who owned a record).
    """
    return replace(
        mapping,
        hubspot_user_id=person.hubspot_user_id or mapping.hubspot_user_id,
        owner_id=person.owner_id or mapping.owner_id,
        email=person.email or mapping.email,
        first_name=person.first_name or mapping.first_name,
        last_name=person.last_name or mapping.last_name,
        role_id=person.role_id,
        role_name=person.role_name,
        team_ids=person.team_ids,
    )


def _same_values(a: UserMapping, b: UserMapping) -> bool:
    return (
        a.hubspot_user_id,
        a.owner_id,
        a.email,
        a.first_name,
        a.last_name,
        a.role_id,
        a.role_name,
        a.team_ids,
    ) == (
        b.hubspot_user_id,
        b.owner_id,
        b.email,
        b.first_name,
        b.last_name,
        b.role_id,
        b.role_name,
        b.team_ids,
    )


def plan_people(
    tenant_id: str, existing: list[UserMapping], people: list[Person], now: datetime
) -> PeoplePlan:
    """What to write so the stored mappings match HubSpot's full list of people.

    Args:
        tenant_id: The tenant (of new rows).
        existing: Every stored mapping of the tenant, soft-deleted ones included.
        people: Everyone HubSpot lists (active and archived); archived people are soft-deleted.
        now: The sync time (``synced_at``/``deleted_at``).

    Returns:
        New rows (``id`` 0), changed rows and the counts. A live mapping nobody in ``people``
        matches is soft-deleted; an unchanged one is not rewritten (a second sync writes nothing).
    """
    plan = PeoplePlan()
    by_user = {m.hubspot_user_id: m for m in existing if m.hubspot_user_id}
    by_owner = {m.owner_id: m for m in existing if m.owner_id}
    by_email: dict[str, list[UserMapping]] = {}
    for m in existing:
        if m.email:
            by_email.setdefault(m.email.lower(), []).append(m)
    claimed: set[int] = set()

    for person in people:
        match = (by_user.get(person.hubspot_user_id) if person.hubspot_user_id else None) or (
            by_owner.get(person.owner_id) if person.owner_id else None
        )
        if match is not None and match.id in claimed:
            match = None
        if match is None and person.email:
            candidates = [
                m for m in by_email.get(person.email.lower(), []) if m.id not in claimed and _fits(m, person)
            ]
            # Prefer a live mapping, then the most recently synced one.
            candidates.sort(key=_email_preference, reverse=True)
            match = candidates[0] if candidates else None
        if match is None:
            blank = _blank(tenant_id, now)
            plan.creates.append(replace(_apply(blank, person), deleted_at=now if person.archived else None))
            plan.counts.created += 1
            continue
        claimed.add(match.id)
        fresh = _apply(match, person)
        if person.archived and match.deleted_at is None:
            plan.updates.append(replace(fresh, synced_at=now, deleted_at=now))
            plan.counts.soft_deleted += 1
        elif not person.archived and match.deleted_at is not None:
            plan.updates.append(replace(fresh, synced_at=now, deleted_at=None))
            plan.counts.restored += 1
        elif not _same_values(fresh, match):
            plan.updates.append(replace(fresh, synced_at=now))
            plan.counts.updated += 1
        else:
            plan.counts.unchanged += 1

    for m in existing:
        if m.id in claimed:
            continue
        if m.deleted_at is None:
            # HubSpot no longer lists this person at all: keep the row, mark it gone.
            plan.updates.append(replace(m, deleted_at=now))
            plan.counts.soft_deleted += 1
        else:
            plan.counts.unchanged += 1
    _release_taken_ids(plan, existing, claimed)
    return plan


def _release_taken_ids(plan: PeoplePlan, existing: list[UserMapping], matched: set[int]) -> None:
    """Clear a HubSpot id from a stale row when HubSpot now gives it to another mapping.

    HubSpot ids are unique per portal, so a row left holding one that a matched person now carries
    is out of date; clearing it keeps the database's uniqueness rules satisfied.
    """
    current = {m.id: m for m in existing}
    current.update({m.id: m for m in plan.updates})
    written = [*plan.creates, *(m for m in plan.updates if m.id in matched)]
    owners = {m.owner_id: m.id for m in written if m.owner_id}
    users = {m.hubspot_user_id: m.id for m in written if m.hubspot_user_id}
    released: dict[int, UserMapping] = {}
    for m in current.values():
        owner_taken = m.owner_id is not None and owners.get(m.owner_id, m.id) != m.id
        user_taken = m.hubspot_user_id is not None and users.get(m.hubspot_user_id, m.id) != m.id
        if owner_taken or user_taken:
            released[m.id] = replace(
                m,
                owner_id=None if owner_taken else m.owner_id,
                hubspot_user_id=None if user_taken else m.hubspot_user_id,
            )
    if released:
        plan.updates = [released.pop(m.id, m) for m in plan.updates]
        plan.updates.extend(released.values())


@dataclass(slots=True)
class TeamsPlan:
    """Team rows to insert or replace, and the counts."""

    writes: list[TeamRecord] = field(default_factory=list)
    counts: SyncCounts = field(default_factory=SyncCounts)


def plan_teams(tenant_id: str, existing: list[TeamRecord], teams: list[TeamInfo], now: datetime) -> TeamsPlan:
    """What to write so the stored teams match HubSpot's teams list (matched by team id).

    A stored ``parent_id`` is kept: HubSpot's teams API has no parent, so a sync never clears one
    that came from another source.
    """
    plan = TeamsPlan()
    stored = {t.team_id: t for t in existing}
    seen: set[str] = set()
    for info in teams:
        seen.add(info.team_id)
        old = stored.get(info.team_id)
        if old is None:
            plan.writes.append(
                TeamRecord(
                    tenant_id=tenant_id,
                    team_id=info.team_id,
                    name=info.name,
                    parent_id=None,
                    user_ids=info.user_ids,
                    secondary_user_ids=info.secondary_user_ids,
                    synced_at=now,
                    deleted_at=None,
                )
            )
            plan.counts.created += 1
            continue
        fresh = replace(
            old, name=info.name, user_ids=info.user_ids, secondary_user_ids=info.secondary_user_ids
        )
        if old.deleted_at is not None:
            plan.writes.append(replace(fresh, synced_at=now, deleted_at=None))
            plan.counts.restored += 1
        elif fresh != old:
            plan.writes.append(replace(fresh, synced_at=now))
            plan.counts.updated += 1
        else:
            plan.counts.unchanged += 1
    for team_id, old in stored.items():
        if team_id in seen:
            continue
        if old.deleted_at is None:
            plan.writes.append(replace(old, deleted_at=now))
            plan.counts.soft_deleted += 1
        else:
            plan.counts.unchanged += 1
    return plan

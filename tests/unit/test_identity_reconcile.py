"""Matching HubSpot people and teams to stored rows (the pure part every store runs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from agent.identity.reconcile import plan_people, plan_teams
from agent.identity.store import Person, TeamInfo, TeamRecord, UserMapping

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


def mapping(id: int, user: str | None, owner: str | None, email: str | None, **kw: object) -> UserMapping:
    base = UserMapping(
        id=id,
        tenant_id="t1",
        alysio_user_id=None,
        hubspot_user_id=user,
        owner_id=owner,
        email=email,
        first_name="A",
        last_name="B",
        role_id=None,
        role_name=None,
        team_ids=(),
        synced_at=T0,
        deleted_at=None,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def person(user: str | None, owner: str | None, email: str | None, **kw: object) -> Person:
    return replace(Person(user, owner, email, first_name="A", last_name="B"), **kw)  # type: ignore[arg-type]


def test_new_people_are_created_and_archived_ones_start_soft_deleted() -> None:
    plan = plan_people(
        "t1", [], [person("1", "10", "a@x.io"), person("2", "20", "b@x.io", archived=True)], T1
    )
    assert plan.counts.as_dict() == {
        "created": 2,
        "updated": 0,
        "soft_deleted": 0,
        "restored": 0,
        "unchanged": 0,
    }
    assert [m.deleted_at for m in plan.creates] == [None, T1]
    assert all(m.tenant_id == "t1" and m.synced_at == T1 for m in plan.creates)


def test_an_email_change_keeps_the_mapping_matched_by_hubspot_ids() -> None:
    stored = mapping(7, "1", "10", "old@x.io", alysio_user_id="u-alex")
    plan = plan_people("t1", [stored], [person("1", "10", "new@x.io")], T1)
    assert plan.creates == []
    assert plan.counts.updated == 1
    (updated,) = plan.updates
    assert (updated.id, updated.email, updated.alysio_user_id, updated.synced_at) == (
        7,
        "new@x.io",
        "u-alex",
        T1,
    )


def test_owner_id_matches_when_the_user_id_is_not_known_yet() -> None:
    stored = mapping(3, None, "10", "a@x.io")
    plan = plan_people("t1", [stored], [person("1", "10", "a@x.io")], T1)
    assert [(m.id, m.hubspot_user_id) for m in plan.updates] == [(3, "1")]


def test_email_matches_a_mapping_without_hubspot_ids_case_insensitively() -> None:
    stored = mapping(4, None, None, "Pat@X.io", alysio_user_id="u-pat")
    plan = plan_people("t1", [stored], [person("5", "50", "pat@x.io")], T1)
    assert plan.creates == []
    assert [(m.id, m.owner_id, m.alysio_user_id) for m in plan.updates] == [(4, "50", "u-pat")]


def test_an_email_reused_by_another_hubspot_user_gets_a_new_mapping() -> None:
    gone = mapping(4, "1", "10", "seat@x.io", deleted_at=T0)
    plan = plan_people("t1", [gone], [person("2", "20", "seat@x.io")], T1)
    assert [(m.hubspot_user_id, m.owner_id) for m in plan.creates] == [("2", "20")]
    assert plan.updates == []
    assert plan.counts.created == 1 and plan.counts.unchanged == 1


def test_archive_soft_deletes_and_return_restores() -> None:
    live = mapping(1, "1", "10", "a@x.io")
    archived = plan_people("t1", [live], [person("1", "10", "a@x.io", archived=True)], T1)
    assert archived.counts.soft_deleted == 1 and archived.updates[0].deleted_at == T1
    back = plan_people("t1", archived.updates, [person("1", "10", "a@x.io")], T1 + timedelta(days=1))
    assert back.counts.restored == 1 and back.updates[0].deleted_at is None


def test_archived_owners_keep_their_last_known_name() -> None:
    live = mapping(1, "1", "10", "a@x.io", first_name="Dana", last_name="Kim")
    plan = plan_people(
        "t1", [live], [person("1", "10", "a@x.io", first_name=None, last_name=None, archived=True)], T1
    )
    assert (plan.updates[0].first_name, plan.updates[0].last_name) == ("Dana", "Kim")


def test_a_person_hubspot_no_longer_lists_is_soft_deleted_once() -> None:
    live, gone = mapping(1, "1", "10", "a@x.io"), mapping(2, "2", "20", "b@x.io", deleted_at=T0)
    plan = plan_people("t1", [live, gone], [], T1)
    assert plan.counts.soft_deleted == 1 and plan.counts.unchanged == 1
    assert [(m.id, m.deleted_at) for m in plan.updates] == [(1, T1)]


def test_nothing_changed_writes_nothing() -> None:
    stored = mapping(1, "1", "10", "a@x.io", team_ids=("5",))
    plan = plan_people("t1", [stored], [person("1", "10", "a@x.io", team_ids=("5",))], T1)
    assert plan.updates == [] and plan.creates == []
    assert plan.counts.unchanged == 1


def test_an_owner_id_moving_to_another_user_is_released_from_the_stale_row() -> None:
    # HubSpot ids are unique: if owner 10 now belongs to user 2, the row still holding it is stale.
    stale, other = mapping(1, "1", "10", "a@x.io"), mapping(2, "2", None, "b@x.io")
    plan = plan_people("t1", [stale, other], [person("2", "10", "b@x.io")], T1)
    rows = {m.id: m for m in plan.updates}
    assert rows[2].owner_id == "10"
    assert rows[1].owner_id is None and rows[1].deleted_at == T1
    owners = [m.owner_id for m in plan.updates if m.owner_id]
    assert len(owners) == len(set(owners))


def test_teams_are_matched_by_id_and_a_parent_from_elsewhere_is_kept() -> None:
    stored = TeamRecord("t1", "5", "East", "9", ("1",), (), T0, None)
    plan = plan_teams("t1", [stored], [TeamInfo("5", "East Coast", ("1", "2")), TeamInfo("6", "West")], T1)
    rows = {t.team_id: t for t in plan.writes}
    assert rows["5"].parent_id == "9" and rows["5"].name == "East Coast"
    assert rows["6"].parent_id is None
    assert plan.counts.updated == 1 and plan.counts.created == 1


def test_a_team_hubspot_dropped_is_soft_deleted_and_restored_when_back() -> None:
    stored = TeamRecord("t1", "5", "East", None, (), (), T0, None)
    dropped = plan_teams("t1", [stored], [], T1)
    assert dropped.counts.soft_deleted == 1 and dropped.writes[0].deleted_at == T1
    back = plan_teams("t1", dropped.writes, [TeamInfo("5", "East")], T1)
    assert back.counts.restored == 1 and back.writes[0].deleted_at is None

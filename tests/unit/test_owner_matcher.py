"""``OwnerMatcher``: the one rule both owner lookups use (the owners list and the identity store)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from agent.identity.lookup import MAPPING_MATCHER
from agent.identity.store import UserMapping
from agent.owners import OWNER_MATCHER, AmbiguousOwner, OwnerMatcher, OwnerNotFound
from tools.hubspot.models import Owner


@dataclass(frozen=True)
class Someone:
    owner_id: str | None
    email: str | None
    name: str


MATCHER: OwnerMatcher[Someone] = OwnerMatcher(
    owner_id=lambda p: p.owner_id, email=lambda p: p.email, name=lambda p: p.name
)
PRIYA = Someone("101", "priya@acme-sales.io", "Priya Shah")
SAM_LEE = Someone("102", "sam.lee@acme-sales.io", "Sam Lee")
SAM_ORTIZ = Someone("103", None, "Sam Ortiz")
ALEX = Someone("104", "Alex@Acme-Sales.io", "Alex Rivera")
NOT_AN_OWNER = Someone(None, "nia@acme-sales.io", "Nia Brooks")
PEOPLE = [PRIYA, SAM_LEE, SAM_ORTIZ, ALEX, NOT_AN_OWNER]


def test_an_email_matches_exactly_ignoring_case() -> None:
    assert MATCHER.match(PEOPLE, "  PRIYA@acme-sales.io ") is PRIYA
    assert MATCHER.match(PEOPLE, "alex@acme-sales.io") is ALEX


def test_an_unknown_email_is_not_matched_by_name() -> None:
    with pytest.raises(OwnerNotFound, match=r"^No HubSpot owner has the email priya@elsewhere\.io\.$"):
        MATCHER.match(PEOPLE, "priya@elsewhere.io")


def test_an_owner_id_matches_exactly() -> None:
    assert MATCHER.match(PEOPLE, "103") is SAM_ORTIZ


def test_me_words_stand_for_the_users_email() -> None:
    for words in ("me", "My", " myself "):
        assert MATCHER.match(PEOPLE, words, me_email="ALEX@acme-sales.io") is ALEX
    with pytest.raises(OwnerNotFound, match=r"^No HubSpot owner has the email guest@elsewhere\.io\.$"):
        MATCHER.match(PEOPLE, "me", me_email="guest@elsewhere.io")


def test_me_words_are_plain_words_without_an_email() -> None:
    with pytest.raises(OwnerNotFound, match=r"^No HubSpot owner is called 'me'\.$"):
        MATCHER.match(PEOPLE, "me")


def test_a_name_matches_fuzzily_above_the_threshold() -> None:
    assert MATCHER.match(PEOPLE, "Priya") is PRIYA
    assert MATCHER.match(PEOPLE, "alx rivera") is ALEX  # a typo
    assert MATCHER.match(PEOPLE, "sam l") is SAM_ORTIZ  # the best score wins when it is alone


def test_a_name_below_the_threshold_is_not_found() -> None:
    with pytest.raises(OwnerNotFound, match=r"^No HubSpot owner is called 'Zebulon'\.$"):
        MATCHER.match(PEOPLE, "Zebulon")
    strict = OwnerMatcher[Someone](
        owner_id=lambda p: p.owner_id, email=lambda p: p.email, name=lambda p: p.name, min_score=96
    )
    with pytest.raises(OwnerNotFound, match="is called 'alx rivera'"):
        strict.match(PEOPLE, "alx rivera")


def test_a_tie_is_ambiguous_and_names_the_candidates() -> None:
    with pytest.raises(AmbiguousOwner) as raised:
        MATCHER.match(PEOPLE, "Sam")
    assert str(raised.value) == (
        "Several HubSpot owners could be 'Sam' (Sam Lee <sam.lee@acme-sales.io>, Sam Ortiz); use their email."
    )
    assert isinstance(raised.value, OwnerNotFound)  # callers that catch OwnerNotFound still do


def test_people_without_an_owner_id_are_never_matched() -> None:
    for words in ("nia@acme-sales.io", "Nia Brooks"):
        with pytest.raises(OwnerNotFound):
            MATCHER.match(PEOPLE, words)
    with pytest.raises(OwnerNotFound, match="is called 'Priya'"):
        MATCHER.match([], "Priya")


def _mapping(row: int, owner: Owner) -> UserMapping:
    return UserMapping(
        id=row, tenant_id="t", alysio_user_id=None, hubspot_user_id=None, owner_id=owner.id,
        email=owner.email, first_name=owner.first_name, last_name=owner.last_name, role_id=None,
        role_name=None, team_ids=(), synced_at=None, deleted_at=None,
    )  # fmt: skip


def test_both_lookups_use_the_same_rule() -> None:
    owners = [
        Owner(id="101", email="priya@acme-sales.io", first_name="Priya", last_name="Shah"),
        Owner(id="102", email="sam.lee@acme-sales.io", first_name="Sam", last_name="Lee"),
    ]
    mappings = [_mapping(i, o) for i, o in enumerate(owners, start=1)]
    for words in ("priya", "PRIYA@acme-sales.io", "102", "sam lee"):
        assert OWNER_MATCHER.match(owners, words).id == MAPPING_MATCHER.match(mappings, words).owner_id
    assert OWNER_MATCHER.match(owners, "me", me_email="sam.lee@acme-sales.io").id == "102"

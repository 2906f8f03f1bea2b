"""Figures computed from every page of HubSpot's search results, against a portal with known numbers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.context import AgentContext
from agent.owners import OwnerDirectory
from agent.plan import Condition, Question
from agent.reads import Reader
from agent.resolve import PipelineCache
from tools.local import LocalPortal, open_local_portal
from tools.scopes_catalog import ALL_SCOPES

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
STAGES = ["appointmentscheduled", "contractsent", "closedwon", "closedlost"]


def portal_block() -> dict[str, Any]:
    deals = []
    for i in range(230):  # more than two pages of 100
        stage = STAGES[i % 4]
        deals.append(
            {
                "ref": f"d{i}",
                "properties": {
                    "dealname": f"Deal {i}",
                    "amount": str(1000 + i),
                    "dealstage": stage,
                    "pipeline": "default",
                    "closedate": "2026-03-15T12:00:00Z" if i % 2 else "2026-05-15T12:00:00Z",
                    "hubspot_owner_id": {"owner": "alex" if i % 3 == 0 else "sam"},
                },
            }
        )
    return {
        "owners": [
            {"ref": "alex", "email": "alex@acme-sales.io", "firstName": "Alex", "lastName": "Rivera"},
            {"ref": "sam", "email": "sam@acme-sales.io", "firstName": "Sam", "lastName": "Lee"},
        ],
        "deals": deals,
    }


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def reader() -> AsyncIterator[tuple[Reader, LocalPortal]]:
    portal = open_local_portal(portal_block(), clock=lambda: NOW, sleep=_no_sleep)
    ctx = AgentContext(
        tenant_id="t-local", user_id="u-alex", user_email="alex@acme-sales.io",
        credential_id=portal.connection.credential_id, granted_scopes=frozenset(ALL_SCOPES),
        timezone="America/New_York", now=NOW,
    )  # fmt: skip
    yield (
        Reader(
            portal.client, portal.connection, ctx, OwnerDirectory(portal.client), PipelineCache(portal.client)
        ),
        portal,
    )
    await portal.aclose()


def deals(pred: Any) -> list[int]:
    return [i for i in range(230) if pred(i)]


async def test_sum_pages_through_every_result(reader: tuple[Reader, LocalPortal]) -> None:
    r, portal = reader
    text, _ = await r.answer(Question(kind="sum", object_type="deals"), None)
    total = sum(1000 + i for i in range(230))
    assert f"230 deals: ${total:,}" in text
    searches = [x for x in portal.sandbox.requests if x["path"].endswith("/search")]
    assert len(searches) == 3  # 100 + 100 + 30


async def test_open_deals_of_mine(reader: tuple[Reader, LocalPortal]) -> None:
    r, _ = reader
    q = Question(
        kind="sum",
        object_type="deals",
        deal_status="open",
        conditions=[Condition(property="hubspot_owner_id", operator="EQ", value="me", kind="owner")],
    )
    text, _ = await r.answer(q, None)
    mine = deals(lambda i: i % 3 == 0 and STAGES[i % 4] in ("appointmentscheduled", "contractsent"))
    assert f"{len(mine)} open deals: ${sum(1000 + i for i in mine):,}" in text


async def test_pipeline_by_stage(reader: tuple[Reader, LocalPortal]) -> None:
    r, _ = reader
    text, _ = await r.answer(Question(kind="pipeline_by_stage", object_type="deals"), None)
    contract = deals(lambda i: i % 4 == 1)
    booked = deals(lambda i: i % 4 == 0)
    assert f"Contract Sent: ${sum(1000 + i for i in contract):,} ({len(contract)} deals)" in text
    assert f"Appointment Scheduled: ${sum(1000 + i for i in booked):,} ({len(booked)} deals)" in text
    assert "Closed" not in text


async def test_win_rate_within_a_close_date_range(reader: tuple[Reader, LocalPortal]) -> None:
    r, _ = reader
    q = Question(
        kind="win_rate",
        object_type="deals",
        conditions=[
            Condition(property="closedate", operator="BETWEEN", value="2026-03-01", high_value="2026-03-31")
        ],
    )
    text, _ = await r.answer(q, None)
    won = len(deals(lambda i: i % 2 == 1 and i % 4 == 2))
    lost = len(deals(lambda i: i % 2 == 1 and i % 4 == 3))
    assert f"({won} won, {lost} lost)" in text


async def test_count_uses_hubspots_total(reader: tuple[Reader, LocalPortal]) -> None:
    r, _ = reader
    text, _ = await r.answer(Question(kind="count", object_type="deals", deal_status="won"), None)
    assert text.startswith(f"{len(deals(lambda i: i % 4 == 2))} won deals")


async def test_list_shows_the_first_and_says_how_many_more(reader: tuple[Reader, LocalPortal]) -> None:
    r, _ = reader
    text, records = await r.answer(
        Question(kind="list", object_type="deals", sort_by="amount", descending=True, limit=3), None
    )
    lines = text.splitlines()
    assert lines[0].startswith("230 deals") and lines[1].startswith("- Deal 229") and "227 more" in lines[-1]
    assert [x["label"] for x in records] == ["Deal 229", "Deal 228", "Deal 227"]


class SamsTeam(OwnerDirectory):
    """The portal's owners, with a team of one: Sam."""

    async def team_owner_ids(self, conn: Any, *, user_email: str) -> list[str]:
        return [(await self.resolve(conn, "sam@acme-sales.io", user_email=user_email)).id]


@pytest.mark.parametrize(
    ("words", "operator", "owned_by_sam"),
    [("my team", "EQ", True), ("My Team's", "EQ", True), ("our team", "NEQ", False)],
)
async def test_my_team_is_an_owner_filter_on_the_teams_owner_ids(
    reader: tuple[Reader, LocalPortal], words: str, operator: Any, owned_by_sam: bool
) -> None:
    r, portal = reader
    r.owners = SamsTeam(portal.client)
    owner = Condition(property="hubspot_owner_id", operator=operator, value=words, kind="owner")
    text, _ = await r.answer(Question(kind="sum", object_type="deals", conditions=[owner]), None)
    chosen = deals(lambda i: (i % 3 != 0) == owned_by_sam)
    assert f"{len(chosen)} deals: ${sum(1000 + i for i in chosen):,}" in text

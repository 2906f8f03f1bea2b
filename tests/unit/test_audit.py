"""The audit log: SQLite storage, filters, the request hook, and that no secret is ever stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.app import app
from agent.audit import AuditEntry, AuditScope, SqliteAuditLog, audit_hook, entry_from, scoped
from tools.hubspot import RequestRecord

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def record(operation: str = "create", user: str = "u-alex", ids: tuple[str, ...] = ("1",)) -> RequestRecord:
    return RequestRecord(
        operation=operation,
        method="POST",
        path_template="/crm/v3/objects/{objectType}",
        object_type="deals",
        ids=ids,
        scopes=("crm.objects.deals.write",),
        status=201,
        correlation_id="abc-123",
        latency_ms=12.5,
        attempt=1,
        tenant_id="t-1",
        user_id=user,
    )


async def test_sqlite_log_round_trips_entries_and_filters_by_thread_and_user(tmp_path: Path) -> None:
    log = SqliteAuditLog(tmp_path / "audit.sqlite")
    with scoped(
        AuditScope(thread_id="th-1", approved_by="u-alex", diff={"amount": {"old": None, "new": "5"}})
    ):
        await log.record(
            entry_from(record(), NOW, AuditScope(thread_id="th-1", approved_by="u-alex", diff={"a": 1}))
        )
    await log.record(entry_from(record("search", user="u-priya"), NOW, AuditScope(thread_id="th-2")))
    everything = await log.entries()
    assert [e.operation for e in everything] == ["create", "search"]
    (mine,) = await log.entries(thread_id="th-1")
    assert mine.approved_by == "u-alex" and mine.diff == {"a": 1} and mine.status == 201 and mine.ids == ["1"]
    assert mine.time == "2026-03-02T15:00:00.000Z"
    (priya,) = await log.entries(user_id="u-priya")
    assert priya.approved_by is None and priya.diff is None  # reads carry no approval
    await log.aclose()


async def test_hook_takes_the_thread_and_approval_from_the_scope() -> None:
    class Collect:
        def __init__(self) -> None:
            self.items: list[AuditEntry] = []

        async def record(self, entry: AuditEntry) -> None:
            self.items.append(entry)

        async def entries(self, **_: object) -> list[AuditEntry]:
            return self.items

        async def aclose(self) -> None:
            return None

    log = Collect()
    hook = audit_hook(log, clock=lambda: NOW)
    with scoped(AuditScope(thread_id="th-9", approved_by="u-alex", diff={"x": 1}, step="p:0")):
        await hook(record())
    await hook(record())
    assert log.items[0].thread_id == "th-9" and log.items[0].step == "p:0"
    assert log.items[1].thread_id is None


def test_audit_command_prints_json_lines_filtered_by_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setenv("ALYSIO_DATA_DIR", str(tmp_path))
    log = SqliteAuditLog(tmp_path / "audit.sqlite")
    asyncio.run(log.record(entry_from(record(), NOW, AuditScope(thread_id="th-1"))))
    asyncio.run(log.record(entry_from(record("search"), NOW, AuditScope(thread_id="th-2"))))
    result = CliRunner().invoke(app, ["audit", "--thread", "th-1", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert [(x["thread_id"], x["operation"]) for x in lines] == [("th-1", "create")]
    table = CliRunner().invoke(app, ["audit"])
    assert table.exit_code == 0 and "create" in table.output and "search" in table.output

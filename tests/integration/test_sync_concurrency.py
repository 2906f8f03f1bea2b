"""Two syncs at once never map a person twice: tasks on one store, stores on one file, two processes."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agent.identity import IdentitySync, SqliteIdentityStore
from tools.local import open_local_portal


def _rows(path: Path) -> list[tuple[str, str | None, str | None]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT tenant_id, hubspot_user_id, owner_id FROM user_mappings ORDER BY id"
        ).fetchall()


async def test_two_syncs_gathered_on_one_store_create_each_mapping_once(tmp_path: Path) -> None:
    portal = open_local_portal("demo")
    store = await SqliteIdentityStore.open(tmp_path / "identity.sqlite")
    try:
        sync = IdentitySync(store, portal.client)
        first, second = await asyncio.gather(sync.sync(portal.connection), sync.sync(portal.connection))
        assert sorted([first.people.created, second.people.created]) == [0, 6]
        assert sorted([first.people.unchanged, second.people.unchanged]) == [0, 6]
        assert len(await store.list_connections()) == 1
    finally:
        await portal.aclose()
        await store.aclose()
    assert len(_rows(tmp_path / "identity.sqlite")) == 6


async def test_two_stores_on_one_file_syncing_at_once_create_each_mapping_once(tmp_path: Path) -> None:
    path = tmp_path / "identity.sqlite"
    portal = open_local_portal("demo")
    stores = [await SqliteIdentityStore.open(path), await SqliteIdentityStore.open(path)]
    try:
        reports = await asyncio.gather(
            *(IdentitySync(st, portal.client).sync(portal.connection) for st in stores)
        )
        assert sorted(r.people.created for r in reports) == [0, 6]
    finally:
        await portal.aclose()
        for st in stores:
            await st.aclose()
    rows = _rows(path)
    assert len(rows) == 6 and len({r[2] for r in rows}) == 6


@pytest.mark.slow
def test_two_processes_syncing_one_file_at_once_create_each_mapping_once(tmp_path: Path) -> None:
    env = {**os.environ, "ALYSIO_DATA_DIR": str(tmp_path), "ALYSIO_HUBSPOT_MODE": "sandbox"}
    command = [sys.executable, "-m", "adapters.cli", "sync", "--tenant", "t-shared", "--json"]
    procs = [
        subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    assert sorted(r["created"] for r in reports) == [0, 6]
    assert sorted(r["unchanged"] for r in reports) == [0, 6]
    assert reports[0]["connection_id"] == reports[1]["connection_id"]
    rows = _rows(tmp_path / "identity.sqlite")
    assert len(rows) == 6 and {r[0] for r in rows} == {"t-shared"}

"""Who chats, through the installed CLI against a real ``alysio-agent sandbox`` process.

Issue rows:

- "``--user`` with an email that is not in the portal": the shared connection was marked
  deauthorized for every user until ``connection reconnected``. Now an unknown user changes nothing
  shared: in paragon and direct modes ``--user`` is refused with one line naming the email and
  ``alysio-agent sync``; in sandbox mode (anyone may chat with the demo) "me" answers "There is no
  HubSpot user for …"; the connection stays active with its configured installer and other users'
  mappings stay as they were; errors say which command fixes them, never the Alysio UI's
  settings page.
- "'yes' sent with ``--user priya@…`` on Alex's confirmation (paragon and direct modes)": the write
  ran and the audit said approved by Alex. Now ``--user`` sets the whole identity from the identity
  store, so Priya cannot approve Alex's change and her own approvals are recorded as hers.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from agent.identity import SqliteIdentityStore, UserMapping
from tests.e2e.servers import SandboxServer, alysio, clean_env, json_events

pytestmark = pytest.mark.slow  # each test starts the sandbox server and the console script

STRANGER = "stranger@nowhere.io"
PRIYA = "priya@acme-sales.io"
SETTINGS_PAGE = "Settings → Integrations"


def connections(env: dict[str, str], cwd: Path) -> list[dict[str, Any]]:
    result = alysio("connection", "list", "--json", env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    listed: list[dict[str, Any]] = json.loads(result.stdout)
    return listed


def mappings(data_dir: Path, tenant: str = "t-demo") -> list[UserMapping]:
    async def read() -> list[UserMapping]:
        store = await SqliteIdentityStore.open(data_dir / "identity.sqlite")
        try:
            return await store.mappings(tenant, include_deleted=True)
        finally:
            await store.aclose()

    return asyncio.run(read())


def assert_the_workspace_stays_connected(env: dict[str, str], cwd: Path) -> None:
    """The shared connection is the configured installer's and active, and Alex's next chat works."""
    (conn,) = connections(env, cwd)
    assert (conn["user_id"], conn["status"]) == ("u-alex", "active")
    alex = alysio("chat", "--json", env=env, stdin="show me the deals of Acme Corp\n", cwd=cwd)
    assert alex.returncode == 0, alex.stderr
    (reply,) = json_events(alex)
    assert reply["type"] == "reply" and "Acme Corp" in reply["text"]


def env_for(mode: str, server: SandboxServer, data_dir: Path) -> dict[str, str]:
    return server.paragon_env(data_dir) if mode == "paragon" else server.direct_env(data_dir)


@pytest.mark.parametrize("mode", ["paragon", "direct"])
def test_an_unknown_user_is_refused_with_the_command_that_fixes_it_and_changes_nothing_shared(
    mode: str, sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    sandbox_server.connect("u-alex")  # the configured user (the installer) connected HubSpot
    env = env_for(mode, sandbox_server, tmp_path / "data")

    stranger = alysio("chat", "--json", "--user", STRANGER, env=env, stdin="show my deals\n", cwd=tmp_path)

    assert stranger.returncode == 2
    assert stranger.stdout == ""  # no turn ran
    (line,) = stranger.stderr.strip().splitlines()
    assert f"There is no HubSpot user for {STRANGER}" in line and "`alysio-agent sync`" in line
    assert "Traceback" not in stranger.stderr
    # The tenant was synced once to look the email up, as the configured installer; nobody's
    # request went out as the stranger, and the shared connection stays the installer's.
    people = mappings(tmp_path / "data")
    assert all(m.alysio_user_id is None for m in people)  # nobody was bound to the stranger
    assert {"alex@acme-sales.io", PRIYA} <= {m.email for m in people if not m.deleted}
    if mode == "paragon":
        assert {r["user"] for r in sandbox_server.requests()} == {"u-alex"}
    assert_the_workspace_stays_connected(env, tmp_path)


def test_in_sandbox_mode_an_unknown_user_hears_there_is_no_hubspot_user_and_nothing_shared_changes(
    tmp_path: Path,
) -> None:
    """The issue's probe as it was run: the built-in sandbox, Alex first, then ``--user`` a stranger."""
    data = tmp_path / "data"
    env = clean_env(ALYSIO_DATA_DIR=str(data))
    first = alysio("chat", "--json", env=env, stdin="show my deals\n", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = mappings(data)
    assert any(m.alysio_user_id == "u-alex" for m in before)

    stranger = alysio("chat", "--json", "--user", STRANGER, env=env, stdin="show my deals\n", cwd=tmp_path)

    assert stranger.returncode == 0, stranger.stderr
    (answer,) = json_events(stranger)
    assert answer["type"] == "error" and not answer["writes"]
    assert answer["text"] == f"There is no HubSpot user for {STRANGER} in this portal."
    assert mappings(data) == before  # nobody's mapping was soft-deleted, bound or rewritten
    assert_the_workspace_stays_connected(env, tmp_path)


def test_a_user_without_a_paragon_connection_of_their_own_is_told_so_and_the_workspace_stays_connected(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    """Priya is in HubSpot but never connected HubSpot through Paragon; she chats before anyone else."""
    sandbox_server.connect("u-alex")
    env = sandbox_server.paragon_env(tmp_path / "data")

    priya = alysio("chat", "--json", "--user", PRIYA, env=env, stdin="show my deals\n", cwd=tmp_path)

    assert priya.returncode == 0, priya.stderr
    assert "as Priya Shah <priya@acme-sales.io>" in priya.stderr
    (answer,) = json_events(priya)
    assert answer["type"] == "error" and answer["error"]["kind"] == "reconnect"
    assert answer["error"]["next_step"] == "reconnect"
    assert answer["text"].startswith("HubSpot is not connected for this user.")
    assert "Connect HubSpot for this user through Paragon" in answer["text"]
    assert "`alysio-agent connection list`" in answer["text"]
    assert SETTINGS_PAGE not in answer["text"] and SETTINGS_PAGE not in (answer["error"]["action"] or "")
    assert_the_workspace_stays_connected(env, tmp_path)  # the installer's, not the first to chat


def test_a_deauthorized_connection_names_the_reconnect_command_and_it_works(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    sandbox_server.connect("u-alex")
    env = sandbox_server.paragon_env(tmp_path / "data")
    assert alysio("sync", env=env, cwd=tmp_path).returncode == 0
    (conn,) = connections(env, tmp_path)
    assert alysio("connection", "uninstalled", conn["id"], env=env, cwd=tmp_path).returncode == 0

    refused = alysio("chat", env=env, stdin="show me the deals of Acme Corp\n", cwd=tmp_path)

    assert refused.stdout.startswith("error (reconnect): HubSpot was disconnected from Alysio")
    assert "run `alysio-agent connection reconnected <id>`" in refused.stdout
    assert "`alysio-agent connection list` shows the id" in refused.stdout
    assert SETTINGS_PAGE not in refused.stdout
    synced = alysio("sync", env=env, cwd=tmp_path)
    assert synced.returncode == 1
    assert f"run `alysio-agent connection reconnected {conn['id']}`" in synced.stderr
    assert SETTINGS_PAGE not in synced.stderr

    assert alysio("connection", "reconnected", conn["id"], env=env, cwd=tmp_path).returncode == 0
    again = alysio("chat", "--json", env=env, stdin="show me the deals of Acme Corp\n", cwd=tmp_path)
    (reply,) = json_events(again)
    assert reply["type"] == "reply"


def created_deals(server: SandboxServer) -> list[dict[str, Any]]:
    return [r for r in server.requests() if r["method"] == "POST" and r["path"] == "/crm/v3/objects/deals"]


@pytest.mark.parametrize("mode", ["paragon", "direct"])
def test_user_option_sets_the_whole_identity_so_approvals_and_the_audit_are_the_real_persons(
    mode: str, sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    sandbox_server.connect("u-alex")
    sandbox_server.connect("u-priya")  # Priya connected HubSpot through Paragon herself
    env = env_for(mode, sandbox_server, tmp_path / "data")
    deal = "Create a new deal for Acme Corp\n"

    alex = alysio("chat", "--json", "--thread", "alex-deal", env=env, stdin=deal, cwd=tmp_path)
    assert [e["type"] for e in json_events(alex)] == ["confirm"]

    # Priya answers "yes" on Alex's confirmation: nothing is written, and it still waits for Alex.
    priya_yes = alysio(
        "chat", "--json", "--thread", "alex-deal", "--user", PRIYA, env=env, stdin="yes\n", cwd=tmp_path
    )
    (refused,) = json_events(priya_yes)
    assert refused["type"] == "error" and not refused["writes"]
    assert "Acme Corp deal" not in refused["text"]  # nor does she see its values
    assert created_deals(sandbox_server) == []

    # Priya's own change, approved by her, is recorded as hers.
    priya = alysio(
        "chat",
        "--json",
        "--thread",
        "priya-deal",
        "--user",
        PRIYA,
        env=env,
        stdin=deal + "yes\n",
        cwd=tmp_path,
    )
    assert "as Priya Shah <priya@acme-sales.io>" in priya.stderr
    confirm, done = json_events(priya)
    assert confirm["type"] == "confirm" and [w["op"] for w in done["writes"]] == ["create"]

    approved = alysio("chat", "--json", "--thread", "alex-deal", env=env, stdin="yes\n", cwd=tmp_path)
    (alex_done,) = json_events(approved)
    assert [w["op"] for w in alex_done["writes"]] == ["create"]

    audit = alysio("audit", "--json", env=env, cwd=tmp_path)
    writes = [json.loads(line) for line in audit.stdout.splitlines()]
    creates = {
        e["thread_id"]: (e["user_id"], e["approved_by"], e["extra"].get("approver_email"))
        for e in writes
        if e["operation"] == "create" and e["status"] == 201
    }
    assert creates == {
        "priya-deal": ("u-priya", "u-priya", PRIYA),
        "alex-deal": ("u-alex", "u-alex", "alex@acme-sales.io"),
    }
    sent_as = [r["user"] for r in created_deals(sandbox_server)]
    assert sent_as == (["u-priya", "u-alex"] if mode == "paragon" else [None, None])

"""The sandbox's Paragon key kept in a data directory: made once, owner-only, replaced when unusable."""

from __future__ import annotations

import stat
from pathlib import Path

import jwt

from tools.sandbox.auth import key_pair_file


def test_the_key_is_made_once_kept_owner_only_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "sandbox-paragon-key.pem"
    private, public = key_pair_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == private
    assert key_pair_file(path) == (private, public)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    token = jwt.encode({"sub": "u-1"}, private, algorithm="RS256")
    assert jwt.decode(token, public, algorithms=["RS256"])["sub"] == "u-1"


def test_a_key_readable_by_others_or_unreadable_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    private, _ = key_pair_file(path)
    path.chmod(0o644)
    replaced, _ = key_pair_file(path)
    assert replaced != private and stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    again, public = key_pair_file(path)
    assert again not in (private, replaced) and "BEGIN PUBLIC KEY" in public

"""Shared test setup: tests never read the developer's own environment or .env file."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

# CI runs the fuzzers with a fixed seed sequence so a red run is reproducible; local runs keep
# exploring new inputs (and remember failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _clean_alysio_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("ALYSIO_"):
            monkeypatch.delenv(name)
    # pydantic-settings reads ./.env: run every test from an empty directory.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    yield

"""The model planner's prompt files (``prompts/*.md``), read once at start.

The files ship as package data of the ``prompts`` package, so they are found through
:mod:`importlib.resources` whether the project is installed editable or from a wheel. Each set
of prompts carries a digest: recorded model exchanges (cassettes) keep it so a replay can tell
that the prompts changed since the recording.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

PROMPTS_PACKAGE = "prompts"
PROMPT_FILES = ("system.md", "planner.md", "summary.md")


class PromptError(RuntimeError):
    """A prompt file is missing or empty (a broken install or checkout)."""


@dataclass(frozen=True)
class Prompts:
    """The prompt texts of the model planner.

    Attributes:
        system: Who the planner is and the rules that always hold (``system.md``).
        planner: How to fill the plan schema (``planner.md``).
        summary: How to write a summary, the one allowed second call (``summary.md``).
        digest: Short SHA-256 of all three texts, to tell prompt versions apart.
    """

    system: str
    planner: str
    summary: str
    digest: str

    @property
    def planning_instructions(self) -> str:
        """The system message of a planning call: the rules, then how to fill the plan."""
        return f"{self.system}\n\n{self.planner}"


def _read(directory: Traversable | Path, name: str) -> str:
    entry = directory / name
    try:
        text = entry.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        raise PromptError(f"prompt file {name} is missing from {directory}") from None
    if not text:
        raise PromptError(f"prompt file {name} in {directory} is empty")
    return text


def load_prompts(directory: Traversable | Path | None = None) -> Prompts:
    """Read the prompt files.

    Args:
        directory: Where the files are; the installed ``prompts`` package by default.

    Returns:
        The prompts with their digest.

    Raises:
        PromptError: A file is missing or empty.
    """
    source = directory if directory is not None else files(PROMPTS_PACKAGE)
    system, planner, summary = (_read(source, name) for name in PROMPT_FILES)
    hasher = hashlib.sha256()
    for text in (system, planner, summary):
        hasher.update(text.encode("utf-8"))
        hasher.update(b"\0")  # keeps ("ab", "c") and ("a", "bc") apart
    return Prompts(system=system, planner=planner, summary=summary, digest=hasher.hexdigest()[:16])


@cache
def default_prompts() -> Prompts:
    """The installed prompts, read on first use and kept for the life of the process."""
    return load_prompts()

"""Reading YAML that someone else wrote (eval cases, sandbox fixtures, cassettes) without being hurt by it.

``yaml.safe_load`` constructs no objects, but it still expands aliases: a few hundred bytes of
nested anchors ("billion laughs") grow into gigabytes. Before a document is loaded, its event
stream is walked once, counting every node as it would be after alias expansion; documents over
the limits, files over a size limit, binary files and text that is not UTF-8 are refused with a
one-line reason. The C loader is used when PyYAML has it (about 6x faster).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

try:
    from yaml import CSafeLoader as FastSafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as FastSafeLoader  # type: ignore[assignment]

MAX_BYTES: Final = 2 * 1024 * 1024
MAX_NODES: Final = 200_000
MAX_ALIASES: Final = 200


class YamlRefused(ValueError):
    """The text is not acceptable YAML input (too large, binary, not UTF-8, alias expansion)."""


def read_text(path: Path, *, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of ``path``, refusing large, binary or non-UTF-8 files.

    Raises:
        YamlRefused: The file is too large, holds a NUL byte, or is not UTF-8.
        OSError: The file cannot be read.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise YamlRefused(f"the file is {size:,} bytes; the limit is {max_bytes:,}")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise YamlRefused("the file is binary, not YAML text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlRefused(
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


def check_expansion(text: str, *, max_nodes: int = MAX_NODES, max_aliases: int = MAX_ALIASES) -> None:
    """Refuse a document whose aliases would expand beyond ``max_nodes`` nodes (or that has too many).

    Raises:
        YamlRefused: Over a limit.
        yaml.YAMLError: The text is not valid YAML.
    """
    sizes: dict[str, int] = {}
    open_nodes: list[list[Any]] = []  # [expanded size so far, anchor] per open collection
    total = aliases = 0
    for event in yaml.parse(text, Loader=FastSafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append([1, event.anchor])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            count, anchor = open_nodes.pop()
            if anchor:
                sizes[anchor] = count
            grown = count
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor:
                sizes[event.anchor] = 1
            grown = 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > max_aliases:
                raise YamlRefused(f"the document uses more than {max_aliases} aliases")
            grown = sizes.get(event.anchor or "", 1)
            total += grown  # an alias adds its anchor's whole subtree again
        else:
            continue
        if open_nodes:
            open_nodes[-1][0] += grown
        if not isinstance(event, yaml.AliasEvent):
            total += 1
        if total > max_nodes:
            raise YamlRefused(f"the document expands to more than {max_nodes:,} nodes")


def safe_load(text: str, *, max_nodes: int = MAX_NODES, max_aliases: int = MAX_ALIASES) -> Any:
    """``yaml.safe_load`` after :func:`check_expansion`, with the C loader when available.

    Raises:
        YamlRefused: Over a limit.
        yaml.YAMLError: The text is not valid YAML.
    """
    check_expansion(text, max_nodes=max_nodes, max_aliases=max_aliases)
    return yaml.load(text, Loader=FastSafeLoader)  # a safe loader: constructs no objects


def describe_error(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: ``line L, column C: <problem>`` (PyYAML's own text spans several)."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    text = str(problem) if problem else " ".join(str(exc).split())
    return f"line {mark.line + 1}, column {mark.column + 1}: {text}" if mark is not None else text


def load_file(path: Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """:func:`safe_load` of a file read with :func:`read_text`."""
    return safe_load(read_text(path, max_bytes=max_bytes))

"""The layers import downwards only: the agent and the tools never import an adapter or the eval harness.

Every import statement counts, including the lazy ones inside functions, so a command or a
channel added under ``agent/`` or ``tools/`` cannot bring the cycle back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOWER_LAYERS = ("agent", "tools")
FORBIDDEN = ("adapters", "evals")


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, a module of ``package``.

    Relative imports are resolved against ``package``; imports inside functions count too.
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                found.append((node.lineno, ".".join([*base, *([node.module] if node.module else [])])))
            else:
                found.append((node.lineno, node.module or ""))
    return sorted(found)


def _package_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts if path.name == "__init__.py" else parts[:-1])


def _is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_lower_layers_import_no_adapter_and_no_eval_harness(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no Python files under {layer}/"
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path.read_text(encoding="utf-8"), _package_of(path))
        if _is_forbidden(module)
    ]
    assert not offenders, "agent/ and tools/ must not import adapters/ or evals/:\n" + "\n".join(offenders)


def test_the_scan_sees_lazy_and_relative_imports() -> None:
    source = "import json\n\ndef f():\n    from evals.runner import run_cases\n    import adapters.cli.app\n"
    assert imported_modules(source, "agent") == [(1, "json"), (4, "evals.runner"), (5, "adapters.cli.app")]
    assert imported_modules("from ..evals import x\nfrom . import y\n", "agent.nodes") == [
        (1, "agent.evals"),
        (2, "agent.nodes"),
    ]
    assert imported_modules("from ...evals import x\n", "agent.nodes.sub") == [(1, "agent.evals")]
    assert _is_forbidden("evals.runner") and _is_forbidden("adapters")
    assert not _is_forbidden("evaluation") and not _is_forbidden("agent.evals_helpers")

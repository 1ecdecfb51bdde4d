"""The dependency rule: credit/ imports neither api nor search, nor Flask's request or g."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [a.name for a in node.names]))
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", _files("credit"), ids=lambda p: str(p.relative_to(ROOT)))
def test_credit_is_independent(path: Path) -> None:
    for module, names in _imports(path):
        top = module.split(".")[0]
        assert top not in {"api", "search", "elasticsearch"}, f"{path} imports {module}"
        if top == "flask":
            assert not {"request", "g", "session"} & set(names), f"{path} reads {names}"


@pytest.mark.parametrize("path", _files("search"), ids=lambda p: str(p.relative_to(ROOT)))
def test_search_does_not_import_api(path: Path) -> None:
    for module, _ in _imports(path):
        assert module.split(".")[0] not in {"api", "flask"}, f"{path} imports {module}"


def test_rule_checker_sees_imports() -> None:
    # Guard against a checker that silently finds nothing.
    assert any(m.startswith("credit.") for m, _ in _imports(ROOT / "search" / "indexer.py"))

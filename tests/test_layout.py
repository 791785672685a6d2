"""Dependency direction: server -> crdt, persistence; only crdt imports pycrdt."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT


def imports_of(package: str) -> dict[Path, set[str]]:
    found: dict[Path, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[path] = names
    return found


def test_only_crdt_imports_pycrdt_and_layers_point_one_way() -> None:
    forbidden = {
        "crdt": {"server", "persistence", "sqlalchemy", "starlette"},
        "persistence": {"server", "crdt", "pycrdt", "starlette"},
        "server": {"pycrdt"},
    }
    for package, banned in forbidden.items():
        for path, names in imports_of(package).items():
            assert not names & banned, f"{path.relative_to(ROOT)} imports {names & banned}"

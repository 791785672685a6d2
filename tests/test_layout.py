"""Dependency direction: server -> crdt, persistence; only crdt imports pycrdt."""

from __future__ import annotations

import ast
from pathlib import Path

from server import errors
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


def modules_imported_by(folder: Path) -> dict[Path, set[str]]:
    """Every module (dotted, as written) that each file under ``folder`` imports."""
    found: dict[Path, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[path] = names
    return found


EDGES = ("server.api", "server.pages", "server.cli")


def test_server_parts_point_one_way() -> None:
    """live/ is the core: it never imports the domain or an edge. The domain never imports an
    edge (it knows no HTTP, no page, no command). Only the composition root (app.py) and the
    edges themselves import edges."""
    banned = {
        "live": ("server.domain", *EDGES),
        "domain": EDGES,
    }
    server = ROOT / "server"
    for part, prefixes in banned.items():
        for path, names in modules_imported_by(server / part).items():
            bad = {n for n in names if n.startswith(prefixes)}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
    for path in server.glob("*.py"):
        if path.name in ("app.py", "__main__.py"):
            continue
        names = modules_imported_by(server)[path]
        bad = {n for n in names if n.startswith(EDGES)}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_folder_shows_the_parts() -> None:
    """server/ keeps only the composition root and the few modules every part shares."""
    top = sorted(p.name for p in (ROOT / "server").glob("*.py"))
    assert len(top) <= 12, top
    for part in ("live", "domain", "api", "pages", "cli"):
        assert (ROOT / "server" / part / "__init__.py").exists()


def test_the_domain_knows_no_http() -> None:
    """The domain raises domain errors; only the API maps them to HTTP statuses."""
    server = ROOT / "server"
    files = [*(server / "domain").rglob("*.py"), server / "errors.py"]
    for path in files:
        names = modules_imported_by(path.parent)[path]
        bad = {n for n in names if n.split(".")[0] in ("starlette", "uvicorn", "httpx")}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
    assert "status" not in vars(errors.DomainError)


def test_interface_text_lives_in_one_catalogue() -> None:
    """French and English text is in server/i18n.py only: no other module keeps a table of
    its own keyed by language."""
    for path in (ROOT / "server").rglob("*.py"):
        if path == ROOT / "server" / "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                assert not keys & {"fr", "en"}, f"{path.relative_to(ROOT)}:{node.lineno}"


def test_stores_are_built_in_one_place() -> None:
    """The app and the CLI build every store once (persistence/stores.py); nothing else in
    server/ constructs one."""
    stores = ("Repo", "People", "Versions", "Amendments", "Comments", "Contributions", "Outline")
    for path in (ROOT / "server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in stores, f"{path.relative_to(ROOT)}:{node.lineno}"

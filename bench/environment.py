"""What the runs need and what they ran on: the generator's npm dependencies
(bench/node_modules) and the pinned peers, installed on demand; the machine and the
versions, kept in the JSON."""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from sampling import NPROC
from scenarios import BENCH, Json

# Pinned peers, installed at bench time (never at server run time, never committed).
NODE_PEERS = {
    "@y/websocket-server": "0.1.1",
    "yjs": "13.6.33",
    "@hocuspocus/server": "4.7.0",
    "ws": "8.23.0",
}
PY_PEERS = ["pycrdt-websocket==0.16.5", "pycrdt==0.14.13", "uvicorn==0.54.0", "websockets==17.4"]


def ensure_node_modules(install: bool) -> None:
    stamp = BENCH / "node_modules" / ".package-lock.json"
    lock = BENCH / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    if not install:
        sys.exit("bench/node_modules is missing or stale: run `npm ci` in bench/")
    print("installing bench/node_modules (npm ci)…", flush=True)
    command = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(command, cwd=BENCH, check=True)


def ensure_peers(directory: Path, install: bool) -> Json:
    """Install the pinned peers into ``directory`` (node/ and pycrdt/) unless an install of
    exactly these pins is already there; return the versions actually installed."""
    stamp = directory / "pins.json"
    pins = {"node": NODE_PEERS, "python": PY_PEERS, "python_version": sys.version.split()[0]}
    node_dir, venv = directory / "node", directory / "pycrdt"
    fresh = not (stamp.exists() and json.loads(stamp.read_text()) == pins)
    if fresh:
        if not install:
            sys.exit(f"the peers are not installed in {directory} (drop --no-install)")
        print(f"installing the peers into {directory} (npm registry, PyPI)…", flush=True)
        shutil.rmtree(directory, ignore_errors=True)
        node_dir.mkdir(parents=True)
        package = {
            "name": "charter-bench-peers",
            "private": True,
            "type": "module",
            "dependencies": NODE_PEERS,
        }
        (node_dir / "package.json").write_text(json.dumps(package, indent=2))
        npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--no-save"]
        subprocess.run(npm, cwd=node_dir, check=True)
        # a plain interpreter (not our .venv's packages): the peers' own virtualenv
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, *PY_PEERS], check=True)
        stamp.write_text(json.dumps(pins))
    for script in ("yws-server.mjs", "hocuspocus-server.mjs"):  # ESM resolves from its folder
        shutil.copyfile(BENCH / "peers" / script, node_dir / script)
    versions: Json = {}
    for name in [*NODE_PEERS, "lib0", "y-protocols", "@hocuspocus/common", "crossws"]:
        manifest = node_dir / "node_modules" / name / "package.json"
        if manifest.exists():
            versions[name] = json.loads(manifest.read_text())["version"]
    code = (
        "from importlib.metadata import version as v; import json; "
        "print(json.dumps({n: v(n) for n in "
        "['pycrdt-websocket', 'pycrdt', 'pycrdt-store', 'uvicorn', 'websockets', 'anyio']}))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    versions.update(json.loads(out.stdout))
    return versions


def machine(args: argparse.Namespace) -> Json:
    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    def pkg(name: str) -> str:
        code = f"from importlib.metadata import version; print(version({name!r}))"
        return out([args.python, "-c", code])

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    git = ["git", "-C", str(args.server_dir)]
    dirty = out([*git, "status", "--porcelain", "--", "server", "crdt", "persistence"])
    return {
        "servers": args.servers,
        "server_dir": str(args.server_dir),
        "server_commit": out([*git, "rev-parse", "--short", "HEAD"]),
        "server_dirty": dirty not in ("", "?"),
        "nproc": NPROC,
        "cpu": cpu,
        "mem_total": out(["grep", "MemTotal", "/proc/meminfo"]).split(":")[-1].strip(),
        "kernel": platform.release(),
        "python": out([args.python, "-c", "import sys; print(sys.version.split()[0])"]),
        "pycrdt": pkg("pycrdt"),
        "uvicorn": pkg("uvicorn"),
        "uvloop": pkg("uvloop"),
        "websockets": pkg("websockets"),
        "node": out(["node", "--version"]),
        "yjs": json.loads((BENCH / "node_modules/yjs/package.json").read_text())["version"],
        "ws": json.loads((BENCH / "node_modules/ws/package.json").read_text())["version"],
    }

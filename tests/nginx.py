"""Debian's nginx in front of instances, configured as docs/deploy.md says (without TLS),
started by a test on a free port and stopped after it. On CI (``CI`` set) a missing nginx
fails the test; elsewhere it is skipped with the command that installs it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.redisdb import free_port

NGINX = os.environ.get("CHARTER_NGINX", "/usr/sbin/nginx")
CONFIG = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream charter {{
        least_conn;
{servers}
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 2m;
        location / {{
            proxy_pass http://charter;
            proxy_connect_timeout 2s;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, root: Path, upstream_ports: list[int]) -> None:
        if not (os.access(NGINX, os.X_OK) or shutil.which("nginx")):
            message = "nginx is not installed (apt-get install --no-install-recommends nginx)"
            if os.environ.get("CI"):
                pytest.fail(message + ": CI needs it", pytrace=False)
            pytest.skip(message)
        self.binary = NGINX if os.access(NGINX, os.X_OK) else str(shutil.which("nginx"))
        self.root = root
        self.port = free_port()
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in upstream_ports)
        self.config = root / "nginx.conf"
        root.mkdir(parents=True, exist_ok=True)
        self.config.write_text(CONFIG.format(root=root, servers=servers, port=self.port))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> Nginx:
        checked = subprocess.run(
            [self.binary, "-t", "-c", str(self.config), "-p", str(self.root)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stderr
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.config), "-p", str(self.root), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{self.base_url}/healthz", timeout=1)
                return self
            except httpx.HTTPError:
                assert self.proc.poll() is None, "nginx exited"
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

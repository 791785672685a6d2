"""One frozen Settings object. Every field is a ``CHARTER_*`` environment variable and a
``--flag`` of ``charter serve``; a flag beats the environment, which beats the default.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    host: str = _setting("127.0.0.1", "Address to listen on.")
    port: int = _setting(8000, "Port to listen on (0 picks a free port).")
    database_url: str = _setting(
        "sqlite:///./charter.db", "SQLAlchemy URL: sqlite:///PATH or postgresql://…"
    )
    public_url: str = _setting("", "Base URL printed in links (default: http://HOST:PORT).")
    secret_key: str = _setting(
        "", "Key that signs cookies (default: generated once and kept in the database)."
    )
    admin_token: str = _setting(
        "", "Bearer token that may create charters over the API (empty: only the CLI can)."
    )
    allowed_origins: str = _setting(
        "", "Extra origins (comma-separated) allowed to use the browser cookie, e.g. a proxy's."
    )
    max_message_bytes: int = _setting(
        1024 * 1024, "Largest websocket frame accepted; bigger frames close with 1009."
    )
    max_awareness_bytes: int = _setting(
        4096, "Largest presence (awareness) state of one client, in bytes."
    )
    outbox_frames: int = _setting(
        2048, "Frames queued for one slow connection before it is closed (4408)."
    )
    ws_deflate: bool = _setting(
        False,
        "Offer permessage-deflate compression on websockets: smaller frames on slow links, "
        "more server CPU (Yjs frames are small and compress little).",
    )
    max_document_bytes: int = _setting(
        32 * 1024 * 1024, "Refuse further edits to an article whose stored state passes this size."
    )
    warn_document_bytes: int = _setting(
        8 * 1024 * 1024, "Log a warning when an article's stored state passes this size."
    )
    max_messages_per_second: float = _setting(
        100.0, "Messages one connection may send per second (bursts of 4 s allowed); then 1013."
    )
    max_bytes_per_second: int = _setting(
        1024 * 1024, "Bytes one connection may send per second (bursts of 4 s allowed); then 1013."
    )
    max_documents_per_socket: int = _setting(
        200, "Documents one /collab socket may open; more are refused with PermissionDenied."
    )
    max_connections_per_participant: int = _setting(
        20, "Open sockets per participant (tabs, devices); more are closed with 1013."
    )
    max_anonymous_connections: int = _setting(
        200,
        "Open sockets of anonymous readers of one public charter (on this instance); more "
        "are closed with 1013 (a /collab document: PermissionDenied).",
    )
    max_anonymous_connections_total: int = _setting(
        2000, "Open sockets of anonymous readers of all charters on this instance; then 1013."
    )
    http_head_timeout_seconds: float = _setting(
        10.0,
        "Close a connection whose HTTP request head is not complete this long after it was "
        "awaited (half-open connections).",
    )
    max_connections: int = _setting(
        10000,
        "Open connections (HTTP and websockets) past which new HTTP requests get 503 "
        "(uvicorn's limit_concurrency); 0: no limit.",
    )
    compact_every: int = _setting(
        500, "Fold a document's update log into its checkpoint after this many updates."
    )
    commit_interval_ms: float = _setting(
        10.0,
        "At most one store commit per this many milliseconds while edits keep coming (an "
        'edit after a quiet spell commits at once); "saved" waits up to this much longer.',
    )
    idle_unload_seconds: float = _setting(
        30.0, "Unload a room this long after its last connection left and its updates are stored."
    )
    keepalive_seconds: float = _setting(
        20.0, "Send a no-op frame to a connection that received nothing for this long."
    )
    redis_url: str = _setting(
        "", "Redis for several instances (redis://HOST:6379/0); empty: one instance, no Redis."
    )
    redis_prefix: str = _setting(
        "charter", "Prefix of the Redis channel; instances that share it share their rooms."
    )
    auto_version_minutes: float = _setting(
        0.0, "Save an automatic version of each charter that changed, this often (0: never)."
    )
    max_comment_chars: int = _setting(
        5000, "Longest comment accepted, in characters; longer ones are refused (422)."
    )
    max_comments_per_minute: int = _setting(
        20,
        "New comments (threads and replies) one participant may post per minute; more are "
        "refused (429). Facilitators are exempt; 0: no limit. Counted by each instance.",
    )
    smtp_url: str = _setting(
        "",
        "SMTP server that sends e-mail to participants: smtp://USER:PASSWORD@HOST:587"
        "?starttls=true, or smtps://HOST:465 (TLS from the start); empty: no e-mail.",
    )
    mail_from: str = _setting(
        "", "From address of the e-mails, e.g. Charte <charte@example.org> (with SMTP)."
    )
    mail_retry_seconds: float = _setting(
        60.0,
        "Wait this long before sending again an e-mail the SMTP server refused or could not "
        "take; twice as long after each further failure, at most an hour; given up after 10.",
    )
    gc_thresholds: str = _setting(
        "20000,1,100",
        "Python's garbage collector thresholds for charter serve (gc.set_threshold), tuned "
        "for thousands of sockets; python: Python's own (700,10,10).",
    )
    switch_interval_ms: float = _setting(
        0.5,
        "How long a thread of charter serve keeps Python's interpreter lock while another "
        "waits for it (sys.setswitchinterval; Python's own: 5): the event loop waits at most "
        "about this long behind a compaction.",
    )
    seed_demo: bool = _setting(
        False, "Create the demo charter when the database has no charter yet."
    )
    log_level: str = _setting("info", "Log level: debug, info, warning, error.")
    log_format: str = _setting(
        "text", "Log lines: text (key=value) or json (one object per line, for log collectors)."
    )
    metrics: bool = _setting(
        False, "Serve Prometheus metrics at /metrics (needs CHARTER_METRICS_TOKEN)."
    )
    metrics_token: str = _setting(
        "", "Bearer token the metrics scraper sends; metrics are never public."
    )
    ready_stall_seconds: float = _setting(
        10.0,
        "/readyz fails when edits have waited this long for the database with no commit "
        "(acknowledgements stalled).",
    )

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    def with_overrides(self, **values: Any) -> Settings:
        return replace(self, **values)


def env_name(name: str) -> str:
    return f"CHARTER_{name.upper()}"


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parse(kind: Any, raw: str) -> Any:
    if kind in (bool, "bool"):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"not a boolean: {raw!r}")
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    return raw


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for f in fields(Settings):
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        if kind == "bool":
            parser.add_argument(
                flag_name(f.name),
                dest=f.name,
                default=None,
                action=argparse.BooleanOptionalAction,
                help=f.metadata["help"],
            )
        else:
            parser.add_argument(
                flag_name(f.name), dest=f.name, default=None, help=f.metadata["help"]
            )


def load(args: argparse.Namespace | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from flags (if given), then the environment, then defaults."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in fields(Settings):
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        flag_value = getattr(args, f.name, None) if args is not None else None
        if flag_value is not None:
            values[f.name] = (
                flag_value if isinstance(flag_value, bool) else _parse(kind, flag_value)
            )
        elif env_name(f.name) in env:
            try:
                values[f.name] = _parse(kind, env[env_name(f.name)])
            except ValueError as exc:
                raise SystemExit(f"{env_name(f.name)}: {exc}") from exc
        elif f.default is MISSING:
            raise SystemExit(f"missing setting {f.name}")
    return Settings(**values)

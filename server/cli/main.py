"""The ``charter`` command (also ``python -m server``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from crdt.markdown import CharterSource, MarkdownError, parse_charter
from persistence.docs import DocStore
from persistence.engine import make_engine, migrate
from persistence.people import People
from persistence.repo import CharterRecord, Conflict, NotFound, Repo
from persistence.stores import Stores
from server import logs
from server import settings as settings_mod
from server.access import Role
from server.api.validate import LANGUAGE
from server.cli import operations as cli_operations
from server.cli import versions as cli_versions
from server.domain.charters import charter_json, create_from_source
from server.domain.participation import (
    ParticipationError,
    clean_name,
    create_bot,
    create_invite,
    invite_json,
    make_identity,
)
from server.identity import Identity
from server.names import SLUG
from server.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="charter", description="Collaborative charter editor")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the server")
    settings_mod.add_arguments(serve)
    serve.set_defaults(handler=cmd_serve)

    init = commands.add_parser("init", help="create a charter")
    init.add_argument("--title", required=True)
    init.add_argument("--slug", required=True)
    init.add_argument("--language", default=None, help="language tag (default fr)")
    init.add_argument("--from-markdown", type=Path, help="'# Section' / '## Article' file")
    init.add_argument("--database-url", default=None)
    init.add_argument("--public-url", default=None)
    init.add_argument("--json", action="store_true")
    init.set_defaults(handler=cmd_init)

    export = commands.add_parser("export", help="print a charter's text, live or at a version")
    export.add_argument("slug")
    export.add_argument("--version", default=None, help="a version id (default: the live text)")
    export.add_argument("--format", choices=["md", "html", "json"], default="md")
    export.add_argument("--database-url", default=None)
    export.add_argument("--public-url", default=None)
    export.set_defaults(handler=cmd_export)

    versions = commands.add_parser("versions", help="list a charter's versions")
    versions.add_argument("slug")
    versions.add_argument("--database-url", default=None)
    versions.add_argument("--json", action="store_true")
    versions.set_defaults(handler=cmd_versions)

    version = commands.add_parser("version", help="save a version of a charter")
    version_commands = version.add_subparsers(dest="version_command", required=True)
    create = version_commands.add_parser("create", help="save the live text under a label")
    create.add_argument("slug")
    create.add_argument("--label", required=True)
    create.add_argument("--database-url", default=None)
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=cmd_version_create)

    diff = commands.add_parser("diff", help="compare two versions, or a version with live")
    diff.add_argument("slug")
    diff.add_argument("origin", metavar="FROM", help="a version id")
    diff.add_argument("target", metavar="TO", help="a version id, or live")
    diff.add_argument("--format", choices=["text", "json", "html"], default="text")
    diff.add_argument("--database-url", default=None)
    diff.add_argument("--public-url", default=None)
    diff.set_defaults(handler=cmd_diff)

    invite = commands.add_parser("invite", help="print an invitation link to a charter")
    invite.add_argument("slug")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    invite.add_argument("--label", default="")
    invite.add_argument("--expires-in-hours", type=float, default=None)
    invite.add_argument("--max-uses", type=int, default=None)
    invite.add_argument("--database-url", default=None)
    invite.add_argument("--public-url", default=None)
    invite.add_argument("--json", action="store_true")
    invite.set_defaults(handler=cmd_invite)

    token = commands.add_parser("token", help="create a participant for a script; print its token")
    token.add_argument("slug")
    token.add_argument("--name", required=True)
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--database-url", default=None)
    token.add_argument("--json", action="store_true")
    token.set_defaults(handler=cmd_token)

    check = commands.add_parser(
        "check", help="check that every stored document, version and amendment decodes"
    )
    check.add_argument("--verbose", action="store_true", help="a line per document, too")
    check.add_argument(
        "--repair",
        action="store_true",
        help="rebuild derivable data: checkpoints, unused saved states (never history)",
    )
    check.add_argument("--database-url", default=None)
    check.set_defaults(handler=cmd_check)

    backup = commands.add_parser("backup", help="copy the database, consistent while serving")
    backup.add_argument("path", type=Path, help="a new file")
    backup.add_argument("--database-url", default=None)
    backup.set_defaults(handler=cmd_backup)

    migrate_cmd = commands.add_parser("migrate", help="create or upgrade the database")
    migrate_cmd.add_argument("--database-url", default=None)
    migrate_cmd.set_defaults(handler=cmd_migrate)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return settings_mod.load(args)


@dataclass
class Tools:
    stores: Stores
    identity: Identity

    @property
    def repo(self) -> Repo:
        return self.stores.repo

    @property
    def store(self) -> DocStore:
        return self.stores.docs

    @property
    def people(self) -> People:
        return self.stores.people


def _with_repo(args: argparse.Namespace, work: Callable[[Tools], Awaitable[int]]) -> int:
    from crdt.article import fold
    from crdt.authors import clients_of
    from crdt.history import steps_of

    async def run() -> int:
        settings = _settings(args)
        engine = make_engine(settings.database_url)
        stores = Stores.over(engine, DocStore(engine, fold, clients=clients_of, history=steps_of))
        try:
            await migrate(engine)
            identity = await make_identity(stores.people, stores.reads, settings)
            return await work(Tools(stores, identity))
        finally:
            await stores.docs.close()
            await stores.reads.close()
            await engine.dispose()

    return asyncio.run(run())


def _fail(message: str) -> int:
    print(f"charter: {message}", file=sys.stderr)
    return 1


def cmd_check(args: argparse.Namespace) -> int:
    return _with_repo(args, lambda tools: cli_operations.check(tools, args))


def cmd_backup(args: argparse.Namespace) -> int:
    return cli_operations.backup(_settings(args), args.path)


def cmd_migrate(args: argparse.Namespace) -> int:
    async def work(tools: Tools) -> int:
        print("database is up to date")
        return 0

    return _with_repo(args, work)


def cmd_init(args: argparse.Namespace) -> int:
    if not SLUG.match(args.slug):
        return _fail("--slug must be lowercase letters, digits and dashes")
    source: CharterSource | None = None
    if args.from_markdown is not None:
        try:
            source = parse_charter(args.from_markdown.read_text(encoding="utf-8"))
        except (OSError, MarkdownError) as exc:
            return _fail(f"{args.from_markdown}: {exc}")
    language = args.language or (source.language if source else None) or "fr"
    if not LANGUAGE.match(language):
        return _fail("--language must be a language tag such as fr or en")

    async def work(tools: Tools) -> int:
        try:
            charter = await create_from_source(tools.repo, args.slug, args.title, language, source)
        except Conflict as exc:
            return _fail(str(exc))
        invite = await create_invite(
            tools.people,
            charter,
            Role.FACILITATOR,
            label="first facilitator",
            max_uses=1,
            expires_in_hours=7 * 24,
        )
        link = f"{_settings(args).base_url}/charters/{charter.slug}"
        facilitator = tools.identity.invite_link(invite)
        if args.json:
            data = {**charter_json(charter), "link": link, "facilitator_link": facilitator}
            print(json.dumps(data, ensure_ascii=False))
        else:
            sections, count = len(charter.sections), len(charter.articles())
            print(f"Created charter {charter.slug!r} ({sections} sections, {count} articles)")
            print(f"Charter: {link}")
            print(f"Facilitator link (single use, valid 7 days): {facilitator}")
        return 0

    return _with_repo(args, work)


async def _charter(tools: Tools, slug: str) -> CharterRecord | None:
    try:
        return await tools.repo.get_charter(slug)
    except NotFound as exc:
        _fail(str(exc))
        return None


def cmd_invite(args: argparse.Namespace) -> int:
    async def work(tools: Tools) -> int:
        charter = await _charter(tools, args.slug)
        if charter is None:
            return 1
        try:
            invite = await create_invite(
                tools.people,
                charter,
                Role(args.role),
                label=args.label,
                expires_in_hours=args.expires_in_hours,
                max_uses=args.max_uses,
            )
        except ParticipationError as exc:
            return _fail(str(exc))
        if args.json:
            print(json.dumps(invite_json(tools.identity, invite), ensure_ascii=False))
        else:
            print(tools.identity.invite_link(invite))
        return 0

    return _with_repo(args, work)


def cmd_token(args: argparse.Namespace) -> int:
    async def work(tools: Tools) -> int:
        charter = await _charter(tools, args.slug)
        if charter is None:
            return 1
        try:
            joined = await create_bot(tools.people, charter, clean_name(args.name), Role(args.role))
        except ParticipationError as exc:
            return _fail(str(exc))
        if args.json:
            print(
                json.dumps(
                    {
                        "token": joined.token,
                        "participant_id": joined.participant.id,
                        "role": joined.participant.role,
                    }
                )
            )
        else:
            print(joined.token)
        return 0

    return _with_repo(args, work)


def cmd_export(args: argparse.Namespace) -> int:
    return _with_repo(args, lambda tools: cli_versions.export(tools, args, _settings(args)))


def cmd_versions(args: argparse.Namespace) -> int:
    return _with_repo(args, lambda tools: cli_versions.list_versions(tools, args))


def cmd_version_create(args: argparse.Namespace) -> int:
    return _with_repo(args, lambda tools: cli_versions.create(tools, args))


def cmd_diff(args: argparse.Namespace) -> int:
    return _with_repo(args, lambda tools: cli_versions.diff(tools, args, _settings(args)))


def cmd_serve(args: argparse.Namespace) -> int:
    from server.app import DrainingServer, uvicorn_config
    from server.ops import collector

    settings = _settings(args)
    try:
        thresholds = collector.parse(settings.gc_thresholds)
    except ValueError as exc:
        raise SystemExit(f"CHARTER_GC_THRESHOLDS / --gc-thresholds: {exc}") from exc
    try:
        collector.set_switch_interval(settings.switch_interval_ms)
    except ValueError as exc:
        raise SystemExit(f"CHARTER_SWITCH_INTERVAL_MS / --switch-interval-ms: {exc}") from exc
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only then, and small frames must not
    # wait for the peer's delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    port = sock.getsockname()[1]
    settings = settings.with_overrides(port=port)
    config = uvicorn_config(settings)
    logs.install(settings.log_level, settings.log_format)  # after uvicorn set its loggers up
    server = DrainingServer(config)
    collector.configure(thresholds)
    server.on_started = collector.freeze_startup
    print(f"Charter server on {settings.base_url}  (port {port})", flush=True)
    server.run(sockets=[sock])
    return 0

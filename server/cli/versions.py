"""The `charter` commands about versions: versions, version create, diff, export."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from crdt.article import ArticleDoc
from persistence.repo import CharterRecord, NotFound
from server.api.validate import text_field
from server.domain.open_discussion import discussion
from server.domain.versions import comparison, save_version, version_json, version_or_404
from server.errors import DomainError
from server.pages.diff_files import diff_html, diff_text
from server.pages.exports import html, markdown, open_data, snapshot_of
from server.settings import Settings

if TYPE_CHECKING:
    from server.cli.main import Tools


def _fail(message: str) -> int:
    print(f"charter: {message}", file=sys.stderr)
    return 1


async def _charter(tools: Tools, slug: str) -> CharterRecord | None:
    try:
        return await tools.repo.get_charter(slug)
    except NotFound as exc:
        _fail(str(exc))
        return None


def _reader(tools: Tools):  # type: ignore[no-untyped-def]
    async def read(document_id: int) -> ArticleDoc:
        return ArticleDoc.from_updates(await tools.store.load(document_id))

    return read


async def list_versions(tools: Tools, args: argparse.Namespace) -> int:
    charter = await _charter(tools, args.slug)
    if charter is None:
        return 1
    found = [version_json(v) for v in await tools.stores.versions.list(charter.id)]
    if args.json:
        print(json.dumps({"versions": found}, ensure_ascii=False))
        return 0
    for v in found:
        by = v["created_by"] or "-"
        print(f"{v['id']}\t{v['created_at']}\t{v['kind']}\t{by}\t{v['label']}")
    return 0


async def create(tools: Tools, args: argparse.Namespace) -> int:
    charter = await _charter(tools, args.slug)
    if charter is None:
        return 1
    try:
        label = text_field({"label": args.label}, "label") or ""
    except DomainError as exc:
        return _fail(f"--label: {exc.message}")
    versions = tools.stores.versions
    saved = await save_version(versions, charter, _reader(tools), label, None)
    record = version_json(await versions.get(charter.id, saved))
    print(json.dumps(record, ensure_ascii=False) if args.json else f"{saved}\t{label}")
    return 0


async def diff(tools: Tools, args: argparse.Namespace, settings: Settings) -> int:
    charter = await _charter(tools, args.slug)
    if charter is None:
        return 1
    try:
        found = await comparison(
            tools.stores, charter, _reader(tools), args.origin, args.target, True
        )
    except DomainError as exc:
        return _fail(exc.message)
    if args.format == "json":
        print(json.dumps(found, ensure_ascii=False, indent=2))
    elif args.format == "html":
        sys.stdout.write(diff_html(charter, found, settings.base_url))
    else:
        sys.stdout.write(diff_text(found))
    return 0


async def export(tools: Tools, args: argparse.Namespace, settings: Settings) -> int:
    charter = await _charter(tools, args.slug)
    if charter is None:
        return 1
    versions = tools.stores.versions
    try:
        version = (
            await version_or_404(versions, charter.id, args.version, "--version")
            if args.version and args.version != "live"
            else None
        )
    except DomainError as exc:
        return _fail(exc.message)
    snap = await snapshot_of(charter, _reader(tools), version)
    if args.format == "md":
        sys.stdout.write(markdown(snap))
    elif args.format == "html":
        sys.stdout.write(html(snap, settings.base_url))
    else:
        talk = None
        if charter.open_data_discussion:
            talk = await discussion(tools.stores, charter)
        data = open_data(snap, await versions.list(charter.id), settings.base_url, talk)
        print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0

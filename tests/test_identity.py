"""Identity: invitations (expiry, uses, revocation), the join page in French and English,
names shown as text, browsers recognised by their cookie across restarts, secrets kept out
of the logs, and the `charter` commands that hand out links and tokens."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from crdt.awareness import decode_entries
from persistence.tables import invites
from server.access import Role
from server.domain.demo import DEMO_SLUG
from server.domain.participation import create_invite
from server.identity import COOKIE
from server.settings import Settings
from tests.databases import scalar
from tests.support import (
    ADMIN_TOKEN,
    ROOT,
    RunningServer,
    ServerProcess,
    running_server,
    wait_for,
)
from tests.wire_client import TLS, Wire, api, auth_frame, bearer, parse_collab, presence

ME = f"/api/charters/{DEMO_SLUG}/me"
KEY_QUERY = "SELECT value FROM server_keys WHERE name = 'cookie_key'"


async def new_invite(server: RunningServer, facilitator: str, **body: Any) -> dict[str, Any]:
    async with api(server, facilitator) as http:
        made = await http.post(f"/api/charters/{DEMO_SLUG}/invites", json=body)
    assert made.status_code == 201, made.text
    invite: dict[str, Any] = made.json()
    invite["path"] = invite["link"].removeprefix(server.base_url)
    return invite


async def join(server: RunningServer, path: str, name: str) -> httpx.Response:
    """A new browser joins with the JSON form of the join page."""
    async with api(server) as browser:
        return await browser.post(path, json={"name": name})


def error(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"])


async def test_invitations_run_out_expire_and_can_be_revoked(
    server: RunningServer, facilitator: str
) -> None:
    limited = await new_invite(server, facilitator, role="commenter", max_uses=2)
    for name in ("Un", "Deux"):
        joined = await join(server, limited["path"], name)
        assert joined.status_code == 201 and joined.json()["role"] == "commenter"
    third = await join(server, limited["path"], "Trois")
    assert third.status_code == 422 and error(third) == "this invitation has been used up"

    revocable = await new_invite(server, facilitator, role="editor", label="Atelier")
    stays = await join(server, revocable["path"], "Reste")
    assert stays.status_code == 201
    async with api(server, facilitator) as http:
        revoked = await http.delete(f"/api/charters/{DEMO_SLUG}/invites/{revocable['id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked"] is True
        listed = {
            i["id"]: i
            for i in (await http.get(f"/api/charters/{DEMO_SLUG}/invites")).json()["invites"]
        }
        assert listed[limited["id"]]["uses"] == 2 and listed[revocable["id"]]["revoked"] is True
        # The API hands out only invitations that can be used.
        for body, field in (
            ({"role": "editor", "expires_in_hours": 0}, "expires_in_hours"),
            ({"role": "editor", "max_uses": 0}, "max_uses"),
            ({"role": "owner"}, "role"),
        ):
            bad = await http.post(f"/api/charters/{DEMO_SLUG}/invites", json=body)
            assert bad.status_code == 422 and bad.json()["error"]["field"] == field
    late = await join(server, revocable["path"], "Trop tard")
    assert late.status_code == 422 and error(late) == "this invitation has been revoked"
    async with api(server) as http:  # who joined stays in
        me = await http.get(ME, headers=bearer(stays.json()["token"]))
    assert me.status_code == 200 and me.json()["name"] == "Reste"

    # One that expired a second ago: made for an hour, then its end moved into the past.
    services = server.services
    charter = await services.repo.get_charter(DEMO_SLUG)
    expired = await create_invite(services.people, charter, Role.EDITOR, expires_in_hours=1)
    async with services.engine.begin() as conn:
        past = datetime.now(UTC) - timedelta(seconds=1)
        await conn.execute(
            update(invites).where(invites.c.id == expired.id).values(expires_at=past)
        )
    path = services.identity.invite_link(expired).removeprefix(server.base_url)
    too_old = await join(server, path, "Retard")
    assert too_old.status_code == 422 and error(too_old) == "this invitation has expired"
    fresh = await new_invite(server, facilitator, role="reader", expires_in_hours=1)
    ends = datetime.fromisoformat(fresh["expires_at"])
    assert timedelta(minutes=59) < ends - datetime.now(UTC) <= timedelta(hours=1)
    assert (await join(server, fresh["path"], "À l'heure")).status_code == 201

    # A link whose secret is wrong is no invitation.
    invite_id = fresh["path"].split("/")[-1].split(".")[0]
    forged = f"/join/{invite_id}.{secrets.token_urlsafe(18)}"
    async with api(server) as browser:
        assert (await browser.post(forged, json={"name": "Faux"})).status_code == 404
        assert (await browser.get(forged)).status_code == 404


async def test_concurrent_joins_never_exceed_max_uses(
    server: RunningServer, facilitator: str
) -> None:
    invite = await new_invite(server, facilitator, role="editor", max_uses=3)
    answers = await asyncio.gather(*(join(server, invite["path"], f"P{i}") for i in range(10)))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [422] * 7
    async with api(server, facilitator) as http:
        people = (await http.get(f"/api/charters/{DEMO_SLUG}/participants")).json()
    joined = {p["name"] for p in people["participants"] if p["name"].startswith("P")}
    assert joined == {f"P{i}" for i, a in enumerate(answers) if a.status_code == 201}


async def test_join_page_speaks_french_unless_asked_otherwise(
    server: RunningServer, facilitator: str
) -> None:
    path = (await new_invite(server, facilitator, role="editor"))["path"]
    async with api(server) as browser:
        french = await browser.get(path)
        assert french.status_code == 200
        assert '<html lang="fr">' in french.text and "Rejoindre" in french.text
        assert "rédacteur·rice" in french.text
        for header, lang in (
            ("en-GB,en;q=0.9", "en"),
            ("de-DE, en;q=0.5", "en"),
            ("en;q=0.3, fr;q=0.8", "fr"),
            ("de", "fr"),
        ):
            page = await browser.get(path, headers={"accept-language": header})
            assert f'<html lang="{lang}">' in page.text, header
        english = await browser.get(path, headers={"accept-language": "en"})
        assert "Join" in english.text and "You are invited as editor" in english.text

        switched = await browser.get("/lang/en", params={"next": path})
        assert switched.status_code == 303 and switched.headers["location"] == path
        remembered = await browser.get(path)  # no Accept-Language: the switch is remembered
        assert '<html lang="en">' in remembered.text
        await browser.get("/lang/fr")
        back = await browser.get(path, headers={"accept-language": "en"})  # the switch wins
        assert '<html lang="fr">' in back.text
        for target in ("//evil.example/x", "https://evil.example", "javascript:alert(1)"):
            away = await browser.get("/lang/en", params={"next": target})
            assert away.headers["location"] == "/", target


async def test_a_name_with_markup_is_kept_and_shown_as_text(
    server: RunningServer, facilitator: str
) -> None:
    name = '<script>alert("x")</script> & <b>Awa</b>'
    path = (await new_invite(server, facilitator, role="editor"))["path"]
    async with api(server) as browser:
        joined = await browser.post(path, json={"name": name})
        assert joined.status_code == 201
        token = joined.json()["token"]
        me = (await browser.get(ME)).json()
        assert me["name"] == name and me["via"] == "cookie"
        page = await browser.get(path)  # "you already take part as …"
        assert "&lt;script&gt;alert(" in page.text and "&lt;b&gt;Awa&lt;/b&gt;" in page.text
        assert "<script>alert" not in page.text and "<b>Awa" not in page.text
        for bad in ("", "   ", "x" * 65, "Awa\u202e", "A\x07wa", 42):
            refused = await browser.post(path, json={"name": bad})
            assert refused.status_code == 422 and refused.json()["error"]["field"] == "name"
    async with api(server, facilitator) as http:
        people = (await http.get(f"/api/charters/{DEMO_SLUG}/participants")).json()
    assert name in {p["name"] for p in people["participants"]}
    # Presence carries the stored name (JSON), whatever the client claims.
    async with api(server, ADMIN_TOKEN) as http:
        charter = (await http.get(f"/api/charters/{DEMO_SLUG}")).json()
    doc = charter["sections"][0]["articles"][0]["document"]
    watcher = await Wire.open(server.ws_url, "yws", doc, ADMIN_TOKEN)
    wire = await Wire.open(server.ws_url, "yws", doc, token)
    try:
        await watcher.admitted(ADMIN_TOKEN)
        await wire.admitted(token)
        mark = watcher.mark()
        await wire.send(presence(4242, {"user": {"name": "Quelqu'un d'autre"}}))
        seen = await watcher.wait(lambda f: f.kind == "awareness", mark)
        [entry] = decode_entries(seen.data, 4096)
        assert json.loads(entry.state)["user"]["name"] == name
    finally:
        await wire.close()
        await watcher.close()


async def test_a_browser_that_joined_comes_back_as_the_same_participant(
    server: RunningServer, facilitator: str
) -> None:
    path = (await new_invite(server, facilitator, role="editor"))["path"]
    async with api(server, ADMIN_TOKEN) as admin:
        other = await admin.post("/api/charters", json={"slug": "autre", "title": "Autre charte"})
    other_path = other.json()["facilitator_invite"]["link"].removeprefix(server.base_url)
    async with api(server) as browser:
        joined = await browser.post(path, data={"name": "Awa", "badge": "citizen"})
        assert joined.status_code == 303
        assert joined.headers["location"] == f"/charters/{DEMO_SLUG}"
        cookie = joined.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=" in cookie
        first = (await browser.get(ME)).json()
        assert (first["name"], first["badge"], first["role"], first["via"]) == (
            "Awa",
            "citizen",
            "editor",
            "cookie",
        )
        again = await browser.get(path)
        assert "Vous participez déjà à cette charte sous le nom Awa" in again.text
        # The same browser joins a second charter: both are remembered.
        assert (await browser.post(other_path, data={"name": "Awa B."})).status_code == 303
        assert (await browser.get(ME)).json() == first
        there = (await browser.get("/api/charters/autre/me")).json()
        assert there["role"] == "facilitator" and there["participant_id"] != first["participant_id"]
        listed = {c["slug"] for c in (await browser.get("/api/charters")).json()["charters"]}
        assert listed == {DEMO_SLUG, "autre"}
    async with api(server) as stranger:
        assert (await stranger.get(ME)).status_code == 401
    tampered = {COOKIE: browser.cookies[COOKIE][:-2] + "xx"}
    async with api(server, cookies=tampered) as forger:
        assert (await forger.get(ME)).status_code == 401


# ---------------------------------------------------------------------------------------
# Real processes: `charter init/invite/token`, restarts, logs.
# ---------------------------------------------------------------------------------------


async def charter(*args: str) -> subprocess.CompletedProcess[str]:
    """The `charter` command as a real process (without CHARTER_SECRET_KEY: the key is the
    one kept in the database, as the server's)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        *args,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "CHARTER_SECRET_KEY"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return subprocess.CompletedProcess(args, proc.returncode or 0, out.decode(), err.decode())


def path_of(link: str) -> str:
    match = re.search(r"(/join/[^\s\"]+)", link)
    assert match, link
    return match[1]


async def test_cli_hands_out_links_and_tokens_that_work(database_url: str) -> None:
    url = database_url
    created = await charter(
        "init", "--title", "Charte du quartier", "--slug", "quartier", "--database-url", url
    )
    assert created.returncode == 0, created.stderr
    line = next(x for x in created.stdout.splitlines() if x.startswith("Facilitator link"))
    assert "(single use, valid 7 days): http://127.0.0.1:8000/join/" in line
    invited, public, bot, absent = await asyncio.gather(
        charter("invite", "quartier", "--role", "editor", "--json", "--database-url", url),
        charter(
            "invite", "quartier", "--role", "commenter", "--max-uses", "5",
            "--expires-in-hours", "2", "--public-url", "https://charte.example.org/",
            "--json", "--database-url", url,
        ),
        charter(
            "token", "quartier", "--name", "Robot", "--role", "reader", "--json",
            "--database-url", url,
        ),
        charter("invite", "absent", "--role", "editor", "--database-url", url),
    )  # fmt: skip
    for done in (invited, public, bot):
        assert done.returncode == 0, done.stderr
    invite = json.loads(invited.stdout)
    assert (invite["role"], invite["uses"], invite["max_uses"], invite["revoked"]) == (
        "editor",
        0,
        None,
        False,
    )
    shared = json.loads(public.stdout)
    assert shared["link"].startswith("https://charte.example.org/join/")
    assert shared["max_uses"] == 5 and shared["expires_at"] is not None
    robot = json.loads(bot.stdout)
    assert robot["role"] == "reader" and robot["token"].startswith(f"{robot['participant_id']}.")
    assert absent.returncode == 1 and "no charter" in absent.stderr

    # A server on that database honours them.
    async with running_server(Settings(database_url=url)) as server, api(server) as http:
        first = await http.post(path_of(line), json={"name": "Première animatrice"})
        assert first.status_code == 201 and first.json()["role"] == "facilitator"
        twice = await http.post(path_of(line), json={"name": "Seconde"})
        assert twice.status_code == 422  # single use
        editor = await http.post(path_of(invite["link"]), json={"name": "Rédactrice"})
        assert editor.status_code == 201 and editor.json()["role"] == "editor"
        commenter = await http.post(path_of(shared["link"]), json={"name": "Commentatrice"})
        assert commenter.status_code == 201 and commenter.json()["role"] == "commenter"
        me = (await http.get("/api/charters/quartier/me", headers=bearer(robot["token"]))).json()
        assert (me["name"], me["role"], me["via"]) == ("Robot", "reader", "token")


async def test_the_cookie_survives_a_restart_without_a_configured_key(database_url: str) -> None:
    """No secret key configured: the server makes one on a new database and keeps it there,
    so a restarted server (a new app on the same database) knows its browsers."""
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN)
    assert settings.secret_key == ""
    async with running_server(settings) as server, api(server) as browser:
        made = await browser.post(
            "/api/charters", json={"slug": "essai", "title": "T"}, headers=bearer(ADMIN_TOKEN)
        )
        link = made.json()["facilitator_invite"]["link"]
        assert (await browser.post(path_of(link), json={"name": "Awa"})).status_code == 201
        before = (await browser.get("/api/charters/essai/me")).json()
        cookie = browser.cookies[COOKIE]
    assert before["via"] == "cookie" and before["role"] == "facilitator"
    async with running_server(settings) as server, api(server, cookies={COOKIE: cookie}) as again:
        after = await again.get("/api/charters/essai/me")
    assert after.status_code == 200 and after.json() == before


def test_tokens_and_secrets_never_reach_the_logs(tmp_path: Path, empty_database_url: str) -> None:
    """A server at --log-level debug, on a new database (it migrates it, makes its cookie key);
    tokens in URLs, Auth messages, bearer headers, cookies, invitation links, a forged
    token: none of them, nor the key, may appear in what the process writes."""
    log = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "CHARTER_SECRET_KEY"}
    env |= {"CHARTER_ADMIN_TOKEN": ADMIN_TOKEN, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "server", "serve", "--port", "0"]
    command += ["--database-url", empty_database_url, "--log-level", "debug"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    forged = f"1.{secrets.token_urlsafe(24)}"
    try:
        base = f"http://127.0.0.1:{wait_for_port(proc, log)}"
        ws = base.replace("http", "ws", 1)
        admin = bearer(ADMIN_TOKEN)
        with httpx.Client(verify=TLS, base_url=base) as http:
            made = http.post("/api/charters", json={"slug": "journal", "title": "J"}, headers=admin)
            invite_link = made.json()["facilitator_invite"]["link"]
            section = http.post(
                "/api/charters/journal/sections", json={"title": "S"}, headers=admin
            )
            article = http.post(
                f"/api/charters/journal/sections/{section.json()['id']}/articles",
                json={"title": "A", "markdown": "Texte."},
                headers=admin,
            )
            doc = article.json()["document"]
            joined = http.post(path_of(invite_link), json={"name": "Awa"})
            token = joined.json()["token"]
            cookie = http.cookies[COOKIE]
            assert http.get("/api/charters/journal/me", headers=bearer(token)).status_code == 200
            assert http.get("/api/charters/journal/me").json()["via"] == "cookie"
            assert http.get("/api/charters/journal/me", headers=bearer(forged)).status_code == 401
            # the join page of the single-use link, now used: it says so (with the link in the URL)
            assert http.get(path_of(invite_link)).status_code == 410
        with connect(f"{ws}/ws/{doc}?token={token}") as socket:
            assert socket.recv(timeout=5)
        # The parameter's name as the application decodes it: each of these authenticates,
        # and each is redacted by its decoded name.
        for query in ("%74oken", "to%6Ben", "%74%6F%6B%65%6E", "lang=fr&%74oken"):
            with connect(f"{ws}/ws/{doc}?{query}={token}") as socket:
                assert socket.recv(timeout=5), query
        for query in ("TOKEN", "%54OKEN", "%2574oken"):  # not read, and not logged either
            with connect(f"{ws}/ws/{doc}?{query}={token}") as socket:
                with pytest.raises(ConnectionClosed) as anonymous:
                    socket.recv(timeout=5)
                assert anonymous.value.rcvd is not None and anonymous.value.rcvd.code == 4401
        with httpx.Client(verify=TLS, base_url=base) as http:
            spelled = path_of(invite_link).replace("/join/", "/j%6Fin/")
            assert http.get(spelled).status_code == 410  # the same page, the link used
        with connect(f"{ws}/ws/{doc}?token={forged}") as socket:
            with pytest.raises(ConnectionClosed) as refused:
                socket.recv(timeout=5)
            assert refused.value.rcvd is not None and refused.value.rcvd.code == 4401
        with connect(
            f"{ws}/ws/{doc}", origin=base, additional_headers={"Cookie": f"{COOKIE}={cookie}"}
        ) as socket:
            assert socket.recv(timeout=5)
        with connect(f"{ws}/collab") as socket:
            socket.send(auth_frame(doc, token))
            answer = socket.recv(timeout=5)
            assert isinstance(answer, bytes) and parse_collab(answer).kind == "authenticated"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    output = log.read_text(encoding="utf-8", errors="replace")
    key = str(asyncio.run(scalar(empty_database_url, KEY_QUERY)))
    assert " DEBUG " in output and "token=[redacted]" in output  # it did log, and redacted
    kept_secret = {
        "participant token": token,
        "participant secret": token.split(".", 1)[1],
        "invitation secret": path_of(invite_link).split(".", 1)[1],
        "session cookie": cookie,
        "administrator token": ADMIN_TOKEN,
        "forged token": forged.split(".", 1)[1],
        "cookie signing key": key,
    }
    leaked = {what: _line_with(output, s) for what, s in kept_secret.items() if s in output}
    assert not leaked, "secrets in the server's output:\n" + "\n".join(
        f"{what}: {line}" for what, line in leaked.items()
    )


def _line_with(output: str, secret: str) -> str:
    line = next(x for x in output.splitlines() if secret in x)
    return line.replace(secret, "<SECRET>")[:300]


def wait_for_port(proc: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> int:
    """The port `charter serve` printed, once it answers /healthz."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
        assert time.monotonic() < deadline, "the server did not start"
        match = re.search(r"\(port (\d+)\)", log.read_text(errors="replace"))
        if match:
            try:
                if httpx.get(f"http://127.0.0.1:{match[1]}/healthz").status_code == 200:
                    return int(match[1])
            except httpx.HTTPError:
                pass
        time.sleep(0.05)


async def test_only_the_first_start_mints_and_prints_a_facilitator_link(tmp_path: Path) -> None:
    """Every start with the demo seeding on used to mint a 24-hour facilitator invitation
    for every charter and print it (a link copied from a service's output took over another
    charter). Now only the start that creates the demo charter prints its one link."""
    url = f"sqlite:///{tmp_path / 'charter.db'}"
    first = ServerProcess(url, ("CHARTER_SEED_DEMO", "true"))
    first.start()
    try:
        await wait_for(lambda: any("facilitator link" in line for line in first.output))
        links = [line for line in first.output if "/join/" in line]
        assert len(links) == 1 and "single use, 24 h" in links[0]
        admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(base_url=first.base_url, headers=admin) as http:
            made = await http.post("/api/charters", json={"slug": "autre", "title": "Autre"})
            assert made.status_code == 201, made.text
    finally:
        first.stop()
    invites = await scalar(url, "SELECT COUNT(*) FROM invites")
    second = ServerProcess(url, ("CHARTER_SEED_DEMO", "true"))
    second.start()
    try:
        await wait_for(lambda: any("charter invite" in line for line in second.output))
    finally:
        second.stop()
    assert not any("/join/" in line for line in second.output), second.output
    assert await scalar(url, "SELECT COUNT(*) FROM invites") == invites

"""The world of the permission matrices: one server, a private charter and a public one, a
principal of every kind (module-scoped: each cell creates what it changes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from server.access import Role
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.databases import BACKENDS, fresh_database
from tests.support import (
    ADMIN_TOKEN,
    RunningServer,
    make_token,
    running_server,
)
from tests.wire_client import (
    WS_ENDPOINTS,
    Wire,
    api,
    bearer,
    no_nagle,
    participant_id,
    snapshot,
)

# ---------------------------------------------------------------------------------------
# The world of the matrices: one server, a private charter and a public one, a principal
# of every kind. Module-scoped: each cell creates what it changes, so cells stay apart.
# ---------------------------------------------------------------------------------------

PRINCIPALS = (
    "admin",  # the server's administrator token
    "facilitator",
    "editor",
    "commenter",
    "reader",
    "nobody",  # no credentials, private charter
    "public",  # no credentials, public charter
    "other",  # facilitator of ANOTHER charter
    "blocked",  # an editor a facilitator has blocked
)
PRINCIPAL_ROLE: dict[str, Role | None] = {
    "admin": None,
    "facilitator": Role.FACILITATOR,
    "editor": Role.EDITOR,
    "commenter": Role.COMMENTER,
    "reader": Role.READER,
    "nobody": None,
    "public": Role.READER,
    "other": Role.FACILITATOR,
    "blocked": Role.EDITOR,
}
OPEN_SLUG = "charte-ouverte"


@dataclass
class Target:
    slug: str
    section_id: int
    key: str
    document: str
    spare_document: str  # an article no test opens: refused sockets must not load it


@dataclass
class World:
    server: RunningServer
    demo: Target
    open: Target
    tokens: dict[str, str | None]
    names: dict[str, str]
    http: httpx.AsyncClient
    watching: dict[str, list[Wire]] = field(default_factory=dict)

    async def observers(self, document: str) -> list[Wire]:
        """An administrator on each endpoint, kept open on ``document`` for every cell."""
        kept = self.watching.get(document, [])
        if len(kept) != len(WS_ENDPOINTS) or any(w.closed.is_set() for w in kept):
            kept = []
            for kind in WS_ENDPOINTS:
                observer = await Wire.open(self.server.ws_url, kind, document, ADMIN_TOKEN)
                await observer.admitted(ADMIN_TOKEN)
                kept.append(observer)
            self.watching[document] = kept
        return kept

    async def close(self) -> None:
        for wire in (w for kept in self.watching.values() for w in kept):
            await wire.close()

    def target(self, who: str) -> Target:
        return self.open if who == "public" else self.demo

    async def snapshot(self) -> dict[str, Any]:
        """The database (what the projectors show included)."""
        return await snapshot(self.server)

    async def call(
        self, who: str, method: str, path: str, body: Any = None, params: Any = None
    ) -> httpx.Response:
        return await self.http.request(
            method, path, json=body, params=params, headers=bearer(self.tokens[who])
        )

    async def text(self, document: str) -> str:
        """The server's live text of a document (``server_text`` on a kept connection)."""
        _, slug, _, key = document.split("/")
        response = await self.admin("GET", f"/api/charters/{slug}/articles/{key}?format=text")
        return response.text

    async def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        response = await self.call("admin", method, path, body)
        assert response.status_code < 300, response.text
        return response


async def _target(http: httpx.AsyncClient, slug: str) -> Target:
    charter = (await http.get(f"/api/charters/{slug}", headers=bearer(ADMIN_TOKEN))).json()
    articles = [a for s in charter["sections"] for a in s["articles"]]
    return Target(
        slug,
        charter["sections"][0]["id"],
        articles[0]["id"],
        articles[0]["document"],
        articles[-1]["document"],
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    async with fresh_database(request.param, tmp_path_factory.mktemp("matrix")) as url:
        settings = Settings(database_url=url, seed_demo=True, admin_token=ADMIN_TOKEN)
        async with (
            running_server(settings) as server,
            api(server) as http,
        ):
            no_nagle(server)
            world = await _world(server, http)
            yield world
            await world.close()


async def _world(server: RunningServer, http: httpx.AsyncClient) -> World:
    admin = bearer(ADMIN_TOKEN)
    created = await http.post(
        "/api/charters", json={"slug": OPEN_SLUG, "title": "Charte ouverte"}, headers=admin
    )
    assert created.status_code == 201, created.text
    for title in ("Accès libre", "Réutilisation"):
        section = await http.post(
            f"/api/charters/{OPEN_SLUG}/sections", json={"title": title}, headers=admin
        )
        article = await http.post(
            f"/api/charters/{OPEN_SLUG}/sections/{section.json()['id']}/articles",
            json={"title": title, "markdown": f"Tout le monde peut lire : {title}."},
            headers=admin,
        )
        assert article.status_code == 201, article.text
    opened = await http.patch(
        f"/api/charters/{OPEN_SLUG}/settings", json={"public_read": True}, headers=admin
    )
    assert opened.status_code == 200
    names = {
        "admin": "admin",
        "facilitator": "Fatou Animatrice",
        "editor": "Élise Rédactrice",
        "commenter": "Camille Commente",
        "reader": "Rémi Lecteur",
        "nobody": "",
        "public": "",
        "other": "Otto d'Ailleurs",
        "blocked": "Blaise Bloqué",
    }
    tokens: dict[str, str | None] = {"admin": ADMIN_TOKEN, "nobody": None, "public": None}
    for who in ("facilitator", "editor", "commenter", "reader", "blocked"):
        role = PRINCIPAL_ROLE[who]
        assert role is not None
        tokens[who] = await make_token(server, role.value, names[who])
    tokens["other"] = await make_token(server, "facilitator", names["other"], OPEN_SLUG)
    blocked = tokens["blocked"]
    assert blocked is not None
    response = await http.patch(
        f"/api/charters/{DEMO_SLUG}/participants/{participant_id(blocked)}",
        json={"blocked": True},
        headers=admin,
    )
    assert response.status_code == 200 and response.json()["blocked"] is True
    return World(
        server,
        await _target(http, DEMO_SLUG),
        await _target(http, OPEN_SLUG),
        tokens,
        names,
        http,
    )

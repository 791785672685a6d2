"""Bundles of amendments: which open amendments of an article may be applied together
(crdt/bundles.py, pure, table-tested), then over the real server: the proposed sets and
alternatives, a preview, and accepting a set as one step."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crdt.amendments import fork_of, own_changes
from crdt.article import ArticleDoc, update_from_ops
from crdt.bundles import LIVE as LIVE_SIDE
from crdt.bundles import (
    bundle_update,
    compatible,
    compatible_sets,
    merged,
    overlaps,
    side,
)
from crdt.versions import forward_edit
from tests.databases import scalar
from tests.support import PyClient, RunningServer, make_token, until_server_has
from tests.test_amendments import API, api, edit_fork, new_article, propose, replace

LIVE = "La ville publie ses données. Chaque habitant peut proposer une idée. Les élus répondent."


@pytest.mark.parametrize(
    ("one", "other", "expected"),
    [
        # different words: compatible
        (("ses données", "ses données ouvertes"), ("Les élus", "Les élues"), True),
        # the same word rewritten twice
        (("une idée", "une initiative"), ("une idée", "un projet"), False),
        # an insertion right against the other's rewrite
        (("ses données", "ses chiffres"), ("données.", "données ouvertes."), False),
        # two insertions at the same place
        (("idée.", "idée utile."), ("idée.", "idée claire."), False),
        # accents and emoji, apart: compatible
        (("élus", "élus 🎉"), ("publie", "publie vite"), True),
        # accents and emoji on the same word
        (("élus", "élus 🎉"), ("élus", "élu·es"), False),
        # a deletion around the other's word
        (("Chaque habitant peut", "Chacun peut"), ("habitant", "habitante"), False),
        # neighbours with a word between them
        (("La ville", "La métropole"), ("ses données", "ses dépenses"), True),
    ],
)
def test_compatibility_table(one: tuple[str, str], other: tuple[str, str], expected: bool) -> None:
    a, b = LIVE.replace(*one), LIVE.replace(*other)
    assert compatible(LIVE, a, b) is expected
    assert compatible(LIVE, b, a) is expected
    assert (overlaps(LIVE, [a, b]) == []) is expected


def test_an_overlap_lists_what_each_amendment_makes_of_the_words() -> None:
    a = LIVE.replace("une idée", "une initiative 💡")
    b = LIVE.replace("une idée", "un projet")
    c = LIVE.replace("Les élus", "Les élues")
    [found] = overlaps(LIVE, [a, b, c])
    assert found.base == "une idée"
    assert found.versions == ((0, "une initiative 💡"), (1, "un projet"))


def test_the_maximal_compatible_sets() -> None:
    # 0 clashes with 1; 2 goes with everyone; 3 clashes with 2... no: 3 clashes with 0
    clashes = {frozenset((0, 1)), frozenset((0, 3))}
    assert compatible_sets(4, clashes) == [(1, 2, 3), (0, 2)]
    assert compatible_sets(3, set()) == [(0, 1, 2)]
    assert compatible_sets(0, set()) == [()]


def test_the_search_is_capped() -> None:
    everyone_clashes = {frozenset((i, j)) for i in range(40) for j in range(i + 1, 40)}
    found = compatible_sets(40, everyone_clashes)
    assert 0 < len(found) <= 64 and all(len(s) == 1 for s in found)


def _article(text: str) -> ArticleDoc:
    return ArticleDoc.from_updates([update_from_ops([(text, None)])])


def _fork(live: ArticleDoc, old: str, new: str) -> bytes:
    start = fork_of(live)
    doc = ArticleDoc.from_updates([start.state])
    update = forward_edit(
        ArticleDoc.from_updates([doc.full_update()]), [(doc.text().replace(old, new), None)]
    )
    assert update is not None
    doc.apply(update)
    return own_changes(doc, start.base_state_vector)


def test_a_bundle_applies_every_change_and_the_chosen_words_where_they_overlap() -> None:
    live = _article(LIVE)
    one = _fork(live, "une idée", "une initiative 💡")
    two = _fork(live, "une idée", "un projet")
    three = _fork(live, "Les élus", "Les élues")
    glued = merged(live.full_update(), [one, two]).text()  # the CRDT alone glues them
    assert "💡" in glued and "projet" not in glued.split()
    seen = []

    def choose(found: list) -> list[str | None]:  # type: ignore[type-arg]
        seen.extend(found)
        return ["un projet 💡"]

    live.apply(bundle_update(live, [one, two, three], choose))
    assert live.text() == LIVE.replace("une idée", "un projet 💡").replace("élus", "élues")
    assert [o.base for o in seen] == ["une idée"]


def test_both_keeps_the_merge_and_a_compatible_bundle_asks_nothing() -> None:
    live = _article(LIVE)
    one = _fork(live, "ses données", "ses données ouvertes")
    two = _fork(live, "élus", "élu·es 🎉")

    def never(found: list) -> list[str | None]:  # type: ignore[type-arg]
        raise AssertionError(found)

    live.apply(bundle_update(live, [one, two], never))
    assert live.text() == LIVE.replace("données", "données ouvertes").replace("élus", "élu·es 🎉")


# -- over the real server, on both databases --

BUNDLE_TEXT = (
    "La ville publie ses données. "
    "Chaque habitant peut proposer une idée. "
    "Les élus répondent sous un mois."
)


async def _three(
    server: RunningServer, boss: httpx.AsyncClient, citizen: str
) -> tuple[dict[str, Any], list[int]]:
    """An article and three open amendments: two rewrite « une idée », one « Les élus »."""
    article = await new_article(boss, BUNDLE_TEXT)
    async with api(server, citizen) as her:
        made = [await propose(her, article, t) for t in ("Initiative", "Projet", "Élues")]
    await edit_fork(server, citizen, made[0], "une idée", "une initiative 💡")
    await edit_fork(server, citizen, made[1], "une idée", "un projet")
    await edit_fork(server, citizen, made[2], "Les élus", "Les élues")
    return article, [m["id"] for m in made]


async def test_the_compatible_sets_alternatives_and_a_preview(
    server: RunningServer, facilitator: str
) -> None:
    citizen = await make_token(server, "commenter", "Citoyenne")
    async with api(server, facilitator) as boss:
        article, (one, two, three) = await _three(server, boss, citizen)
        url = f"{API}/articles/{article['id']}/bundles"
        async with api(server, citizen) as her:  # anyone who reads sees them
            found = (await her.get(url)).json()
            assert found["sets"] == [[one, three], [two, three]]
            [alternative] = found["alternatives"]
            assert alternative["amendments"] == [one, two]
            assert alternative["overlaps"] == [
                {"base": "une idée", "texts": ["une initiative 💡", "un projet"]}
            ]
            seen = (await her.get(f"{url}/preview?amendments={one},{three}")).json()
        assert seen["compatible"] is True and seen["overlaps"] == []
        inserted = " ".join(h["text"] for h in seen["preview"] if h["kind"] == "insert")
        assert "initiative 💡" in inserted and "élues" in inserted
        clash = (await boss.get(f"{url}/preview?amendments={one},{two}")).json()
        assert clash["compatible"] is False
        assert [v["amendment"] for v in clash["overlaps"][0]["versions"]] == [one, two]
        bad = await boss.get(f"{url}/preview?amendments={one},99999")
        assert bad.status_code == 409
        assert (await boss.get(f"{url}/preview?amendments=x")).status_code == 422


async def test_a_set_is_accepted_as_one_step_and_live_edits_are_kept(
    server: RunningServer, facilitator: str, editor: str, database_url: str
) -> None:
    citizen = await make_token(server, "commenter", "Citoyenne")
    async with api(server, facilitator) as boss:
        article, (one, _, three) = await _three(server, boss, citizen)
        url = f"{API}/articles/{article['id']}/bundles/accept"
        versions = await scalar(database_url, "SELECT count(*) FROM versions")
        async with PyClient(server.ws_url, article["document"], editor) as live:
            await live.wait_text(lambda t: "ses données" in t)
            replace(live, "ses données", "toutes ses données")  # edited live meanwhile
            await until_server_has(server.base_url, article["document"], lambda t: "toutes" in t)
            async with api(server, editor) as ed:
                refused = await ed.post(url, json={"amendments": [one, three]})
            assert refused.status_code == 403
            done = await boss.post(url, json={"amendments": [one, three], "reason": "atelier"})
            assert done.status_code == 200, done.text
            final = (
                "La ville publie toutes ses données. "
                "Chaque habitant peut proposer une initiative 💡. "
                "Les élues répondent sous un mois."
            )
            await live.wait_text(lambda t: t.strip() == final)
        decided = done.json()["amendments"]
        assert [a["status"] for a in decided] == ["accepted", "accepted"]
        assert len({(a["version_before"], a["version_after"]) for a in decided}) == 1
        assert await scalar(database_url, "SELECT count(*) FROM versions") == versions + 2
        before = (await boss.get(f"{API}/versions/{decided[0]['version_before']}")).json()
        text_of = lambda v: next(a["text"] for a in v["articles"] if a["id"] == article["id"])  # noqa: E731
        assert "une idée" in text_of(before) and "toutes" in text_of(before)
        # a second accept changes nothing
        again = await boss.post(url, json={"amendments": [one, three]})
        assert again.status_code == 409
        assert await scalar(database_url, "SELECT count(*) FROM versions") == versions + 2
        text = await until_server_has(server.base_url, article["document"], lambda t: "💡" in t)
        assert text.strip() == final


async def test_an_overlap_is_refused_without_a_choice_and_merged_with_one(
    server: RunningServer, facilitator: str, database_url: str
) -> None:
    citizen = await make_token(server, "commenter", "Citoyenne")
    async with api(server, facilitator) as boss:
        article, (one, two, three) = await _three(server, boss, citizen)
        url = f"{API}/articles/{article['id']}/bundles/accept"
        everyone = {"amendments": [one, two, three]}
        refused = await boss.post(url, json=everyone)
        assert refused.status_code == 409 and "same words" in refused.json()["error"]["message"]
        assert await scalar(database_url, "SELECT count(*) FROM versions") == 0
        assert (
            await scalar(database_url, "SELECT count(*) FROM amendments WHERE status = 'open'") == 3
        )
        outsider = {**everyone, "resolutions": [{"choose": "amendment", "amendment": three}]}
        assert (await boss.post(url, json=outsider)).status_code == 422
        chosen = {**everyone, "resolutions": [{"choose": "amendment", "amendment": two}]}
        done = await boss.post(url, json=chosen)
        assert done.status_code == 200, done.text
        text = await until_server_has(server.base_url, article["document"], lambda t: "projet" in t)
        assert text.strip() == (
            "La ville publie ses données. "
            "Chaque habitant peut proposer un projet. "
            "Les élues répondent sous un mois."
        )
        assert (
            await scalar(database_url, "SELECT count(*) FROM amendments WHERE status = 'accepted'")
            == 3
        )


def test_the_sweep_agrees_with_every_pair() -> None:
    """``disjoint`` (a sweep over changes in order) says what comparing every pair says."""
    import random

    from crdt.amendments import Change, _touch
    from crdt.bundles import disjoint

    rng = random.Random(7)

    def some() -> list[Change]:
        found: list[Change] = []
        at = 0
        for _ in range(rng.randrange(0, 5)):
            start = at + rng.randrange(0, 3) + (1 if found else 0)
            end = start + rng.randrange(0, 3)
            found.append(Change(start, end, "", ""))
            at = end
        return found

    for _ in range(2000):
        mine, theirs = some(), some()
        brute = not any(_touch(x, y) for x in mine for y in theirs)
        assert disjoint(mine, theirs) is brute, (mine, theirs)


def test_an_amendment_that_met_live_edits_overlaps_with_the_live_text() -> None:
    """The live text changed the words an amendment rewrote since its base: the merge alone
    would glue both; the place is an overlap with the live text, chosen like the others."""
    live = _article(LIVE)
    start = fork_of(live)
    doc = ArticleDoc.from_updates([start.state])
    doc.apply(
        forward_edit(
            ArticleDoc.from_updates([doc.full_update()]),
            [(LIVE.replace("une idée", "une initiative 💡"), None)],
        )
        or b""
    )
    one = own_changes(doc, start.base_state_vector)
    rewrite = forward_edit(
        ArticleDoc.from_updates([live.full_update()]),
        [(LIVE.replace("une idée", "un projet"), None)],
    )
    assert rewrite is not None
    live.apply(rewrite)  # edited live since the amendment's base
    two = _fork(live, "élus", "élues")
    now = live.text()
    sides = [
        side(live.full_update(), one, LIVE, doc.text()),
        side(live.full_update(), two, now, now.replace("élus", "élues")),
    ]
    assert sides[0].amended == now.replace("un projet", "une initiative 💡")  # no glue
    [found] = overlaps(now, [s.amended for s in sides], [s.pinned for s in sides])
    assert found.base == "un projet"
    assert found.versions == ((0, "une initiative 💡"), (LIVE_SIDE, "un projet"))
    forks = [(LIVE, doc.text()), (now, now.replace("élus", "élues"))]
    live.apply(bundle_update(live, [one, two], lambda f: [f[0].versions[0][1]], forks))
    assert live.text() == now.replace("un projet", "une initiative 💡").replace("élus", "élues")


async def test_a_live_edit_since_the_base_is_chosen_like_an_overlap(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    citizen = await make_token(server, "commenter", "Citoyenne")
    async with api(server, facilitator) as boss:
        article, (one, _, three) = await _three(server, boss, citizen)
        async with PyClient(server.ws_url, article["document"], editor) as live:
            await live.wait_text(lambda t: "une idée" in t)
            replace(live, "une idée", "une pétition")  # the same words, live
            await until_server_has(server.base_url, article["document"], lambda t: "pétit" in t)
        url = f"{API}/articles/{article['id']}/bundles"
        seen = (await boss.get(f"{url}/preview?amendments={one},{three}")).json()
        [overlap] = seen["overlaps"]
        assert overlap["base"] == "pétition"
        assert overlap["versions"] == [
            {"amendment": one, "title": "Initiative", "text": "initiative 💡"},
            {"amendment": None, "title": None, "text": "pétition", "live": True},
        ]
        body: dict[str, Any] = {"amendments": [one, three]}
        assert (await boss.post(f"{url}/accept", json=body)).status_code == 409
        done = await boss.post(f"{url}/accept", json={**body, "resolutions": [{"choose": "live"}]})
        assert done.status_code == 200, done.text
        text = await until_server_has(server.base_url, article["document"], lambda t: "élues" in t)
        assert text.strip() == BUNDLE_TEXT.replace("une idée", "une pétition").replace(
            "élus", "élues"
        )

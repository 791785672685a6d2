"""Prometheus metrics at ``/metrics``, off unless ``CHARTER_METRICS=true`` and never public:
the scraper sends ``Authorization: Bearer CHARTER_METRICS_TOKEN``.

The hot path only adds to plain numbers (``server/live/counts.py``, the store's counters);
everything is read when the page is scraped, so a server that nobody scrapes pays nothing
more. Two latencies are histograms: the store's commit, and an edit's wait for its
acknowledgement ("saved") — observed once per commit and once per stored edit.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.ops import collector

if TYPE_CHECKING:
    from server.services import Services

# Seconds: a commit is milliseconds on a healthy database, seconds when it struggles.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """One per application: its own registry, so servers side by side count apart."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._histograms = {
            "commit": Histogram(
                "charter_store_commit_seconds",
                "Time to commit one batch of edits to the database.",
                buckets=BUCKETS,
                registry=self.registry,
            ),
            "acknowledgement": Histogram(
                "charter_acknowledgement_seconds",
                "Time from an edit's arrival to its acknowledgement (committed: 'saved').",
                buckets=BUCKETS,
                registry=self.registry,
            ),
        }

    def observe(self, name: str, seconds: float) -> None:
        """The store's timings hook."""
        self._histograms[name].observe(seconds)

    def watch(self, services: Services) -> None:
        self.registry.register(_Scraped(services))
        self.registry.register(collector.PAUSES)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Scraped(Collector):
    """Everything read at scrape time from the live side, the store and the backplane."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        services = self.services
        counts = services.registry.counts
        rooms = services.registry.loaded()
        yield _gauge("charter_rooms_loaded", "Documents and channels loaded in memory.", len(rooms))
        connections = GaugeMetricFamily(
            "charter_connections", "Websockets open now, by endpoint.", labels=["endpoint"]
        )
        for endpoint in ("ws", "collab"):
            connections.add_metric([endpoint], counts.connections[endpoint])
        yield connections
        members = GaugeMetricFamily(
            "charter_room_members", "Room memberships now, by role.", labels=["role"]
        )
        by_role: dict[str, int] = {}
        for room in rooms:
            for member in room.members:
                role = member.principal.role.value
                by_role[role] = by_role.get(role, 0) + 1
        for role, n in sorted(by_role.items()):
            members.add_metric([role], n)
        yield members
        edits = CounterMetricFamily(
            "charter_edits", "Changes applied, by where they came from.", labels=["source"]
        )
        edits.add_metric(["client"], counts.edits)
        edits.add_metric(["peer"], counts.peer_edits)
        yield edits
        yield _counter(
            "charter_fanout_copies", "Messages offered to room members (fan-out).", counts.copies
        )
        yield _counter(
            "charter_refused_writes",
            "Edits refused to members without the right to write.",
            counts.refused_writes,
        )
        closes = CounterMetricFamily(
            "charter_closes",
            "Websockets closed, by close code (peer: closed by the other side; 1013: a rate "
            "limit or a budget; 4403: refused).",
            labels=["code"],
        )
        for code, n in sorted(counts.closes.items()):
            closes.add_metric([code], n)
        yield closes
        yield _counter("charter_document_loads", "Documents loaded into rooms.", counts.loads)
        yield _counter(
            "charter_document_load_seconds", "Time spent loading documents.", counts.load_seconds
        )
        store = services.store
        yield _gauge("charter_store_queue", "Edits waiting for the database.", store.pending())
        yield _gauge(
            "charter_store_waiting_seconds",
            "How long edits have waited with no commit (0 when the writer keeps up).",
            store.stalled_for(),
        )
        yield _counter("charter_store_commits", "Transactions committed.", store.commits)
        yield _counter(
            "charter_compactions", "Update logs folded into a checkpoint.", store.compactions
        )
        yield _gauge(
            "charter_backplane_up",
            "1 while the link to the other instances is up.",
            1 if services.backplane.ready() else 0,
        )
        lag = services.backplane.lag()
        if lag is not None:
            yield _gauge(
                "charter_backplane_lag_seconds",
                "The last heartbeat's trip through Redis and back (several instances only).",
                lag,
            )


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=value)


def _counter(name: str, text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, text, value=value)


async def metrics_page(request: Request) -> Response:
    metrics: Metrics | None = request.app.state.metrics
    if metrics is None:  # off: as if there were no such page
        return Response("Not Found", status_code=404)
    services: Services = request.app.state.services
    token = services.settings.metrics_token
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response(
            "metrics need the metrics token\n",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)


routes = [Route("/metrics", metrics_page)]

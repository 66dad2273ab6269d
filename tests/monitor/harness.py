"""A daemon wired to an in-process Graph simulator, for the polling tests."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cli.services import ingest_policy
from config.settings import Settings, parse
from monitor.daemon import Daemon
from simulator import GraphSimulator, World
from simulator.errors import GraphError as SimulatedError
from simulator.errors import transient_failure
from simulator.router import GraphRequest
from storage.tables import Item

PAGES = (
    ("100000000000001", "Xã Cẩm Giàng", "cam-giang", "tok-camgiang"),
    ("100000000000002", "Tuổi trẻ Cẩm Giàng", "cam-giang", "tok-camgiang-2"),
    ("100000000000003", "Phường Ái Quốc", "ai-quoc", "tok-aiquoc"),
)


@dataclass(frozen=True)
class StubPrediction:
    category: str = "phan_anh"
    urgent: bool = False
    field: str = "khcn_cds"
    confidence: float = 0.9
    model_version: str = "stub"


def stub_classify(texts: Sequence[str]) -> list[StubPrediction]:
    return [StubPrediction(urgent="cháy" in t) for t in texts]


def settings_for(
    base_url: str,
    database_url: str,
    pages: Sequence[tuple[str, str, str, str]] = PAGES,
    **poll: object,
) -> Settings:
    page_lines = "\n".join(
        f'  - {{id: "{pid}", name: "{name}", unit: {unit}, access_token: {token}}}'
        for pid, name, unit, token in pages
    )
    # Pacing Messenger calls (Meta: 2/s per page) is real time; tests/monitor/test_budgets.py
    # tests it with its own clock.
    poll = {"messenger_calls_per_second": 0, **poll}
    poll_lines = "\n".join(f"  {k}: {v}" for k, v in poll.items())
    text = textwrap.dedent(
        f"""
        database_url: "{database_url}"
        poll_interval_seconds: 5
        graph:
          base_url: "{base_url}"
          max_retries: 6
          backoff_base_seconds: 0.001
          backoff_max_seconds: 0.005
          timeout_seconds: 5
        """
    )
    return parse(text + f"poll:\n{poll_lines}\npages:\n{page_lines}\n", env={})


def world_with_pages(
    seed: int = 1, pages: Sequence[tuple[str, str, str, str]] = PAGES, clock: Any = None
) -> World:
    world = World(clock=clock, seed=seed)
    # The daemon paces Messenger calls in real time; the simulator counts them on the test
    # clock, which stands still: its per-second limit is tested apart.
    world.set_conversation_rate(None)
    for pid, name, _unit, token in pages:
        world.add_page(pid, name, token)
    return world


def make_daemon(settings: Settings, sessions: sessionmaker[Session], **kw: object) -> Daemon:
    with sessions.begin() as session:
        policy = ingest_policy(settings, session, classify=stub_classify)
    daemon = Daemon(settings, sessions, policy, **kw)  # type: ignore[arg-type]
    daemon.sync()
    return daemon


def stored(
    sessions: sessionmaker[Session], *, citizen_only: bool = True, live_only: bool = True
) -> set[tuple[str, str]]:
    query = select(Item.source, Item.external_id)
    if citizen_only:
        query = query.where(Item.by_page.is_(False), Item.source != "hotline")
    if live_only:
        query = query.where(Item.deleted.is_(False))
    with sessions.begin() as session:
        return {(s, e) for s, e in session.execute(query)}


def started(world: World) -> GraphSimulator:
    return GraphSimulator(world).start()


@contextmanager
def failing(
    sim: GraphSimulator,
    object_id: str,
    edge: str | None = None,
    error: SimulatedError | None = None,
) -> Iterator[None]:
    """Every read of ``object_id`` fails (with ``edge``: only that edge; "" is the node
    itself), the way one broken post answers 500 on every read on the real platform. A
    multi-id read naming the object fails whole, as Meta may answer it."""
    route = sim.router._route

    def broken(request: GraphRequest, page_id: str, kind: str, now: datetime) -> Any:
        parts = [p for p in request.path.split("/") if p]
        named = object_id in request.params.get("ids", "").split(",")
        hit = parts[:1] == [object_id] and (edge is None or parts[1:] == ([edge] if edge else []))
        if hit or (named and edge is None):
            raise error or transient_failure()
        return route(request, page_id, kind, now)

    sim.router._route = broken  # type: ignore[method-assign]
    try:
        yield
    finally:
        sim.router._route = route  # type: ignore[method-assign]

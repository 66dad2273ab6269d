"""Fixtures for the Graph API simulator tests: a settable clock, a world, a running server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from simulator_support import CAM_GIANG, DONG_HOA, GraphClient, SimClock

from monitor.simulator import Faults, GraphSimulator, World


@pytest.fixture
def sim_clock() -> SimClock:
    return SimClock(datetime(2026, 11, 20, 8, 0, tzinfo=UTC))


@pytest.fixture
def sim_world(sim_clock: SimClock) -> World:
    world = World(clock=sim_clock, seed=7)
    world.add_page(*CAM_GIANG)
    world.add_page(*DONG_HOA)
    return world


@pytest.fixture
def simulator(sim_world: World) -> Iterator[GraphSimulator]:
    with GraphSimulator(sim_world, faults=Faults(seed=3)) as sim:
        yield sim


@pytest.fixture
def graph(simulator: GraphSimulator) -> GraphClient:
    """A client holding Cẩm Giàng's Page token."""
    return GraphClient(simulator.base_url, CAM_GIANG[2])


@pytest.fixture
def world(clock: Any) -> World:
    """The three pages of ``harness.PAGES`` on the test clock."""
    from harness import world_with_pages

    return world_with_pages(clock=clock)


@pytest.fixture
def sim(world: World) -> Iterator[GraphSimulator]:
    from harness import started

    server = started(world)
    yield server
    server.stop()

"""Fixtures for the Graph API simulator tests: a clock, a world, a running server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from simulator import Behaviour, Faults, GraphSimulator, World
from tests.clock import Clock
from tests.simulator.support import CAM_GIANG, DONG_HOA, GraphClient


@pytest.fixture
def sim_clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 8, 0, tzinfo=UTC))


@pytest.fixture
def behaviour() -> Behaviour:
    """The contract's defaults; a test parametrises `behaviour` to try the other answer."""
    return Behaviour()


@pytest.fixture
def sim_world(sim_clock: Clock, behaviour: Behaviour) -> World:
    world = World(clock=sim_clock, seed=7, behaviour=behaviour)
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

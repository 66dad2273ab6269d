"""Fixtures for the daemon tests: the three pages of ``harness.PAGES`` served by the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulator import GraphSimulator, World


@pytest.fixture
def world(clock: Any) -> World:
    """The three pages of ``harness.PAGES`` on the test clock."""
    from tests.monitor.harness import world_with_pages

    return world_with_pages(clock=clock)


@pytest.fixture
def sim(world: World) -> Iterator[GraphSimulator]:
    from tests.monitor.harness import started

    server = started(world)
    yield server
    server.stop()

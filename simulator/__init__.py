"""A local stand-in for the Meta Graph API (Pages feed, comments, Messenger, batch).

Used by the tests, the benchmarks and `pakn demo`; the daemon's Graph client talks to it
through its configurable base URL.
"""

from simulator.behaviour import Behaviour
from simulator.faults import Faults
from simulator.server import GraphSimulator
from simulator.world import World

__all__ = ["Behaviour", "Faults", "GraphSimulator", "World"]

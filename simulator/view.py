"""What rendering needs besides a record: the world, the time and how to build links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulator.fields import FieldSpec
from simulator.records import GraphRecord
from simulator.world import World

FB = "https://www.facebook.com"
EdgeLister = Callable[[GraphRecord, str, dict[str, str], list[FieldSpec] | None], Any]


@dataclass
class View:
    """Everything rendering needs besides the record: the world, time, and link details."""

    world: World
    now: datetime
    base_url: str
    version: str
    # access_token / appsecret_proof the caller passed as parameters; paging links echo them.
    carried: dict[str, str] = field(default_factory=dict)
    edge_lister: EdgeLister | None = None

    def media_url(self, media_id: str) -> str:
        return f"{self.base_url}/_sim/media/{media_id}.jpg"


Getter = Callable[[Any, View], Any]


def page_from(view: View, page_id: str) -> dict[str, str]:
    return {"name": view.world.pages[page_id].name, "id": page_id}

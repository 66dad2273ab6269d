"""The seam every way citizens reach the committee plugs into.

A channel is one source of items and one way back to the citizen: Facebook pages today
(``monitor/facebook.py``), and tomorrow a Zalo Official Account or another intake. It provides
the daemon's jobs that

- read what is new and turn it into ``storage.records.ItemRecord``s with its own ``source``
  values, stored through ``storage.ingest.ingest()`` together with the mark that says they are
  stored (so a crash keeps both or neither);
- send the officers' replies of its kinds, each at most once (claim before sending, record
  only while the claim is ours, an unknown outcome is never sent again by itself);
- and it reports its health for ``pakn pages`` and the admin page.

Storage, the queue, the classifier and the web stay as they are; a new channel is a new module
here and one entry in ``monitor/jobs.py`` ``channels()``. The hotline has no job: its form and
``pakn call add`` call ``storage.hotline.log_call`` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ChannelJob:
    name: str
    every_seconds: int
    run: Callable[[], object]


class Channel(Protocol):
    """What the daemon needs from a source of citizens' items."""

    @property
    def name(self) -> str: ...

    @property
    def sources(self) -> tuple[str, ...]:
        """The ``Item.source`` values of its items (``storage/tables.py`` ``SOURCES``)."""
        ...

    def jobs(self) -> Sequence[ChannelJob]:
        """Reading, sending and upkeep, each run on its own schedule by the daemon."""
        ...

"""Who receives which notification: admin targets for every unit, unit targets for their own.

A target receives an event when the event is in its ``events``; "page_down" also covers the
"recovered" message. The same URL configured twice receives one message.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.schema import Secret
from config.settings import AlertSettings, NotificationTarget
from storage.notifications import target_ref


@dataclass(frozen=True)
class Recipient:
    name: str
    url: Secret
    ref: str


def _all_targets(alerts: AlertSettings, unit_id: str | None) -> list[NotificationTarget]:
    if unit_id is None:
        units = [t for targets in alerts.unit_targets.values() for t in targets]
    else:
        units = list(alerts.unit_targets.get(unit_id, []))
    return [*alerts.admin_targets, *units]


def recipients(alerts: AlertSettings, event: str, unit_id: str | None) -> list[Recipient]:
    """The targets subscribed to ``event`` for ``unit_id``, each URL once."""
    out: dict[str, Recipient] = {}
    for target in _all_targets(alerts, unit_id):
        if event in target.events:
            ref = target_ref(target.url.reveal())
            out.setdefault(ref, Recipient(target.name or "người nhận", target.url, ref))
    return list(out.values())


def find_recipient(alerts: AlertSettings, ref: str) -> Recipient | None:
    """The configured target whose URL hashes to ``ref`` (None once it was removed)."""
    for target in _all_targets(alerts, None):
        url = target.url.reveal()
        if target_ref(url) == ref:
            return Recipient(target.name or "người nhận", target.url, ref)
    return None

"""The daemon's jobs besides polling: sending replies, alerts and digests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.alerts import register_alert_jobs
from monitor.replies import ReplySender

if TYPE_CHECKING:
    from monitor.daemon import Daemon

REPLY_EVERY_SECONDS = 15


def register_jobs(daemon: Daemon) -> None:
    sender = ReplySender(
        daemon.settings, daemon.sessions, daemon.client, daemon.clock, daemon.owner
    )
    daemon.add_job("replies", REPLY_EVERY_SECONDS, sender.send_due)
    register_alert_jobs(daemon)

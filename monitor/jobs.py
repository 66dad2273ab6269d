"""The daemon's jobs besides polling: sending replies, alerts and digests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.alerts import register_alert_jobs
from monitor.moderation import register_moderation
from monitor.replies import ReplySender
from monitor.webhook_consumer import WebhookConsumer
from storage.calendar_days import deadline_policy

if TYPE_CHECKING:
    from monitor.daemon import Daemon

REPLY_EVERY_SECONDS = 15
CALENDAR_EVERY_SECONDS = 300
# Webhook deliveries are looked at every second: a citizen's comment should reach the queue
# within seconds when Meta's webhooks work (polling stays the safety net either way).
WEBHOOK_EVERY_SECONDS = 1


def register_jobs(daemon: Daemon) -> None:
    sender = ReplySender(
        daemon.settings, daemon.sessions, daemon.client, daemon.clock, daemon.owner
    )
    daemon.add_job("replies", REPLY_EVERY_SECONDS, sender.send_due)
    daemon.add_job("calendar", CALENDAR_EVERY_SECONDS, lambda: refresh_deadlines(daemon))
    register_alert_jobs(daemon)
    register_moderation(daemon)
    if daemon.settings.webhooks.enabled:
        consumer = WebhookConsumer(
            daemon.settings, daemon.sessions, daemon.clock, daemon.owner, daemon.poll_now
        )
        daemon.add_job("webhooks", WEBHOOK_EVERY_SECONDS, consumer.run)


def refresh_deadlines(daemon: Daemon) -> None:
    """Pick up the days off and make-up days admins edited in the web UI."""
    with daemon.sessions.begin() as session:
        deadlines = deadline_policy(daemon.settings.deadlines_file, session)
        daemon.ctx.policy = daemon.ctx.policy.with_deadlines(deadlines)

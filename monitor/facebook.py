"""Facebook pages as a channel: comments, visitor posts, reels, album photos and Messenger.

The poll cycle itself is the daemon's main loop (``monitor/daemon.py``: leases per page, the
feed and the inbox as separate units, rate-limit governors); this module lists the channel's
other jobs: sending replies, performing hide/unhide requests, and, when ``webhooks.enabled``,
consuming webhook deliveries and reading each page's subscription (monitor/subscriptions.py).
Health comes from ``storage.health.page_health``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.channel import ChannelJob
from monitor.moderation import EVERY_SECONDS as MODERATION_EVERY_SECONDS
from monitor.moderation import ModerationSender
from monitor.replies import ReplySender
from monitor.subscriptions import JOB_EVERY_SECONDS as SUBSCRIPTIONS_EVERY_SECONDS
from monitor.subscriptions import SubscriptionWatch
from monitor.webhook_consumer import WebhookConsumer

if TYPE_CHECKING:
    from monitor.daemon import Daemon

REPLY_EVERY_SECONDS = 15
# Webhook deliveries are looked at every second: a citizen's comment should reach the queue
# within seconds when Meta's webhooks work (polling stays the safety net either way).
WEBHOOK_EVERY_SECONDS = 1


class FacebookChannel:
    name = "facebook"
    sources = ("facebook_comment", "facebook_message", "facebook_post")

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    def jobs(self) -> Sequence[ChannelJob]:
        d = self.daemon
        replies = ReplySender(d.settings, d.sessions, d.client, d.clock, d.owner, d.governor)
        moderation = ModerationSender(
            d.settings, d.sessions, d.client, d.clock, d.owner, d.governor
        )
        jobs = [
            ChannelJob("replies", REPLY_EVERY_SECONDS, replies.send_due),
            ChannelJob("moderation", MODERATION_EVERY_SECONDS, moderation.send_due),
        ]
        if d.settings.webhooks.enabled:
            consumer = WebhookConsumer(d.settings, d.sessions, d.clock, d.owner, d.poll_now)
            jobs.append(ChannelJob("webhooks", WEBHOOK_EVERY_SECONDS, consumer.run))
            watch = SubscriptionWatch(d.settings, d.sessions, d.client, d.clock, d.governor)
            jobs.append(ChannelJob("subscriptions", SUBSCRIPTIONS_EVERY_SECONDS, watch.run))
        return jobs

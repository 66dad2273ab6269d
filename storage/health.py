"""Page health for ``pakn pages``, ``pakn doctor`` and the admin view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage.tables import Conversation, Item, Page, Post, WebhookPageState
from storage.webhooks import SubscribedApp, subscribed_apps

# Items whose sender Graph withheld, counted over this many days before day_start: an app
# without Advanced Access gets comments without ``from`` (restfb/restfb#1136).
UNKNOWN_SENDER_DAYS = 7


@dataclass(frozen=True)
class PageHealth:
    id: str
    name: str
    unit_id: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    quarantined: bool
    throttled_until: datetime | None
    usage_percent: float | None
    items_today: int
    consecutive_failures: int
    api_version: str | None
    # Citizens' comments and posts of the last UNKNOWN_SENDER_DAYS that came without a
    # sender: more than a few means the app lacks Advanced Access (App Review).
    unknown_senders: int = 0
    # Posts, reels, photos and conversations whose last read failed (each backs off alone).
    failing_objects: int = 0
    # Meta's webhooks for this page: the last event the daemon consumed, and how many so far.
    webhook_last_event_at: datetime | None = None
    webhook_events: int = 0
    # The page's subscription as the daemon last read it (``/{page}/subscribed_apps``): the
    # apps installed with their fields (None: not read yet, or the last read failed), when,
    # and why the last read failed.
    webhook_apps: tuple[SubscribedApp, ...] | None = None
    webhook_apps_read_at: datetime | None = None
    webhook_apps_error: str | None = None

    @property
    def webhook_fields(self) -> tuple[str, ...]:
        """Every field some app installed on the page receives, in Meta's order."""
        fields = [f for app in self.webhook_apps or () for f in app.fields]
        return tuple(dict.fromkeys(fields))


def _per_page(session: Session, query: Select[Any, Any]) -> dict[str | None, int]:
    return {page_id: int(n) for page_id, n in session.execute(query)}


def page_health(session: Session, day_start: datetime) -> list[PageHealth]:
    today = (
        select(Item.page_id, func.count().label("n"))
        .where(Item.first_seen_at >= day_start, Item.by_page.is_(False))
        .group_by(Item.page_id)
        .subquery()
    )
    unknown = _per_page(
        session,
        select(Item.page_id, func.count())
        .where(
            Item.created_time >= day_start - timedelta(days=UNKNOWN_SENDER_DAYS),
            Item.source.in_(("facebook_comment", "facebook_post")),
            Item.by_page.is_(False),
            Item.author_id.is_(None),
        )
        .group_by(Item.page_id),
    )
    failing = _per_page(
        session,
        select(Post.page_id, func.count()).where(Post.failures > 0).group_by(Post.page_id),
    )
    conversations = _per_page(
        session,
        select(Conversation.page_id, func.count())
        .where(Conversation.failures > 0)
        .group_by(Conversation.page_id),
    )
    for page_id, n in conversations.items():
        failing[page_id] = failing.get(page_id, 0) + n
    webhooks = {s.page_id: s for s in session.scalars(select(WebhookPageState))}
    rows = session.execute(
        select(Page, func.coalesce(today.c.n, 0))
        .outerjoin(today, today.c.page_id == Page.id)
        .order_by(Page.unit_id, Page.name)
    )
    return [
        PageHealth(
            id=page.id,
            name=page.name,
            unit_id=page.unit_id,
            last_success_at=page.last_success_at,
            last_error=page.last_error,
            last_error_at=page.last_error_at,
            quarantined=page.quarantined_at is not None,
            throttled_until=page.throttled_until,
            usage_percent=page.usage_percent,
            items_today=int(count),
            consecutive_failures=page.consecutive_failures,
            api_version=page.api_version_seen,
            unknown_senders=unknown.get(page.id, 0),
            failing_objects=failing.get(page.id, 0),
            webhook_last_event_at=_last_event(webhooks.get(page.id)),
            webhook_events=webhooks[page.id].events_total if page.id in webhooks else 0,
            **_subscription(webhooks.get(page.id)),
        )
        for page, count in rows
    ]


def _subscription(state: WebhookPageState | None) -> dict[str, Any]:
    if state is None:
        return {}
    return {
        "webhook_apps": subscribed_apps(state.subscribed_apps),
        "webhook_apps_read_at": state.subscriptions_read_at,
        "webhook_apps_error": state.subscriptions_error,
    }


def _last_event(state: WebhookPageState | None) -> datetime | None:
    return state.last_event_at if state is not None else None

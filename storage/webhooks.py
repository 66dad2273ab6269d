"""Webhook deliveries: written verbatim by the receiver, consumed once by a daemon.

The receiver stores a delivery in its own transaction before it answers 200, so a delivery Meta
considers delivered is never lost; the consumer claims deliveries with a conditional UPDATE, so
several daemons never consume one twice (and a daemon killed mid-way leaves a claim that expires
and is taken again: consuming is idempotent, because it only triggers reads whose items go through
``ingest()``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.tables import Item, WebhookDelivery, WebhookPageState

FINAL_STATES = ("consumed", "ignored", "set_aside")
# A page whose last webhook event is older than this is silent: polling alone is trusted for
# it again (reconciliation at its normal intervals), and the admins are told once when polling
# still finds its new items meanwhile.
SILENCE = timedelta(minutes=30)


def record_delivery(session: Session, body: bytes, received_at: datetime) -> int:
    delivery = WebhookDelivery(received_at=received_at, body=body, status="new")
    session.add(delivery)
    session.flush()
    return delivery.id


def claim_new(
    session: Session, owner: str, now: datetime, lease: timedelta, limit: int = 50
) -> list[WebhookDelivery]:
    """New deliveries (and ones whose consumer died), oldest first, claimed by ``owner``."""
    claimable = or_(
        WebhookDelivery.status == "new",
        (WebhookDelivery.status == "claimed") & (WebhookDelivery.claimed_until < now),
    )
    ids = session.scalars(
        select(WebhookDelivery.id).where(claimable).order_by(WebhookDelivery.id).limit(limit)
    ).all()
    claimed: list[int] = []
    for delivery_id in ids:
        result = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, claimable)
            .values(status="claimed", claimed_by=owner, claimed_until=now + lease)
        )
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(delivery_id)
    if not claimed:
        return []
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.id.in_(claimed))
            .order_by(WebhookDelivery.id)
            .execution_options(populate_existing=True)
        )
    )


def finish(
    session: Session,
    delivery_id: int,
    owner: str,
    status: str,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Record the outcome while the claim is still ours; False if another consumer took it."""
    if status not in FINAL_STATES:
        raise ValueError(f"unknown webhook delivery state {status!r}")
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "claimed",
            WebhookDelivery.claimed_by == owner,
        )
        .values(status=status, reason=reason, consumed_at=now, claimed_until=None)
    )
    return getattr(result, "rowcount", 0) == 1


def note_events(session: Session, page_ids: Iterable[str], at: datetime) -> None:
    """One more event for each page named by a consumed delivery."""
    for page_id in sorted(set(page_ids)):
        state = session.get(WebhookPageState, page_id)
        if state is None:
            session.add(WebhookPageState(page_id=page_id, last_event_at=at, events_total=1))
            continue
        state.events_total += 1
        if state.last_event_at is None or at > state.last_event_at:
            state.last_event_at = at
        state.silent_alerted_at = None


@dataclass(frozen=True)
class WebhookHealth:
    page_id: str
    last_event_at: datetime | None
    events_total: int


def page_states(session: Session) -> dict[str, WebhookHealth]:
    rows = session.scalars(select(WebhookPageState)).all()
    return {r.page_id: WebhookHealth(r.page_id, r.last_event_at, r.events_total) for r in rows}


def healthy(session: Session, page_id: str, now: datetime, within: timedelta = SILENCE) -> bool:
    """The page's webhooks work: an event arrived within ``within`` and no silence is open."""
    state = session.get(WebhookPageState, page_id)
    return (
        state is not None
        and state.last_event_at is not None
        and state.last_event_at >= now - within
        and state.silent_alerted_at is None
    )


@dataclass(frozen=True)
class SubscribedApp:
    """An app installed on a page (``GET /{page}/subscribed_apps``) and the fields it gets."""

    id: str
    name: str
    fields: tuple[str, ...]


def record_subscriptions(
    session: Session,
    page_id: str,
    now: datetime,
    apps: Sequence[SubscribedApp] | None,
    error: str | None = None,
) -> None:
    """What the daemon read of the page's subscriptions: the apps, or (``apps`` None) why the
    read failed, in Vietnamese; a failed read leaves the subscription unknown, not "off"."""
    state = session.get(WebhookPageState, page_id)
    if state is None:
        state = WebhookPageState(page_id=page_id, events_total=0)
        session.add(state)
    state.subscriptions_read_at = now
    if apps is None:
        state.subscribed_apps, state.subscriptions_error = None, (error or "?")[:2000]
        return
    listed = [{"id": a.id, "name": a.name, "fields": list(a.fields)} for a in apps]
    state.subscribed_apps = json.dumps(listed, ensure_ascii=False)
    state.subscriptions_error = None


def subscribed_apps(raw: str | None) -> tuple[SubscribedApp, ...] | None:
    """The stored list back; None when never read or the last read failed."""
    if raw is None:
        return None
    return tuple(
        SubscribedApp(str(a["id"]), str(a["name"]), tuple(str(f) for f in a["fields"]))
        for a in json.loads(raw)
    )


def subscriptions_due(
    session: Session, page_ids: Sequence[str], now: datetime, every: timedelta
) -> list[str]:
    """Pages whose subscriptions were never read, or last read ``every`` ago or more."""
    read = {
        page_id: at
        for page_id, at in session.execute(
            select(WebhookPageState.page_id, WebhookPageState.subscriptions_read_at).where(
                WebhookPageState.page_id.in_(page_ids)
            )
        )
    }
    due = []
    for page_id in page_ids:
        at = read.get(page_id)
        if at is None or at <= now - every:
            due.append(page_id)
    return due


def backlog(session: Session) -> int:
    """Deliveries not consumed yet (new or claimed)."""
    count = session.scalar(
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.status.in_(("new", "claimed")))
    )
    return int(count or 0)


def deliveries(session: Session, status: str | None = None) -> Sequence[WebhookDelivery]:
    query = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return session.scalars(query).all()


@dataclass(frozen=True)
class SilentPage:
    page_id: str
    last_event_at: datetime
    items_since: int


def silent_pages(
    session: Session, page_ids: Sequence[str], now: datetime, grace: timedelta
) -> list[SilentPage]:
    """Pages whose webhooks stopped while polling still stores new citizen items: the last
    event is older than ``grace`` and items first seen after it (plus ``grace``) exist. Pages
    already alerted for this silence are left out (a new event ends the incident)."""
    states = session.scalars(
        select(WebhookPageState).where(
            WebhookPageState.page_id.in_(page_ids),
            WebhookPageState.last_event_at.is_not(None),
            WebhookPageState.last_event_at < now - grace,
            WebhookPageState.silent_alerted_at.is_(None),
        )
    ).all()
    found = []
    for state in states:
        if state.last_event_at is None:  # filtered above; for the type checker
            continue
        since = session.scalar(
            select(func.count())
            .select_from(Item)
            .where(
                Item.page_id == state.page_id,
                Item.by_page.is_(False),
                Item.source != "hotline",
                Item.first_seen_at > state.last_event_at + grace,
            )
        )
        if since:
            found.append(SilentPage(state.page_id, state.last_event_at, int(since)))
    return found


def mark_silent_alerted(session: Session, page_id: str, now: datetime) -> bool:
    result = session.execute(
        update(WebhookPageState)
        .where(WebhookPageState.page_id == page_id, WebhookPageState.silent_alerted_at.is_(None))
        .values(silent_alerted_at=now)
    )
    return getattr(result, "rowcount", 0) == 1

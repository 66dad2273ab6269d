"""Webhook health: shown per page, and one admin alert when webhooks fall silent while polling
still finds new items (polling carries on, so nothing is lost, only slower)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import NotificationTarget, Secret, WebhookSettings, parse
from monitor.alerts import AlertDetector
from storage import webhooks as store
from storage.health import page_health
from storage.ingest import IngestPolicy, ingest
from storage.poll_state import sync_pages
from storage.records import ItemRecord
from storage.tables import Notification

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
PAGE = "100000000000001"
BASE = parse(f'pages:\n  - {{id: "{PAGE}", name: "Xã A", unit: a, access_token: "t"}}\n', env={})
SETTINGS = dataclasses.replace(
    BASE,
    webhooks=WebhookSettings(enabled=True, verify_token=Secret("v")),
    alerts=dataclasses.replace(
        BASE.alerts,
        admin_targets=[
            NotificationTarget(url=Secret("json://127.0.0.1:9/a"), events=["page_down"])
        ],
    ),
)


def setup(sessions: sessionmaker[Session], last_event: datetime, item_seen: datetime) -> None:
    with sessions.begin() as session:
        sync_pages(session, [("a", "Xã A", "xa")], [(PAGE, "Xã A", "a")])
        store.note_events(session, [PAGE], last_event)
        record = ItemRecord(
            source="facebook_comment",
            external_id="c1",
            unit_id="a",
            page_id=PAGE,
            created_time=item_seen,
            text="mất nước cả khu",
            author_id="51",
        )
        ingest(session, [record], now=item_seen, policy=IngestPolicy())


def silent_alerts(sessions: sessionmaker[Session]) -> list[Notification]:
    with sessions.begin() as session:
        return list(
            session.scalars(select(Notification).where(Notification.event == "webhooks_silent"))
        )


def test_silent_webhooks_alert_the_admins_once_and_a_new_event_ends_the_silence(
    sessions: sessionmaker[Session],
) -> None:
    setup(sessions, last_event=NOW - timedelta(hours=2), item_seen=NOW - timedelta(minutes=10))
    AlertDetector(SETTINGS, sessions, lambda: NOW).run()
    AlertDetector(SETTINGS, sessions, lambda: NOW + timedelta(minutes=5)).run()
    (alert,) = silent_alerts(sessions)
    assert "im lặng" in alert.subject and "pakn doctor" in alert.body
    with sessions.begin() as session:
        store.note_events(session, [PAGE], NOW + timedelta(minutes=6))
    AlertDetector(SETTINGS, sessions, lambda: NOW + timedelta(minutes=7)).run()
    assert len(silent_alerts(sessions)) == 1  # events again: no new alert


def test_quiet_webhooks_on_a_quiet_page_are_not_an_incident(
    sessions: sessionmaker[Session],
) -> None:
    setup(sessions, last_event=NOW - timedelta(hours=2), item_seen=NOW - timedelta(hours=3))
    AlertDetector(SETTINGS, sessions, lambda: NOW).run()
    assert silent_alerts(sessions) == []


def test_page_health_shows_the_last_webhook_event(sessions: sessionmaker[Session]) -> None:
    setup(sessions, last_event=NOW - timedelta(minutes=3), item_seen=NOW - timedelta(minutes=3))
    with sessions.begin() as session:
        (health,) = page_health(session, NOW - timedelta(hours=12))
    assert health.webhook_last_event_at == NOW - timedelta(minutes=3)
    assert health.webhook_events == 1

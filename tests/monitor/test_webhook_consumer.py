"""The daemon consumes stored webhook deliveries: marks what to read, polls those pages now."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.settings import parse
from monitor.webhook_consumer import WebhookConsumer
from storage import poll_state
from storage import webhooks as store
from storage.tables import Post, WebhookPageState

NOW = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
PAGE, OTHER = "100000000000001", "100000000000002"
SETTINGS = parse(
    f'pages:\n  - {{id: "{PAGE}", name: "Xã A", unit: a, access_token: "t"}}\n'
    f'  - {{id: "{OTHER}", name: "Xã B", unit: a, access_token: "u", messenger: false}}\n',
    env={},
)


def comment_delivery(page: str, post: str) -> bytes:
    value = {"item": "comment", "verb": "add", "post_id": post, "comment_id": f"{post}_9"}
    return json.dumps(
        {
            "object": "page",
            "entry": [{"id": page, "time": 1, "changes": [{"field": "feed", "value": value}]}],
        }
    ).encode()


def message_delivery(page: str, person: str) -> bytes:
    event = {"sender": {"id": person}, "recipient": {"id": page}, "message": {"mid": "m.1"}}
    return json.dumps({"object": "page", "entry": [{"id": page, "messaging": [event]}]}).encode()


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[set[str], set[str]]] = []

    def __call__(self, feed: Collection[str], inbox: Collection[str]) -> None:
        self.calls.append((set(feed), set(inbox)))


def setup(sessions: sessionmaker[Session], *bodies: bytes) -> None:
    with sessions.begin() as session:
        poll_state.sync_pages(
            session, [("a", "Xã A", "xa")], [(p.id, p.name, p.unit) for p in SETTINGS.pages]
        )
        session.add(
            Post(
                id=f"{PAGE}_11",
                page_id=PAGE,
                created_time=NOW - timedelta(days=200),
                next_check_at=NOW + timedelta(hours=1),
            )
        )
        for body in bodies:
            store.record_delivery(session, body, NOW)


def consumer(sessions: sessionmaker[Session], poll: Recorder, owner: str = "d1") -> WebhookConsumer:
    return WebhookConsumer(SETTINGS, sessions, lambda: NOW, owner, poll)


def statuses(sessions: sessionmaker[Session]) -> list[tuple[str, Any]]:
    with sessions.begin() as session:
        return [(d.status, d.reason) for d in store.deliveries(session)]


def test_a_comment_event_makes_its_post_due_now_and_polls_that_page_at_once(
    sessions: sessionmaker[Session],
) -> None:
    setup(sessions, comment_delivery(PAGE, f"{PAGE}_11"))
    poll = Recorder()
    done = consumer(sessions, poll).run()
    assert done.consumed == 1
    assert poll.calls == [({PAGE}, set())]
    with sessions.begin() as session:
        post = session.get(Post, f"{PAGE}_11")
        assert post is not None and post.next_check_at == NOW
        state = session.get(WebhookPageState, PAGE)
        assert state is not None and state.events_total == 1 and state.last_event_at == NOW
    assert statuses(sessions) == [("consumed", None)]


def test_a_message_event_polls_the_inbox_only_where_messenger_is_read(
    sessions: sessionmaker[Session],
) -> None:
    setup(sessions, message_delivery(PAGE, "555"), message_delivery(OTHER, "556"))
    poll = Recorder()
    consumer(sessions, poll).run()
    assert poll.calls == [(set(), {PAGE})]


def test_malformed_and_foreign_deliveries_are_set_aside_or_ignored_with_a_reason(
    sessions: sessionmaker[Session],
) -> None:
    setup(sessions, b"{not json", comment_delivery("999", "999_1"))
    poll = Recorder()
    done = consumer(sessions, poll).run()
    assert (done.set_aside, done.ignored, done.consumed) == (1, 1, 0)
    assert poll.calls == []
    (bad, bad_reason), (foreign, foreign_reason) = statuses(sessions)
    assert bad == "set_aside" and "JSON" in bad_reason
    assert foreign == "ignored" and "999" in foreign_reason


def test_two_daemons_never_consume_one_delivery_twice(sessions: sessionmaker[Session]) -> None:
    setup(sessions, comment_delivery(PAGE, f"{PAGE}_11"))
    first, second = Recorder(), Recorder()
    with sessions.begin() as session:  # the first daemon claims, then dies
        assert len(store.claim_new(session, "dead", NOW, timedelta(minutes=2))) == 1
    assert consumer(sessions, second, "d2").run().consumed == 0  # still leased
    later = WebhookConsumer(
        SETTINGS, sessions, lambda: NOW + timedelta(minutes=3), "d2", second
    ).run()
    assert later.consumed == 1  # the lease ended: taken over, consumed once
    assert consumer(sessions, first, "d1").run().consumed == 0
    assert first.calls == [] and len(second.calls) == 1

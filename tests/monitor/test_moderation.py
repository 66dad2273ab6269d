"""Hiding a comment keeps the evidence and reaches Facebook at most once (storage/moderation.py,
monitor/moderation.py), against the Graph simulator on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from monitor.graph import GraphClient
from monitor.moderation import LEASE, ModerationSender
from simulator import GraphSimulator, World
from storage import moderation
from storage.tables import AuditEntry, Item, ModerationRequest, User
from tests.monitor.harness import PAGES, make_daemon, settings_for
from tests.monitor.test_replies import Killed, after_the_post

CAM = PAGES[0][0]
CITIZEN = ("8001", "Lê Thị Thu")
LEAKED = "Số của chị Hoa hàng xóm là 0912 345 678, CCCD 031185001234, ai cần thì gọi"


@pytest.fixture
def daemon(sim: GraphSimulator, sessions: sessionmaker[Session], clock: Any) -> Daemon:
    return make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)


def sender(
    daemon: Daemon, owner: str = "test", client: GraphClient | None = None
) -> ModerationSender:
    client = client or daemon.client
    return ModerationSender(daemon.settings, daemon.sessions, client, daemon.clock, owner)


OFFICER = 1


@pytest.fixture
def leaked(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> tuple[str, int]:
    """A citizen's comment that published a neighbour's phone and ID numbers: (comment, item);
    and the officer (user OFFICER) who asks to hide it."""
    with sessions.begin() as s:
        s.add(User(id=OFFICER, username="canbo", display_name="Cán bộ An", password_hash="x",
                   role="officer", created_at=clock()))  # fmt: skip
    post = world.add_post(CAM, message="Thông báo lịch tiêm chủng")
    comment = world.add_comment(post, author=CITIZEN, message=LEAKED)
    daemon.poll_cycle()
    with sessions.begin() as s:
        item_id = s.scalar(select(Item.id).where(Item.external_id == comment))
    assert item_id is not None
    return comment, item_id


def ask(sessions: sessionmaker[Session], item_id: int, action: str, clock: Any, **kw: Any) -> int:
    with sessions.begin() as s:
        item = s.get(Item, item_id)
        assert item is not None
        reason, note = kw.get("reason", "personal_data"), kw.get("note", "Lộ SĐT, CCCD")
        return moderation.request(s, item, action, reason, note, OFFICER, clock()).id


def posts_to(sim: GraphSimulator, comment: str) -> int:
    return int(sim.stats.snapshot()["requests_by_path"].get(f"/{comment}", 0))


def row(sessions: sessionmaker[Session], request_id: int) -> ModerationRequest:
    with sessions.begin() as s:
        found = s.get(ModerationRequest, request_id)
        assert found is not None
        s.expunge(found)
        return found


def audit_of(sessions: sessionmaker[Session], item_id: int) -> list[tuple[str, Any, Any]]:
    with sessions.begin() as s:
        rows = s.execute(
            select(AuditEntry.action, AuditEntry.user_id, AuditEntry.after)
            .where(
                AuditEntry.item_id == item_id,
                AuditEntry.action.like("%moderation%") | AuditEntry.action.like("comment_%"),
            )
            .order_by(AuditEntry.id)
        )
        return [(a, u, json.loads(after or "{}")) for a, u, after in rows]


def test_a_comment_is_hidden_once_with_the_reason_logged_and_the_text_kept(
    world: World,
    daemon: Daemon,
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    clock: Any,
    leaked: tuple[str, int],
) -> None:
    comment, item_id = leaked
    request_id = ask(sessions, item_id, "hide", clock)
    before = posts_to(sim, comment)

    assert sender(daemon).send_due() == 1
    assert sender(daemon).send_due() == 0

    assert posts_to(sim, comment) - before == 1
    assert world.comments[comment].hidden
    found = row(sessions, request_id)
    assert (found.status, found.text_kept) == ("done", LEAKED)
    log = audit_of(sessions, item_id)
    assert [(a, u) for a, u, _ in log] == [
        ("moderation_requested", OFFICER),
        ("comment_hidden", None),
    ]
    assert log[0][2] == {
        "request_id": request_id,
        "action": "hide",
        "reason": "personal_data",
        "note": "Lộ SĐT, CCCD",
    }
    daemon.poll_cycle()  # Facebook still lists a hidden comment to the Page: nothing is lost
    with sessions.begin() as s:
        item = s.get(Item, item_id)
        assert item is not None and item.hidden and item.text == LEAKED and not item.deleted


def test_a_hidden_comment_is_shown_again_the_same_way(
    world: World,
    daemon: Daemon,
    sessions: sessionmaker[Session],
    clock: Any,
    leaked: tuple[str, int],
) -> None:
    comment, item_id = leaked
    ask(sessions, item_id, "hide", clock)
    sender(daemon).send_due()
    with sessions.begin() as s:
        item = s.get(Item, item_id)
        assert item is not None
        with pytest.raises(moderation.ModerationRefusedError, match="đang ẩn"):
            moderation.request(s, item, "hide", "spam", None, OFFICER, clock())
    ask(sessions, item_id, "unhide", clock, reason="other", note="Ẩn nhầm")
    assert sender(daemon).send_due() == 1
    assert not world.comments[comment].hidden
    assert [a for a, _, _ in audit_of(sessions, item_id)][-1] == "comment_unhidden"


def test_a_hide_whose_answer_was_lost_is_not_sent_again_until_an_officer_checked(
    world: World,
    daemon: Daemon,
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    clock: Any,
    leaked: tuple[str, int],
) -> None:
    comment, item_id = leaked
    request_id = ask(sessions, item_id, "hide", clock)
    before = posts_to(sim, comment)
    sim.faults.set(drop_rate=1.0)
    sender(daemon).send_due()
    sim.faults.clear()
    assert row(sessions, request_id).status == "unknown"
    assert "Mở bình luận trên trang Facebook" in (row(sessions, request_id).error or "")
    assert sender(daemon).send_due() == 0
    assert posts_to(sim, comment) - before == 1

    with sessions.begin() as s:  # the officer looked: not hidden on the Page; send again
        found = s.get(ModerationRequest, request_id)
        assert found is not None
        moderation.confirm(s, found, False, OFFICER, clock())
    assert sender(daemon).send_due() == 1
    assert sender(daemon).send_due() == 0
    assert posts_to(sim, comment) - before == 2
    assert world.comments[comment].hidden and row(sessions, request_id).status == "done"
    assert ("moderation_resend_checked", OFFICER) in [
        (a, u) for a, u, _ in audit_of(sessions, item_id)
    ]


def test_a_sender_killed_after_the_post_never_sends_it_again(
    world: World,
    daemon: Daemon,
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    clock: Any,
    leaked: tuple[str, int],
) -> None:
    comment, item_id = leaked
    request_id = ask(sessions, item_id, "hide", clock)
    before = posts_to(sim, comment)

    def kill() -> None:
        raise Killed

    with after_the_post(daemon.client, kill), pytest.raises(Killed):
        sender(daemon, "daemon-a").send_due()
    other = sender(daemon, "daemon-b", GraphClient(daemon.settings.graph))
    assert other.send_due() == 0 and row(sessions, request_id).status == "sending"
    clock.advance(minutes=LEASE.total_seconds() / 60 + 1)
    assert other.send_due() == 0
    assert other.send_due() == 0
    assert row(sessions, request_id).status == "unknown"
    assert posts_to(sim, comment) - before == 1
    with sessions.begin() as s:  # the officer saw it hidden on the Page
        found = s.get(ModerationRequest, request_id)
        assert found is not None
        moderation.confirm(s, found, True, OFFICER, clock())
        item = s.get(Item, item_id)
        assert item is not None and item.hidden
    assert other.send_due() == 0 and posts_to(sim, comment) - before == 1


def test_two_daemons_claiming_at_once_take_each_request_once(
    daemon: Daemon, sessions: sessionmaker[Session], clock: Any, leaked: tuple[str, int]
) -> None:
    _comment, item_id = leaked
    request_id = ask(sessions, item_id, "hide", clock)
    claims = []
    for owner in ("daemon-a", "daemon-b"):
        with sessions.begin() as s:
            claims.append(moderation.claim(s, request_id, owner, clock(), LEASE) is not None)
    assert claims == [True, False]


def test_only_a_citizens_live_comment_can_be_hidden_and_one_request_at_a_time(
    world: World,
    daemon: Daemon,
    sessions: sessionmaker[Session],
    clock: Any,
    leaked: tuple[str, int],
) -> None:
    _comment, item_id = leaked
    world.add_message(CAM, user=CITIZEN, message="ad ơi cho hỏi")
    daemon.poll_cycle()
    with sessions.begin() as s:
        message = s.scalars(select(Item).where(Item.source == "facebook_message")).first()
        item = s.get(Item, item_id)
        assert message is not None and item is not None
        with pytest.raises(moderation.ModerationRefusedError, match="Chỉ ẩn được bình luận"):
            moderation.request(s, message, "hide", "spam", None, OFFICER, clock())
        with pytest.raises(moderation.ModerationRefusedError, match="ghi rõ lý do"):
            moderation.request(s, item, "hide", "other", "  ", OFFICER, clock())
        first = moderation.request(s, item, "hide", "abuse", None, OFFICER, clock())
        with pytest.raises(moderation.ModerationRefusedError, match=f"#{first.id}"):
            moderation.request(s, item, "hide", "abuse", None, OFFICER, clock())
        moderation.cancel(s, first, OFFICER, clock())
        assert (
            moderation.request(s, item, "hide", "abuse", None, OFFICER, clock()).status == "pending"
        )


def test_a_hide_on_a_page_meta_has_paused_waits_for_the_pause_with_its_tries_kept(
    daemon: Daemon,
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    leaked: tuple[str, int],
    clock: Any,
) -> None:
    comment, item_id = leaked
    request_id = ask(sessions, item_id, "hide", clock)
    daemon.governor.throttled(CAM, 300, "pages")  # Meta stated 5 minutes for this page
    job = ModerationSender(
        daemon.settings, daemon.sessions, daemon.client, daemon.clock, "t", daemon.governor
    )
    assert job.send_due() == 0
    assert posts_to(sim, comment) == 0
    waiting = row(sessions, request_id)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    clock.advance(minutes=6)
    assert job.send_due() == 1
    assert posts_to(sim, comment) == 1

"""Officers' replies leave through the daemon: windows, states, failures, never twice."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from monitor.graph import GraphClient, GraphResponse
from monitor.replies import LEASE, ReplySender
from simulator import GraphSimulator, World
from storage import alert_state, replies
from storage.tables import AuditEntry, Item, Reply
from tests.monitor.harness import PAGES, make_daemon, settings_for

CAM = PAGES[0][0]
CITIZEN = ("8001", "Lê Thị Thu")


@pytest.fixture
def daemon(sim: GraphSimulator, sessions: sessionmaker[Session], clock: object) -> Daemon:
    return make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)


def sender(daemon: Daemon, owner: str = "test", client: GraphClient | None = None) -> ReplySender:
    client = client or daemon.client
    return ReplySender(daemon.settings, daemon.sessions, client, daemon.clock, owner)


def item_for(sessions: sessionmaker[Session], external_id: str) -> Item:
    with sessions.begin() as session:
        item = session.scalar(select(Item).where(Item.external_id == external_id))
        assert item is not None
        return item


def queue_reply(
    sessions: sessionmaker[Session], external_id: str, kind: str, text: str, now: object
) -> int:
    with sessions.begin() as session:
        item = session.scalar(select(Item).where(Item.external_id == external_id))
        assert item is not None
        return replies.create_reply(session, item, kind, text, None, now).id  # type: ignore[arg-type]


def reply_row(sessions: sessionmaker[Session], reply_id: int) -> Reply:
    with sessions.begin() as session:
        row = session.get(Reply, reply_id)
        assert row is not None
        return row


def test_a_public_reply_is_posted_under_the_comment_once_and_answers_the_item(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Thông báo lịch tiếp công dân")
    comment = world.add_comment(post, author=CITIZEN, message="thứ 7 có làm việc không ạ?")
    daemon.poll_cycle()
    reply_id = queue_reply(
        sessions, comment, "public_comment", "Thứ 7 bộ phận một cửa làm việc buổi sáng ạ.", clock()
    )  # type: ignore[operator]
    assert sender(daemon).send_due() == 1
    assert sender(daemon).send_due() == 0
    sent = [e for e in world.sent_by_page(CAM) if e["kind"] == "comment"]
    assert [(e["target"], e["message"]) for e in sent] == [
        (comment, "Thứ 7 bộ phận một cửa làm việc buổi sáng ạ.")
    ]
    row = reply_row(sessions, reply_id)
    assert row.status == "sent"
    assert row.graph_id == sent[0]["id"]
    item = item_for(sessions, comment)
    assert item.status == "answered"
    with sessions.begin() as session:
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.item_id == item.id))
        )
    assert {"reply_created", "reply_sent", "status"} <= actions


def test_messenger_replies_use_the_24_hour_window_then_the_human_agent_tag(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    world.add_message(CAM, user=CITIZEN, message="ad ơi nhà em mất nước từ sáng")
    daemon.poll_cycle()
    (message_id,) = [e for s, e in _stored(sessions) if s == "facebook_message"]
    queue_reply(
        sessions, message_id, "messenger", "Xã đã báo công ty nước, chiều nay có lại ạ.", clock()
    )  # type: ignore[operator]
    sender(daemon).send_due()
    clock.advance(days=2)  # type: ignore[attr-defined]
    queue_reply(sessions, message_id, "messenger", "Nhà mình đã có nước chưa ạ?", clock())  # type: ignore[operator]
    sender(daemon).send_due()
    sent = [e for e in world.sent_by_page(CAM) if e["kind"] == "message"]
    assert [(e["messaging_type"], e["tag"]) for e in sent] == [
        ("RESPONSE", None),
        ("MESSAGE_TAG", "HUMAN_AGENT"),
    ]
    clock.advance(days=6)  # type: ignore[attr-defined]
    with pytest.raises(replies.ReplyRefusedError, match="quá 7 ngày"):
        queue_reply(sessions, message_id, "messenger", "Xin lỗi vì trả lời muộn", clock())  # type: ignore[operator]


def test_a_window_that_closes_while_a_reply_waits_fails_it_with_the_reason(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    world.add_message(CAM, user=CITIZEN, message="cho hỏi lịch tiêm")
    daemon.poll_cycle()
    (message_id,) = [e for s, e in _stored(sessions) if s == "facebook_message"]
    clock.advance(days=6, hours=23)  # type: ignore[attr-defined]
    reply_id = queue_reply(sessions, message_id, "messenger", "Lịch tiêm là thứ 4 ạ", clock())  # type: ignore[operator]
    clock.advance(hours=2)  # type: ignore[attr-defined]  # the daemon was down for two hours
    sender(daemon).send_due()
    row = reply_row(sessions, reply_id)
    assert row.status == "failed"
    assert "quá 7 ngày" in (row.error or "")
    assert not [e for e in world.sent_by_page(CAM) if e["kind"] == "message"]
    with sessions.begin() as session, pytest.raises(replies.ReplyRefusedError, match="từ chối hẳn"):
        replies.retry(session, session.get(Reply, reply_id), None, clock())  # type: ignore[arg-type, operator]


def test_only_one_private_reply_per_comment(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Hướng dẫn VNeID")
    comment = world.add_comment(post, author=CITIZEN, message="em bị khóa tài khoản VNeID rồi")
    daemon.poll_cycle()
    queue_reply(
        sessions,
        comment,
        "private_reply",
        "Bạn nhắn số điện thoại để công an xã hỗ trợ nhé",
        clock(),
    )  # type: ignore[operator]
    with pytest.raises(replies.ReplyRefusedError, match="một lần"):
        queue_reply(sessions, comment, "private_reply", "Nhắc lại ạ", clock())  # type: ignore[operator]
    sender(daemon).send_due()
    assert [e["target"] for e in world.sent_by_page(CAM) if e["kind"] == "private_reply"] == [
        comment
    ]


def test_a_revoked_token_fails_the_reply_in_plain_words(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: object
) -> None:
    post = world.add_post(CAM, message="Thông báo")
    comment = world.add_comment(post, author=CITIZEN, message="cảm ơn xã")
    daemon.poll_cycle()
    reply_id = queue_reply(sessions, comment, "public_comment", "Cảm ơn bạn", clock())  # type: ignore[operator]
    world.revoke_token(CAM)
    sender(daemon).send_due()
    row = reply_row(sessions, reply_id)
    assert row.status == "failed"
    assert "Mã truy cập trang không còn hiệu lực" in (row.error or "")
    with sessions.begin() as session:
        replies.retry(session, session.get(Reply, reply_id), None, clock())  # type: ignore[arg-type]
    assert reply_row(sessions, reply_id).status == "pending"


def test_a_send_whose_answer_was_lost_is_not_sent_again(
    world: World,
    daemon: Daemon,
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    clock: object,
) -> None:
    post = world.add_post(CAM, message="Thông báo")
    comment = world.add_comment(post, author=CITIZEN, message="đường ngõ 5 tối om")
    daemon.poll_cycle()
    reply_id = queue_reply(sessions, comment, "public_comment", "Xã đã báo điện lực", clock())  # type: ignore[operator]
    sim.faults.set(drop_rate=1.0)
    sender(daemon).send_due()
    sim.faults.clear()
    row = reply_row(sessions, reply_id)
    assert row.status == "unknown"
    assert "Kiểm tra trên trang" in (row.error or "")
    assert sender(daemon).send_due() == 0
    assert posts_to(sim, comment) == 1


def test_two_daemons_claiming_at_once_send_each_reply_once(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    post = world.add_post(CAM, message="Thông báo")
    comments = [world.add_comment(post, author=CITIZEN, message=f"câu hỏi {n}") for n in range(3)]
    daemon.poll_cycle()
    for comment in comments:
        queue_reply(sessions, comment, "public_comment", "Đã tiếp nhận", clock())
    with sessions.begin() as session:
        due = [reply_id for reply_id, _page, _kind in replies.due_targets(session, clock())]
    claims: dict[str, list[int]] = {}
    for owner in ("daemon-a", "daemon-b"):
        with sessions.begin() as session:
            claims[owner] = [
                r for r in due if replies.claim(session, r, owner, clock(), LEASE) is not None
            ]
    assert len(claims["daemon-a"]) == 3
    assert claims["daemon-b"] == []


def _stored(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions.begin() as session:
        rows = session.execute(select(Item.source, Item.external_id).where(Item.by_page.is_(False)))
        return [(s, e) for s, e in rows]


# -- at most once -----------------------------------------------------------------------------


class Killed(BaseException):
    """SIGKILL at this point: nothing after it runs, no except clause sees it."""


def posts_to(sim: GraphSimulator, comment: str) -> int:
    """POSTs that reached the Graph server for a reply under ``comment``."""
    return int(sim.stats.snapshot()["requests_by_path"].get(f"/{comment}/comments", 0))


def public_replies(world: World, comment: str) -> list[dict[str, Any]]:
    return [e for e in world.sent_by_page(CAM) if e["kind"] == "comment" and e["target"] == comment]


def actions(sessions: sessionmaker[Session], reply_id: int) -> list[tuple[str, int | None]]:
    with sessions.begin() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.user_id, AuditEntry.after).order_by(AuditEntry.id)
        ).all()
    return [
        (action, user)
        for action, user, after in rows
        if after and json.loads(after).get("reply_id") == reply_id
    ]


@pytest.fixture
def asked(world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any) -> Any:
    """A citizen's comment, polled, with the officer's public reply queued: (comment, reply)."""
    post = world.add_post(CAM, message="Thông báo lịch cắt điện")
    comment = world.add_comment(post, author=CITIZEN, message="thôn 4 mất điện cả ngày rồi")
    daemon.poll_cycle()
    reply_id = queue_reply(sessions, comment, "public_comment", "Điện lực đang sửa ạ", clock())
    return comment, reply_id


@contextmanager
def after_the_post(client: GraphClient, then: Callable[[], None]) -> Iterator[None]:
    """Run ``then`` once the real POST has been answered, before the sender sees the answer."""
    real = client.post

    def post(*args: Any, **kwargs: Any) -> GraphResponse:
        answer = real(*args, **kwargs)
        then()
        return answer

    client.post = post  # type: ignore[method-assign]
    try:
        yield
    finally:
        client.post = real  # type: ignore[method-assign]


def test_a_sender_killed_between_the_post_and_recording_it_never_posts_it_again(
    world: World,
    daemon: Daemon,
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    clock: Any,
    asked: tuple[str, int],
) -> None:
    comment, reply_id = asked

    def kill() -> None:
        raise Killed

    with after_the_post(daemon.client, kill), pytest.raises(Killed):
        sender(daemon, "daemon-a").send_due()
    assert len(public_replies(world, comment)) == 1  # Meta has it; our database does not
    other = sender(daemon, "daemon-b", GraphClient(daemon.settings.graph))
    assert other.send_due() == 0  # the lease still runs: still "sending"
    assert reply_row(sessions, reply_id).status == "sending"

    clock.advance(minutes=LEASE.total_seconds() / 60 + 1)
    assert other.send_due() == 0
    assert other.send_due() == 0
    row = reply_row(sessions, reply_id)
    assert row.status == "unknown"
    assert "Kiểm tra trên trang Facebook" in (row.error or "")
    assert len(public_replies(world, comment)) == 1
    assert posts_to(sim, comment) == 1
    assert ("reply_unknown", None) in actions(sessions, reply_id)
    with sessions.begin() as session:  # the officers hear of it like of a failed reply
        alerted = alert_state.failed_replies(session, clock() - timedelta(hours=1))
        assert [reply.id for reply, _item in alerted] == [reply_id]


class AnswerAfterApplying(HTTPAdapter):
    """The write reaches the Graph server and is applied; the client gets an error anyway,
    as from a gateway that gave up waiting (504) or Meta's own transient error."""

    def __init__(self, status: int, body: dict[str, Any] | None) -> None:
        super().__init__()
        self.status, self.body = status, body

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        real = super().send(request, **kwargs)
        if request.method != "POST":
            return real
        fake = requests.Response()
        fake.status_code, fake.request, fake.url = self.status, request, request.url or ""
        fake._content = json.dumps(self.body).encode() if self.body is not None else b""
        kind = "application/json" if self.body is not None else "text/html"
        fake.headers = CaseInsensitiveDict({"Content-Type": kind})
        return fake


IS_TRANSIENT = {"error": {"message": "retry later", "code": 2, "is_transient": True}}


@pytest.mark.parametrize(
    ("fault", "applied"),
    [
        ({"http_500_rate": 1.0}, False),  # 500 with is_transient, before applying
        ({"html_502_rate": 1.0}, False),  # a proxy's HTML 502
        (AnswerAfterApplying(504, None), True),  # 504, and yet the comment is on the Page
        (AnswerAfterApplying(500, IS_TRANSIENT), True),  # is_transient after applying
    ],
    ids=["500-is-transient", "502-html", "504-after-applying", "is-transient-after-applying"],
)
def test_a_post_answered_with_a_server_error_is_sent_once_and_shows_as_unknown(
    world: World,
    daemon: Daemon,
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    clock: Any,
    asked: tuple[str, int],
    fault: dict[str, float] | HTTPAdapter,
    applied: bool,
) -> None:
    comment, reply_id = asked
    if isinstance(fault, HTTPAdapter):
        daemon.client.http.mount(sim.base_url, fault)
    else:
        sim.faults.set(**fault)
    assert sender(daemon).send_due() == 0
    sim.faults.clear()
    daemon.client.http.mount(sim.base_url, HTTPAdapter())
    clock.advance(hours=1)
    assert sender(daemon).send_due() == 0
    assert posts_to(sim, comment) == 1
    assert len(public_replies(world, comment)) == (1 if applied else 0)
    row = reply_row(sessions, reply_id)
    assert row.status == "unknown"
    assert "Không rõ Facebook đã nhận hay chưa" in (row.error or "")


def test_an_officers_resend_of_an_unknown_reply_posts_it_exactly_once_more(
    world: World,
    daemon: Daemon,
    sim: GraphSimulator,
    sessions: sessionmaker[Session],
    clock: Any,
    asked: tuple[str, int],
) -> None:
    comment, reply_id = asked
    sim.faults.set(html_502_rate=1.0)
    sender(daemon).send_due()
    sim.faults.clear()
    assert public_replies(world, comment) == []  # the officer looked: not on the Page
    with sessions.begin() as session:
        replies.resend(session, session.get(Reply, reply_id), None, clock())  # type: ignore[arg-type]
    other = sender(daemon, "daemon-b", GraphClient(daemon.settings.graph))
    assert sender(daemon).send_due() + other.send_due() == 1
    assert sender(daemon).send_due() + other.send_due() == 0
    assert [e["message"] for e in public_replies(world, comment)] == ["Điện lực đang sửa ạ"]
    assert posts_to(sim, comment) == 2
    row = reply_row(sessions, reply_id)
    assert row.status == "sent" and row.graph_id == public_replies(world, comment)[0]["id"]
    assert ("reply_resend_checked", None) in actions(sessions, reply_id)
    with sessions.begin() as session, pytest.raises(replies.ReplyRefusedError):
        replies.resend(session, session.get(Reply, reply_id), None, clock())  # type: ignore[arg-type]


def test_a_claim_lost_to_another_daemon_does_not_overwrite_its_result(
    world: World,
    daemon: Daemon,
    sessions: sessionmaker[Session],
    clock: Any,
    asked: tuple[str, int],
) -> None:
    comment, reply_id = asked
    other = sender(daemon, "daemon-b", GraphClient(daemon.settings.graph))

    def meanwhile() -> None:
        # Daemon A's answer is late: its claim expires, B marks the reply unknown, the
        # officer finds nothing on the Page yet and resends it, B sends and records it.
        clock.advance(minutes=LEASE.total_seconds() / 60 + 1)
        assert other.send_due() == 0
        assert reply_row(sessions, reply_id).status == "unknown"
        with sessions.begin() as session:
            replies.resend(session, session.get(Reply, reply_id), None, clock())  # type: ignore[arg-type]
        assert other.send_due() == 1

    with after_the_post(daemon.client, meanwhile):
        assert sender(daemon, "daemon-a").send_due() == 0
    first, second = public_replies(world, comment)  # the officer chose to resend
    row = reply_row(sessions, reply_id)
    assert row.status == "sent"
    assert row.graph_id == second["id"] != first["id"]
    assert row.claimed_by is None
    sent = [a for a, _ in actions(sessions, reply_id) if a == "reply_sent"]
    assert sent == ["reply_sent"]


def test_a_late_answer_from_the_claim_owner_settles_an_unknown_reply(
    world: World,
    daemon: Daemon,
    sessions: sessionmaker[Session],
    clock: Any,
    asked: tuple[str, int],
) -> None:
    comment, reply_id = asked
    other = sender(daemon, "daemon-b", GraphClient(daemon.settings.graph))

    def slow() -> None:
        clock.advance(minutes=LEASE.total_seconds() / 60 + 1)
        other.send_due()  # nobody touched it since: B only marks it unknown

    with after_the_post(daemon.client, slow):
        assert sender(daemon, "daemon-a").send_due() == 1
    row = reply_row(sessions, reply_id)
    assert row.status == "sent"
    assert row.graph_id == public_replies(world, comment)[0]["id"]
    assert len(public_replies(world, comment)) == 1


def test_a_page_meta_has_paused_gets_no_reply_until_the_pause_ends_and_others_go_on(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    """Sending into a throttle only earns more refusals (and spends the reply's tries): a
    reply of a paused page waits unclaimed, one of another page leaves at once."""
    other = PAGES[2][0]
    asked = world.add_comment(
        world.add_post(CAM, message="Lịch tiếp dân"),
        author=CITIZEN,
        message="thứ 7 có làm việc không ạ?",
    )
    elsewhere = world.add_comment(
        world.add_post(other, message="Thông báo"), author=CITIZEN, message="đèn đường tổ 5 tắt"
    )
    daemon.poll_cycle()
    waiting = queue_reply(sessions, asked, "public_comment", "Có ạ, buổi sáng.", clock())
    going = queue_reply(sessions, elsewhere, "public_comment", "Đã chuyển điện lực.", clock())
    daemon.governor.throttled(CAM, 600, "pages")  # Meta stated 10 minutes for this page
    job = ReplySender(
        daemon.settings, daemon.sessions, daemon.client, daemon.clock, "t", daemon.governor
    )
    assert job.send_due() == 1
    assert reply_row(sessions, going).status == "sent"
    held = reply_row(sessions, waiting)
    assert (held.status, held.attempts, held.claimed_by) == ("pending", 0, None)
    assert not [e for e in world.sent_by_page(CAM) if e["kind"] == "comment"]
    clock.advance(minutes=11)
    assert job.send_due() == 1
    assert reply_row(sessions, waiting).status == "sent"

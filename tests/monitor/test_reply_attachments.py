"""Answers with proof: the daemon sends a reply's photo or file at most once, the way Meta
takes it (a comment's multipart ``source``, a Send API ``filedata`` message)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from monitor.errors import GraphError
from monitor.graph import GraphClient
from monitor.jobs import register_jobs, sweep_attachments
from monitor.replies import LEASE, ReplySender
from simulator import GraphSimulator, World
from storage import attachments, replies
from storage.tables import Item, ReplyAttachment
from tests.monitor.harness import PAGES, make_daemon, settings_for
from tests.monitor.test_replies import Killed, after_the_post, posts_to
from tests.proof_files import pdf, png

CAM = PAGES[0][0]
CITIZEN = ("8001", "Lê Thị Thu")
URL = "https://pakn.xa-a.gov.vn"


@pytest.fixture
def daemon(
    sim: GraphSimulator, sessions: sessionmaker[Session], clock: object, tmp_path: Path
) -> Daemon:
    settings = replace(settings_for(sim.base_url, "unused"), data_dir=str(tmp_path))
    return make_daemon(settings, sessions, clock=clock)


def sender(daemon: Daemon, owner: str = "test", client: GraphClient | None = None) -> ReplySender:
    client = client or daemon.client
    return ReplySender(daemon.settings, daemon.sessions, client, daemon.clock, owner)


def answer_with(
    daemon: Daemon, external_id: str, kind: str, text: str, files: list[tuple[str, bytes]]
) -> int:
    """What the web does: check the files, queue the reply, store them."""
    checked = attachments.check_all(files)
    with daemon.sessions.begin() as session:
        item = session.scalar(select(Item).where(Item.external_id == external_id))
        assert item is not None
        reply = replies.create_reply(session, item, kind, text, None, daemon.clock())
        folder = attachments.attachments_dir(daemon.settings)
        attachments.attach(session, reply, checked, folder, None, daemon.clock(), URL)
        return reply.id


def rows(sessions: sessionmaker[Session], reply_id: int) -> list[ReplyAttachment]:
    with sessions.begin() as session:
        return list(
            session.scalars(select(ReplyAttachment).where(ReplyAttachment.reply_id == reply_id))
        )


def sent(world: World, kind: str) -> list[dict[str, Any]]:
    return [e for e in world.sent_by_page(CAM) if e["kind"] == kind]


def test_a_public_reply_carries_its_photo_in_the_same_comment_once(
    world: World, daemon: Daemon, sessions: sessionmaker[Session]
) -> None:
    post = world.add_post(CAM, message="Thông báo sửa đường")
    comment = world.add_comment(post, author=CITIZEN, message="ổ gà ở thôn 3 sửa chưa ạ?")
    daemon.poll_cycle()
    photo = png()
    reply_id = answer_with(
        daemon, comment, "public_comment", "Đã vá xong ổ gà ạ.", [("da-va.png", photo)]
    )
    assert sender(daemon).send_due() == 1
    assert sender(daemon).send_due() == 0
    (entry,) = sent(world, "comment")
    assert entry["target"] == comment and entry["message"] == "Đã vá xong ổ gà ạ."
    assert entry["attachment"]["field"] == "source"
    assert entry["attachment"]["sha256"] == hashlib.sha256(photo).hexdigest()
    (row,) = rows(sessions, reply_id)
    assert (row.status, row.graph_id) == ("sent", entry["id"])


def test_a_sender_killed_after_posting_the_photo_never_posts_it_again(
    world: World, daemon: Daemon, sim: GraphSimulator, sessions: sessionmaker[Session], clock: Any
) -> None:
    post = world.add_post(CAM, message="Thông báo sửa đèn")
    comment = world.add_comment(post, author=CITIZEN, message="đèn thôn 2 hỏng")
    daemon.poll_cycle()
    reply_id = answer_with(daemon, comment, "public_comment", "Đã thay bóng ạ.", [("a.png", png())])

    def kill() -> None:
        raise Killed

    with after_the_post(daemon.client, kill), pytest.raises(Killed):
        sender(daemon, "daemon-a").send_due()
    restarted = sender(daemon, "daemon-b", GraphClient(daemon.settings.graph))
    assert restarted.send_due() == 0
    clock.advance(minutes=LEASE.total_seconds() / 60 + 1)
    assert restarted.send_due() == 0
    assert restarted.send_due() == 0
    assert posts_to(sim, comment) == 1
    assert len(sent(world, "comment")) == 1
    (row,) = rows(sessions, reply_id)
    assert row.status == "with_reply"  # its fate is the reply's: unknown, for an officer


def test_a_messenger_reply_sends_its_files_as_messages_of_their_own_once(
    world: World, daemon: Daemon, sessions: sessionmaker[Session]
) -> None:
    world.add_message(CAM, user=CITIZEN, message="ad ơi cho em xin quyết định hỗ trợ")
    daemon.poll_cycle()
    with sessions.begin() as session:
        message = session.scalar(select(Item.external_id).where(Item.source == "facebook_message"))
    assert message is not None
    reply_id = answer_with(
        daemon,
        message,
        "messenger",
        "Gửi bạn ảnh biên bản và quyết định ạ.",
        [("bien-ban.png", png()), ("quyet-dinh.pdf", pdf())],
    )
    assert sender(daemon).send_due() == 1
    assert sender(daemon).send_due() == 0
    messages = sent(world, "message")
    assert [e["message"] for e in messages] == ["Gửi bạn ảnh biên bản và quyết định ạ.", "", ""]
    assert [e["attachment"]["type"] for e in messages[1:]] == ["image", "file"]
    assert [e["attachment"]["field"] for e in messages[1:]] == ["filedata", "filedata"]
    assert [e["attachment"]["name"] for e in messages[1:]] == ["bien-ban.png", "quyet-dinh.pdf"]
    assert {r.status for r in rows(sessions, reply_id)} == {"sent"}


def test_a_file_whose_window_closed_is_not_sent_and_says_why(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    world.add_message(CAM, user=CITIZEN, message="ad ơi cho em xin biên bản")
    daemon.poll_cycle()
    with sessions.begin() as session:
        message = session.scalar(select(Item.external_id).where(Item.source == "facebook_message"))
    assert message is not None
    reply_id = answer_with(daemon, message, "messenger", "Biên bản đây ạ.", [("b.png", png())])
    clock.advance(hours=25)  # the text goes with the human agent tag; a file may not
    assert sender(daemon).send_due() == 1
    assert [e["message"] for e in sent(world, "message")] == ["Biên bản đây ạ."]
    (row,) = rows(sessions, reply_id)
    assert row.status == "failed" and "24 giờ" in (row.error or "")


class FilesRefused(GraphClient):
    """Facebook certainly did not take the file (no connection, a throttle): every Send API
    request carrying ``filedata`` fails before reaching Meta while ``refusing`` is set."""

    def __init__(self, client: GraphClient, error: GraphError) -> None:
        super().__init__(client.settings)
        self.error, self.refusing, self.file_posts = error, True, 0

    def post(self, path: str, token: str, **kw: Any) -> Any:
        if kw.get("files") and "filedata" in kw["files"]:
            self.file_posts += 1
            if self.refusing:
                raise self.error
        return super().post(path, token, **kw)


def messenger_answer_with_a_photo(world: World, daemon: Daemon, sessions: Any) -> int:
    world.add_message(CAM, user=CITIZEN, message="ad ơi cho em xin ảnh biên bản")
    daemon.poll_cycle()
    with sessions.begin() as session:
        message = session.scalar(select(Item.external_id).where(Item.source == "facebook_message"))
    assert message is not None
    return answer_with(daemon, message, "messenger", "Biên bản đây ạ.", [("b.png", png())])


def test_a_file_that_failed_for_a_passing_reason_waits_longer_before_each_of_its_five_tries(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    reply_id = messenger_answer_with_a_photo(world, daemon, sessions)
    client = FilesRefused(daemon.client, GraphError("transient", message="connection refused"))
    daemon_sender = sender(daemon, client=client)
    assert daemon_sender.send_due() == 1  # the text went; the photo did not
    assert client.file_posts == 1
    for wait_minutes in (1, 2, 4, 8):  # the reply sender's pacing: 60 s · 2^attempts
        (row,) = rows(sessions, reply_id)
        assert row.status == "pending" and "tự gửi lại" in (row.error or "")
        assert row.next_attempt_at == clock() + timedelta(minutes=wait_minutes)
        tries = client.file_posts
        daemon_sender.send_due()  # the next daemon rounds come before the time: nothing
        clock.advance(minutes=wait_minutes, seconds=-1)
        daemon_sender.send_due()
        assert client.file_posts == tries
        clock.advance(seconds=1)
        daemon_sender.send_due()
        assert client.file_posts == tries + 1
    (row,) = rows(sessions, reply_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 5, None)
    clock.advance(hours=6)
    daemon_sender.send_due()
    assert client.file_posts == 5
    assert [e["message"] for e in sent(world, "message")] == ["Biên bản đây ạ."]


def test_a_throttled_file_waits_the_time_meta_stated_and_then_goes_once(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    reply_id = messenger_answer_with_a_photo(world, daemon, sessions)
    throttled = GraphError("throttled", code=613, retry_after_seconds=1800, message="slow down")
    client = FilesRefused(daemon.client, throttled)
    daemon_sender = sender(daemon, client=client)
    daemon_sender.send_due()
    client.refusing = False
    clock.advance(minutes=29)
    daemon_sender.send_due()
    assert client.file_posts == 1
    clock.advance(minutes=1)
    daemon_sender.send_due()
    daemon_sender.send_due()
    assert client.file_posts == 2
    (row,) = rows(sessions, reply_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("sent", 2, None)
    assert [e["attachment"]["name"] for e in sent(world, "message")[1:]] == ["b.png"]


def test_a_file_of_a_page_meta_has_paused_waits_unclaimed_until_the_pause_ends(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    """A file goes as a Messenger message of its own: while Meta has paused the page's
    messages, sending it would only spend its tries on refusals."""
    reply_id = messenger_answer_with_a_photo(world, daemon, sessions)
    client = FilesRefused(daemon.client, GraphError("transient", message="connection refused"))
    paced = ReplySender(
        daemon.settings, daemon.sessions, client, daemon.clock, "test", daemon.governor
    )
    assert paced.send_due() == 1  # the text went; the photo waits a minute
    client.refusing = False
    daemon.governor.throttled(CAM, 600, "messenger")  # Meta stated 10 minutes
    clock.advance(minutes=2)
    paced.send_due()
    assert client.file_posts == 1
    (row,) = rows(sessions, reply_id)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
    clock.advance(minutes=9)
    paced.send_due()
    paced.send_due()
    assert client.file_posts == 2
    (row,) = rows(sessions, reply_id)
    assert row.status == "sent"
    assert [e["attachment"]["name"] for e in sent(world, "message")[1:]] == ["b.png"]


def test_the_daemon_sweeps_every_hour_the_files_no_reply_names(
    world: World, daemon: Daemon, sessions: sessionmaker[Session], clock: Any
) -> None:
    reply_id = messenger_answer_with_a_photo(world, daemon, sessions)
    (row,) = rows(sessions, reply_id)
    kept = attachments.path_of(attachments.attachments_dir(daemon.settings), row)
    orphan = kept.parent / "0f0f0f0f.png"  # a web process killed before its commit
    orphan.write_bytes(png())
    day_old = (clock() - timedelta(days=2)).timestamp()
    for path in (kept, orphan):
        os.utime(path, (day_old, day_old))
    register_jobs(daemon)
    (job,) = [j for j in daemon.jobs if j.name == "attachment_sweep"]
    assert job.every_seconds == 3600
    job.run()
    assert not orphan.exists() and kept.read_bytes() == png()
    assert sweep_attachments(daemon) == 0

"""A reply that did not go out tells the officer, in Vietnamese, what happened and what to do;
Meta's English message stays in the log."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from monitor.errors import GraphError, classify_error
from monitor.replies import MAYBE_SENT_VI, reply_failure_vi
from simulator import GraphSimulator, World
from tests.monitor.harness import make_daemon, settings_for
from tests.monitor.test_replies import CAM, CITIZEN, queue_reply, reply_row, sender

ENGLISH = ("transient", "throttled", "permanent", "token", "fbtrace", "maybe sent", "Error")


@pytest.fixture
def daemon(sim: GraphSimulator, sessions: sessionmaker[Session], clock: object) -> Daemon:
    return make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)


def graph_error(code: int, subcode: int | None = None, status: int = 400) -> GraphError:
    body = {
        "error": {
            "message": f"(#{code}) Something Meta says in English",
            "code": code,
            "error_subcode": subcode,
            "fbtrace_id": "AbC123",
        }
    }
    return classify_error(status, body, {})


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (graph_error(190), "Mã truy cập trang không còn hiệu lực"),
        (graph_error(100, 33), "không còn trên Facebook"),
        (graph_error(10, 2018278), "Đã quá thời gian Facebook cho phép"),
        (graph_error(551), "không nhận tin nhắn của trang"),
        (graph_error(200), "quyền gửi loại trả lời này"),
        (graph_error(368), "tạm chặn trang"),
        (graph_error(100), "Facebook từ chối trả lời này"),
        (graph_error(2, status=500), "sau nhiều lần thử"),
        (graph_error(4), "giới hạn số lần gửi"),
    ],
)
def test_each_kind_of_graph_error_is_one_sentence_that_says_what_to_do(
    error: GraphError, words: str
) -> None:
    sentence = reply_failure_vi(error)
    assert words in sentence
    assert sentence.endswith(
        f"(Mã lỗi Facebook: {error.code}"
        + (f"/{error.subcode}.)" if error.subcode is not None else ".)")
    )
    assert not any(word in sentence for word in ENGLISH), sentence
    assert any(verb in sentence for verb in ("bấm", "Báo", "Liên hệ", "Gọi", "Sửa", "Nếu"))


def test_a_retry_on_the_way_says_nothing_needs_doing_and_a_maybe_sent_says_check_the_page() -> None:
    assert "không cần làm gì" in reply_failure_vi(graph_error(2, status=500), retrying=True)
    unsure = graph_error(2, status=504)
    unsure.maybe_sent = True
    assert reply_failure_vi(unsure).startswith(MAYBE_SENT_VI)


def test_a_revoked_token_is_stored_in_words_and_logged_in_metas(
    world: World,
    daemon: Daemon,
    sessions: sessionmaker[Session],
    clock: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    post = world.add_post(CAM, message="Thông báo")
    comment = world.add_comment(post, author=CITIZEN, message="cảm ơn xã")
    daemon.poll_cycle()
    reply_id = queue_reply(sessions, comment, "public_comment", "Cảm ơn bạn", clock())  # type: ignore[operator]
    world.revoke_token(CAM)
    with caplog.at_level(logging.WARNING, logger="pakn.monitor"):
        sender(daemon).send_due()
    error = reply_row(sessions, reply_id).error or ""
    assert error.startswith("Mã truy cập trang không còn hiệu lực")
    assert not any(word in error for word in ENGLISH), error
    assert any("token #190" in r.getMessage() for r in caplog.records)

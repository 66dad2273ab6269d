"""Sends officers' replies with the page token (only the daemon holds tokens).

At most once, like healthchecks' sendalerts: the reply is marked as being sent (claimed, and
committed) before the POST, and nothing ever picks up a reply left in ``sending``. If this
daemon dies between the POST and writing down Facebook's answer, the next run finds the claim
expired and marks the reply ``unknown`` for an officer to check on the Page, instead of posting
the public answer a second time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from monitor.errors import GraphError
from monitor.graph import GraphClient
from storage import replies as queue
from storage.tables import Conversation, Item, Reply

log = logging.getLogger("pakn.monitor")
# Longer than one POST can take (no retries for writes; timeout_seconds per attempt).
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
STALE_REASON = (
    "Không rõ đã gửi chưa: chương trình nền dừng giữa lúc gửi, trước khi ghi nhận câu trả lời "
    "của Facebook. Kiểm tra trên trang Facebook; nếu chưa có trả lời này, bấm "
    '"Tôi đã kiểm tra, chưa có trên trang: gửi lại".'
)
MAYBE_SENT_HINT = (
    '. Nếu trên trang chưa có trả lời này, bấm "Tôi đã kiểm tra, chưa có trên trang: gửi lại".'
)


@dataclass(frozen=True)
class _Ready:
    plan: queue.SendPlan
    token: str


class ReplySender:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        client: GraphClient,
        clock: Callable[[], datetime],
        owner: str,
    ) -> None:
        self.settings, self.sessions, self.client, self.clock, self.owner = (
            settings,
            sessions,
            client,
            clock,
            owner,
        )

    def send_due(self) -> int:
        """Mark stale sends unknown, then claim and send each due reply; returns how many sent."""
        with self.sessions.begin() as session:
            for reply in queue.expire_stale(session, self.clock(), STALE_REASON):
                log.warning(
                    "trả lời %s bị bỏ dở khi đang gửi (%s): không rõ đã gửi chưa, chờ cán bộ "
                    "kiểm tra trên trang",
                    reply.id,
                    reply.claimed_by,
                )
        with self.sessions.begin() as session:
            due = queue.due(session, self.clock())
        return sum(self._send_one(reply_id) for reply_id in due)

    def _send_one(self, reply_id: int) -> bool:
        with self.sessions.begin() as session:
            reply = queue.claim(session, reply_id, self.owner, self.clock(), LEASE)
            if reply is None:
                return False  # another daemon took it first
            ready = self._prepare(session, reply)
        if ready is None:
            return False
        # The claim is committed: from here on, a crash leaves the reply in "sending".
        try:
            resp = self.client.post(
                ready.plan.path,
                ready.token,
                data=ready.plan.form,
                json_body=ready.plan.json_body,
            )
        except GraphError as err:
            self._failed(reply_id, err)
            return False
        graph_id = resp.data.get("id") or resp.data.get("message_id")
        graph_id = str(graph_id) if graph_id else None
        with self.sessions.begin() as session:
            recorded = queue.record_sent(session, reply_id, self.owner, graph_id, self.clock())
        if not recorded:
            self._claim_lost(reply_id, f"đã gửi, mã {graph_id}")
            return False
        log.info("đã gửi trả lời %s (%s)", reply_id, ready.plan.path.split("/")[-1])
        return True

    def _prepare(self, session: Session, reply: Reply) -> _Ready | None:
        """The request to send, or None after failing the (claimed) reply with the reason."""
        now = self.clock()
        item = session.get(Item, reply.item_id)
        page = self.settings.page(item.page_id or "") if item is not None else None
        if item is None or page is None:
            reason = "Trang của mục này không còn trong cấu hình; thêm lại trang vào pakn.yaml."
            queue.mark_failed(session, reply, reason, now)
            return None
        conv = session.get(Conversation, item.thread_id) if item.thread_id else None
        try:
            plan = queue.plan(item, reply.kind, reply.text, conv, now)
        except queue.ReplyRefusedError as exc:
            # The rules refuse this reply as written: sending it again cannot help.
            queue.mark_failed(session, reply, str(exc), now, permanent=True)
            return None
        return _Ready(plan, page.access_token.reveal())

    def _failed(self, reply_id: int, err: GraphError) -> None:
        now = self.clock()
        with self.sessions.begin() as session:
            reply = session.get(Reply, reply_id)
            if reply is None:
                return
            if err.maybe_sent:
                # The request may have reached Meta: sending again could post the answer twice.
                reason = err.reason_vi() + MAYBE_SENT_HINT
                done = queue.record_unknown(session, reply_id, self.owner, reason, now)
            elif err.kind in ("transient", "throttled") and reply.attempts + 1 < MAX_ATTEMPTS:
                # Certainly not sent (no connection, or Meta throttled it): try again later.
                wait = timedelta(seconds=err.retry_after_seconds or 60 * 2**reply.attempts)
                done = queue.record_failed(
                    session, reply_id, self.owner, err.reason_vi(), now, retry_at=now + wait
                )
            else:
                permanent = err.kind == "permanent"
                done = queue.record_failed(
                    session, reply_id, self.owner, err.reason_vi(), now, permanent=permanent
                )
        if not done:
            self._claim_lost(reply_id, err.short())

    def _claim_lost(self, reply_id: int, outcome: str) -> None:
        # Someone else owns the reply now (an officer resent it, another daemon claimed it):
        # their state stands; Facebook's answer to our request only goes to the log.
        log.warning(
            "trả lời %s: kết quả đến khi không còn giữ quyền gửi (%s); không ghi đè trạng thái "
            "hiện tại, kiểm tra trên trang Facebook",
            reply_id,
            outcome,
        )

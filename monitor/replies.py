"""Sends officers' replies with the page token (only the daemon holds tokens)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from monitor.errors import GraphError
from monitor.graph import GraphClient
from storage import replies as queue
from storage.tables import Conversation, Item, Reply

log = logging.getLogger("pakn.monitor")
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5


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
        """Send every claimed reply; returns how many were sent."""
        with self.sessions.begin() as session:
            claimed = queue.claim_due(session, self.owner, self.clock(), LEASE)
        return sum(self._send_one(reply_id) for reply_id in claimed)

    def _send_one(self, reply_id: int) -> bool:
        with self.sessions.begin() as session:
            reply = session.get(Reply, reply_id)
            item = session.get(Item, reply.item_id) if reply else None
            if reply is None or item is None:
                return False
            page = self.settings.page(item.page_id or "")
            if page is None:
                queue.mark_failed(
                    session,
                    reply,
                    "Trang của mục này không còn trong cấu hình; thêm lại trang vào pakn.yaml.",
                    self.clock(),
                )
                return False
            conv = session.get(Conversation, item.thread_id) if item.thread_id else None
            try:
                plan = queue.plan(item, reply.kind, reply.text, conv, self.clock())
            except queue.ReplyRefusedError as exc:
                queue.mark_failed(session, reply, str(exc), self.clock())
                return False
        try:
            resp = self.client.post(
                plan.path, page.access_token.reveal(), data=plan.form, json_body=plan.json_body
            )
        except GraphError as err:
            self._failed(reply_id, err)
            return False
        graph_id = resp.data.get("id") or resp.data.get("message_id")
        with self.sessions.begin() as session:
            reply = session.get(Reply, reply_id)
            if reply is not None:
                queue.mark_sent(session, reply, str(graph_id) if graph_id else None, self.clock())
        log.info("đã gửi trả lời %s (%s)", reply_id, plan.path.split("/")[-1])
        return True

    def _failed(self, reply_id: int, err: GraphError) -> None:
        now = self.clock()
        with self.sessions.begin() as session:
            reply = session.get(Reply, reply_id)
            if reply is None:
                return
            if err.kind == "transient" and err.maybe_sent:
                # The request may have reached Meta: sending again could post the answer twice.
                reason = (
                    "Không rõ Facebook đã nhận trả lời hay chưa (mất kết nối giữa chừng). "
                    "Kiểm tra trên trang; nếu chưa có, bấm Gửi lại."
                )
                queue.mark_failed(session, reply, reason, now)
            elif err.kind in ("transient", "throttled") and reply.attempts + 1 < MAX_ATTEMPTS:
                wait = timedelta(seconds=err.retry_after_seconds or 60 * 2**reply.attempts)
                queue.mark_failed(session, reply, err.reason_vi(), now, retry_at=now + wait)
            else:
                queue.mark_failed(session, reply, err.reason_vi(), now)

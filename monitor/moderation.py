"""Hides (or shows again) citizens' comments on the Page, as officers asked, at most once.

``POST /{comment-id}`` with ``is_hidden=true|false`` and the page token. Like the reply sender
(monitor/replies.py): the request is claimed and committed before the POST, nothing picks up a
request left in ``sending``, and a POST whose outcome is unknown is never sent again by the
daemon (the Graph client never retries a write that may have reached Meta): an officer looks
at the Page and settles it (storage.moderation.confirm).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from monitor.errors import GraphError
from monitor.governor import Governor
from monitor.graph import GraphClient
from storage import moderation as queue
from storage.tables import Item, ModerationRequest

log = logging.getLogger("pakn.monitor")
LEASE = timedelta(minutes=5)
SEND_BATCH = 20  # sends per run, as many as before the pause check
MAX_ATTEMPTS = 5
EVERY_SECONDS = 15
STALE_REASON = (
    "Không rõ Facebook đã thực hiện chưa: chương trình nền dừng giữa lúc gửi. Mở bình luận "
    "trên trang Facebook để xem nó đang ẩn hay hiện, rồi bấm nút tương ứng trên trang mục."
)
MAYBE_HINT = ". Mở bình luận trên trang Facebook để xem nó đang ẩn hay hiện, rồi xác nhận."


class ModerationSender:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        client: GraphClient,
        clock: Callable[[], datetime],
        owner: str,
        governor: Governor | None = None,
    ) -> None:
        self.settings, self.sessions, self.client = settings, sessions, client
        self.clock, self.owner = clock, owner
        # A page Meta has paused gets no hide/unhide until the pause ends (its tries are kept).
        self.governor = governor

    def send_due(self) -> int:
        """Mark stale sends unknown, then claim and send each pending request; how many done."""
        with self.sessions.begin() as session:
            for found in queue.expire_stale(session, self.clock(), STALE_REASON):
                log.warning(
                    "yêu cầu ẩn/hiện %s bị bỏ dở khi đang gửi: chờ cán bộ kiểm tra", found.id
                )
        with self.sessions.begin() as session:
            targets = queue.due_targets(session)
        held = self.governor.holds if self.governor is not None else lambda _page: False
        due = [request_id for request_id, page_id in targets if not held(page_id)][:SEND_BATCH]
        return sum(self._send_one(request_id) for request_id in due)

    def _send_one(self, request_id: int) -> bool:
        with self.sessions.begin() as session:
            found = queue.claim(session, request_id, self.owner, self.clock(), LEASE)
            if found is None:
                return False  # another daemon took it first
            ready = self._prepare(session, found)
        if ready is None:
            return False
        path, token, hidden = ready
        # The claim is committed: from here on, a crash leaves the request in "sending".
        try:
            self.client.post(path, token, data={"is_hidden": "true" if hidden else "false"})
        except GraphError as err:
            self._failed(request_id, err)
            return False
        with self.sessions.begin() as session:
            recorded = queue.record_done(session, request_id, self.owner, self.clock())
        if not recorded:
            log.warning("yêu cầu ẩn/hiện %s: kết quả đến khi không còn giữ quyền gửi", request_id)
            return False
        log.info("đã %s bình luận %s", "ẩn" if hidden else "hiện lại", path)
        return True

    def _prepare(self, session: Session, found: ModerationRequest) -> tuple[str, str, bool] | None:
        item = session.get(Item, found.item_id)
        page = self.settings.page(item.page_id or "") if item is not None else None
        if item is None or page is None:
            reason = "Trang của mục này không còn trong cấu hình; thêm lại trang vào pakn.yaml."
            queue.mark_failed(session, found, reason, self.clock())
            return None
        return item.external_id, page.access_token.reveal(), found.action == "hide"

    def _failed(self, request_id: int, err: GraphError) -> None:
        now = self.clock()
        with self.sessions.begin() as session:
            found = session.get(ModerationRequest, request_id)
            if found is None:
                return
            if err.maybe_sent:
                reason = err.reason_vi() + MAYBE_HINT
                done = queue.record_unknown(session, request_id, self.owner, reason, now)
            elif err.kind in ("transient", "throttled") and found.attempts + 1 < MAX_ATTEMPTS:
                # Certainly not applied (no connection, or Meta throttled it): the next cycle
                # tries again.
                done = queue.record_failed(
                    session, request_id, self.owner, err.reason_vi(), now, retry_at=now
                )
            else:
                done = queue.record_failed(session, request_id, self.owner, err.reason_vi(), now)
        if not done:
            log.warning("yêu cầu ẩn/hiện %s: lỗi đến khi không còn giữ quyền gửi", request_id)

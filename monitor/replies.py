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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from monitor.errors import GraphError
from monitor.governor import Governor, UsageType
from monitor.graph import FileUpload, GraphClient
from storage import attachment_sends as files
from storage import replies as queue
from storage.attachments import attachments_dir
from storage.tables import Conversation, Item, Reply, ReplyAttachment

log = logging.getLogger("pakn.monitor")
# Longer than one POST can take (no retries for writes; timeout_seconds per attempt).
LEASE = timedelta(minutes=5)
SEND_BATCH = 20  # sends per run, as many as before the pause check
MAX_ATTEMPTS = 5
STALE_REASON = (
    "Không rõ đã gửi chưa: chương trình nền dừng giữa lúc gửi, trước khi ghi nhận câu trả lời "
    "của Facebook. Kiểm tra trên trang Facebook; nếu chưa có trả lời này, bấm "
    '"Tôi đã kiểm tra, chưa có trên trang: gửi lại".'
)
# What an officer reads under a reply that did not go out: one sentence per kind of Graph error,
# saying what happened and what to do, in plain Vietnamese. Meta's own (English) message goes to
# the log; the officer gets Facebook's error number only, for the administrator.
_RESEND = "“Gửi lại”"
_CHECKED_RESEND = "“Tôi đã kiểm tra, chưa có trên trang: gửi lại”"
MAYBE_SENT_VI = (
    "Không rõ Facebook đã nhận hay chưa: kết nối bị ngắt hoặc máy chủ báo lỗi khi trả lời có thể "
    "đã tới nơi, nên hệ thống không tự gửi lại để tránh đăng hai lần. Kiểm tra trên trang "
    f"Facebook: nếu chưa có trả lời này, bấm {_CHECKED_RESEND}."
)
_RETRYING_VI = {
    "transient": "Facebook tạm thời không phản hồi (lỗi mạng hoặc máy chủ). Hệ thống tự gửi lại "
    "sau ít phút; không cần làm gì.",
    "throttled": "Facebook đang giới hạn số lần gửi của trang. Hệ thống tự gửi lại khi được phép; "
    "không cần làm gì.",
}
_FAILED_VI = {
    "transient": "Facebook không phản hồi sau nhiều lần thử. Đợi ít phút rồi bấm "
    f"{_RESEND}; nếu vẫn lỗi, báo quản trị viên kiểm tra kết nối mạng của máy chủ.",
    "throttled": "Facebook vẫn giới hạn số lần gửi của trang sau nhiều lần thử. Đợi khoảng một "
    f"giờ rồi bấm {_RESEND}.",
    "token": "Mã truy cập trang không còn hiệu lực (hết hạn hoặc bị thu hồi) nên trả lời chưa "
    "được gửi. Báo quản trị viên kết nối lại trang và cập nhật mã truy cập trong cấu hình, rồi "
    f"bấm {_RESEND}.",
    "permanent": "Facebook từ chối trả lời này. Sửa nội dung (bỏ đường dẫn, bớt chữ in hoa hay "
    "nội dung lặp lại) rồi viết trả lời mới; nếu vẫn bị từ chối, báo quản trị viên kèm mã lỗi.",
}
_GONE_VI = (
    "Bình luận hoặc bài viết này không còn trên Facebook (đã bị xoá, bị ẩn hoặc trang không còn "
    "quyền xem) nên không trả lời được. Nếu cần, liên hệ người dân qua Messenger hoặc điện thoại."
)
_NOT_ALLOWED_VI = (
    "Trang chưa cho hệ thống quyền gửi loại trả lời này. Báo quản trị viên cấp lại quyền cho "
    "ứng dụng (pages_manage_engagement, pages_messaging); trong lúc chờ, chọn cách trả lời khác."
)
_WINDOW_VI = (
    "Đã quá thời gian Facebook cho phép trang nhắn lại người dân này. Gọi điện cho người dân, "
    "hoặc chờ họ nhắn tiếp cho trang rồi trả lời ngay."
)
_UNREACHABLE_VI = (
    "Người dân này hiện không nhận tin nhắn của trang (đã chặn trang hoặc khoá tài khoản). "
    "Liên hệ qua bình luận công khai, điện thoại hoặc đường dây nóng."
)
_BLOCKED_VI = (
    "Facebook đang tạm chặn trang gửi trả lời vì nghi vi phạm chính sách (thường do nhiều trả lời "
    f"giống hệt nhau). Sửa cho nội dung khác các trả lời trước, đợi vài giờ rồi bấm {_RESEND}."
)
_FILE_MISSING_VI = (
    "Không đọc được tệp đính kèm trên máy chủ (tệp đã bị xoá hoặc thư mục dữ liệu đổi chỗ). "
    "Báo quản trị viên kiểm tra thư mục dữ liệu, rồi viết trả lời mới kèm lại tệp."
)
_PERMISSION_CODES = frozenset({10, 200, 230, 283, 299})
_WINDOW_SUBCODES = frozenset({2018278, 2018108, 1545041})
_UNREACHABLE_CODES = frozenset({551})


def reply_failure_vi(err: GraphError, *, retrying: bool = False) -> str:
    """What an officer reads under a reply that did not go out, for each kind of Graph error."""
    sentence = _reply_sentence(err, retrying)
    if err.code is None:
        return sentence
    number = f"{err.code}/{err.subcode}" if err.subcode is not None else str(err.code)
    return f"{sentence} (Mã lỗi Facebook: {number}.)"


def _reply_sentence(err: GraphError, retrying: bool) -> str:
    if err.maybe_sent:
        return MAYBE_SENT_VI
    if err.code == 368:
        return _BLOCKED_VI
    if retrying and err.kind in _RETRYING_VI:
        return _RETRYING_VI[err.kind]
    if err.kind != "permanent":
        return _FAILED_VI[err.kind]
    if err.object_missing:
        return _GONE_VI
    if err.subcode in _WINDOW_SUBCODES:
        return _WINDOW_VI
    if err.code in _UNREACHABLE_CODES or err.subcode == 2018001:
        return _UNREACHABLE_VI
    if err.code in _PERMISSION_CODES:
        return _NOT_ALLOWED_VI
    return _FAILED_VI["permanent"]


def _retry_wait(err: GraphError, attempts: int) -> timedelta:
    """How long a send Facebook certainly did not take waits before its next try: Meta's stated
    time, else 1, 2, 4, 8 minutes after the 1st, 2nd, 3rd, 4th failure."""
    return timedelta(seconds=err.retry_after_seconds or 60 * 2**attempts)


@dataclass(frozen=True)
class _Ready:
    plan: queue.SendPlan
    token: str
    files: dict[str, FileUpload] | None = None


def _read(part: queue.FilePart | None) -> dict[str, FileUpload] | None:
    """The multipart file of a plan, read now; OSError when it is gone."""
    if part is None:
        return None
    return {part.field: (part.name, Path(part.path).read_bytes(), part.content_type)}


class ReplySender:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        client: GraphClient,
        clock: Callable[[], datetime],
        owner: str,
        governor: Governor | None = None,
    ) -> None:
        self.settings, self.sessions, self.client, self.clock, self.owner = (
            settings,
            sessions,
            client,
            clock,
            owner,
        )
        self.files_dir = attachments_dir(settings)
        # The daemon's governor: a page Meta has paused (or the whole app) gets no reply until
        # the pause ends; the reply waits, unclaimed, and the others go on.
        self.governor = governor

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
            for row in files.expire_stale(session, self.clock(), STALE_REASON):
                log.warning("tệp %s bị bỏ dở khi đang gửi: không rõ đã gửi chưa", row.id)
        with self.sessions.begin() as session:
            targets = queue.due_targets(session, self.clock())
        due = [r for r, page_id, kind in targets if not self._paused(page_id, kind)][:SEND_BATCH]
        sent = sum(self._send_one(reply_id) for reply_id in due)
        with self.sessions.begin() as session:
            waiting = files.due(session, self.clock())
        # A file goes as a Messenger message of its own: it waits out a pause like a message.
        ready = [row_id for row_id, page_id in waiting if not self._paused(page_id, "messenger")]
        for row_id in ready[:SEND_BATCH]:
            self._send_file(row_id)
        return sent

    def _paused(self, page_id: str | None, kind: str) -> bool:
        # A comment reply counts against the page's budget, a message against Messenger's.
        usage: UsageType = "pages" if kind == "public_comment" else "messenger"
        return self.governor is not None and self.governor.holds(page_id, usage)

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
                files=ready.files,
            )
        except GraphError as err:
            self._failed(reply_id, err)
            return False
        graph_id = resp.data.get("id") or resp.data.get("message_id")
        graph_id = str(graph_id) if graph_id else None
        with self.sessions.begin() as session:
            recorded = queue.record_sent(session, reply_id, self.owner, graph_id, self.clock())
            if recorded:  # a photo carried by the comment went with it
                files.settle_with_reply(session, reply_id, graph_id, self.clock())
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
        photo = files.comment_photo(session, reply.id) if reply.kind == "public_comment" else None
        if photo is not None:
            # Meta's comment edge takes the photo as a multipart ``source`` with the message.
            plan = replace(plan, upload=files.part(self.files_dir, photo, "source"))
        try:
            upload = _read(plan.upload)
        except OSError:
            queue.mark_failed(session, reply, _FILE_MISSING_VI, now, permanent=True)
            return None
        return _Ready(plan, page.access_token.reveal(), upload)

    def _send_file(self, row_id: int) -> bool:
        """One file of a sent Messenger reply, as a message of its own, at most once."""
        with self.sessions.begin() as session:
            row = files.claim(session, row_id, self.owner, self.clock(), LEASE)
            if row is None:
                return False
            ready = self._prepare_file(session, row)
        if ready is None:
            return False
        try:
            resp = self.client.post(
                ready.plan.path, ready.token, data=ready.plan.form, files=ready.files
            )
        except GraphError as err:
            self._file_failed(row_id, err)
            return False
        graph_id = resp.data.get("message_id") or resp.data.get("id")
        with self.sessions.begin() as session:
            done = files.record(
                session,
                row_id,
                self.owner,
                self.clock(),
                status="sent",
                graph_id=str(graph_id) if graph_id else None,
            )
        if not done:
            self._claim_lost(row_id, f"tệp đã gửi, mã {graph_id}")
        return done

    def _prepare_file(self, session: Session, row: ReplyAttachment) -> _Ready | None:
        now = self.clock()
        try:
            plan, page_id = files.message_plan(session, row, self.files_dir, now)
            page = self.settings.page(page_id)
            if page is None:
                raise queue.ReplyRefusedError("Trang của mục này không còn trong cấu hình.")
            upload = _read(plan.upload)
        except queue.ReplyRefusedError as exc:
            files.fail_claimed(session, row, str(exc), now)
            return None
        except OSError:
            files.fail_claimed(session, row, _FILE_MISSING_VI, now)
            return None
        return _Ready(plan, page.access_token.reveal(), upload)

    def _file_failed(self, row_id: int, err: GraphError) -> None:
        log.warning("tệp %s không gửi được: %s", row_id, err.short())
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.get(ReplyAttachment, row_id)
            attempts = row.attempts if row is not None else MAX_ATTEMPTS
            retry_at = None
            if err.maybe_sent:
                status = "unknown"
            elif err.kind in ("transient", "throttled") and attempts + 1 < MAX_ATTEMPTS:
                # Certainly not sent: try again later, paced like a reply (_failed).
                status, retry_at = "pending", now + _retry_wait(err, attempts)
            else:
                status = "failed"
            reason = reply_failure_vi(err, retrying=status == "pending")
            done = files.record(
                session, row_id, self.owner, now, status=status, error=reason, retry_at=retry_at
            )
        if not done:
            self._claim_lost(row_id, err.short())

    def _failed(self, reply_id: int, err: GraphError) -> None:
        now = self.clock()
        log.warning("trả lời %s không gửi được: %s", reply_id, err.short())
        with self.sessions.begin() as session:
            reply = session.get(Reply, reply_id)
            if reply is None:
                return
            if err.maybe_sent:
                # The request may have reached Meta: sending again could post the answer twice.
                reason = reply_failure_vi(err)
                done = queue.record_unknown(session, reply_id, self.owner, reason, now)
            elif err.kind in ("transient", "throttled") and reply.attempts + 1 < MAX_ATTEMPTS:
                # Certainly not sent (no connection, or Meta throttled it): try again later.
                reason = reply_failure_vi(err, retrying=True)
                retry_at = now + _retry_wait(err, reply.attempts)
                done = queue.record_failed(
                    session, reply_id, self.owner, reason, now, retry_at=retry_at
                )
            else:
                permanent = err.kind == "permanent"
                reason = reply_failure_vi(err)
                done = queue.record_failed(
                    session, reply_id, self.owner, reason, now, permanent=permanent
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

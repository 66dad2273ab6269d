"""Sends the notification outbox through Apprise, one row at a time, with short timeouts.

It runs as its own daemon job: a channel that is down costs at most one short timeout per row
and then waits for its retry time (storage/notifications.py), so polling is never held up.
Recipients' URLs carry credentials (SMTP passwords, bot tokens): they are read from the
settings when sending, never stored, and scrubbed from every failure reason.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise
from sqlalchemy.orm import Session, sessionmaker

from config.settings import AlertSettings
from monitor.errors import redact
from monitor.recipients import Recipient, find_recipient
from storage import notifications as outbox
from storage.tables import Notification

log = logging.getLogger("pakn.monitor")
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 10.0
# Longest a send job may hold the daemon's loop; what is left waits for the next run.
RUN_BUDGET_SECONDS = 30.0
_REASON_LIMIT = 500


@dataclass(frozen=True)
class SendResult:
    sent: bool
    reason: str = ""
    permanent: bool = False


Notify = Callable[[str, str, str], SendResult]


def apprise_notify(url: str, title: str, body: str) -> SendResult:
    """Send one message to one Apprise URL; never raises for a failing channel."""
    with _private_log() as records:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            return SendResult(
                False,
                "Địa chỉ Apprise không hợp lệ hoặc dịch vụ không được hỗ trợ; sửa url của người "
                "nhận trong alerts (xem https://github.com/caronc/apprise/wiki).",
                permanent=True,
            )
        plugin.socket_connect_timeout = min(plugin.socket_connect_timeout, CONNECT_TIMEOUT_SECONDS)
        plugin.socket_read_timeout = min(plugin.socket_read_timeout, READ_TIMEOUT_SECONDS)
        # Our outbox schedules the retries; Apprise's own (?retry=N) would sleep in the daemon.
        plugin.retry = 0
        ok = bool(plugin.notify(body=body, title=title))
    if ok:
        return SendResult(True)
    return SendResult(False, failure_reason(records, url))


@contextmanager
def _private_log() -> Iterator[list[logging.LogRecord]]:
    """Apprise's log records during one send, kept out of the shared log.

    Apprise and urllib3 underneath it log the recipient's URL at DEBUG level ("Loaded JSON URL:
    json://...", request paths with bot tokens): those lines stay here, Apprise's own are read
    only to explain a failure, after scrubbing, and nothing propagates to the daemon's log.
    """
    records: list[logging.LogRecord] = []
    handler = _ListHandler(records)
    loggers = [logging.getLogger(name) for name in ("apprise", "urllib3")]
    saved = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    try:
        yield records
    finally:
        for logger, (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


class _ListHandler(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def failure_reason(records: list[logging.LogRecord], url: str) -> str:
    """Apprise's warnings and the underlying exception, with every part of ``url`` masked."""
    own = [r for r in records if r.name.startswith("apprise")]
    lines = [r.getMessage() for r in own if r.levelno >= logging.WARNING]
    lines += [r.getMessage() for r in own if "exception" in r.getMessage().lower()][-1:]
    text = " | ".join(dict.fromkeys(line.strip() for line in lines if line.strip()))
    text = scrub(text or "dịch vụ không nhận thông báo (không rõ lý do)", url)
    return f"Gửi thất bại: {text}"[:_REASON_LIMIT]


def scrub(text: str, url: str) -> str:
    """Mask every host, user, password, path segment and query value of ``url`` in ``text``."""
    for part in sorted(_url_parts(url), key=len, reverse=True):
        text = text.replace(part, "***")
    return redact(text)


def _url_parts(url: str) -> set[str]:
    try:
        split = urlsplit(url)
    except ValueError:
        return {url}
    pieces = re.split(r"[@:]", split.netloc) + split.path.split("/") + [split.fragment]
    pieces += [value for _key, value in parse_qsl(split.query, keep_blank_values=False)]
    out: set[str] = {url}
    for piece in pieces:
        # Short pieces and port numbers would blank out ordinary words and digits of the reason.
        if len(piece) >= 4 and not (piece.isdigit() and len(piece) <= 5):
            out |= {piece, unquote(piece)}
    return out


class NotificationSender:
    """The daemon job: send due rows until none is left or the run's time budget is used."""

    def __init__(
        self,
        alerts: AlertSettings,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        notify: Notify = apprise_notify,
        budget_seconds: float = RUN_BUDGET_SECONDS,
    ) -> None:
        self.alerts, self.sessions, self.clock = alerts, sessions, clock
        self.notify, self.budget_seconds = notify, budget_seconds

    def send_due(self) -> int:
        """Returns how many notifications went out."""
        stop_at = time.monotonic() + self.budget_seconds
        sent = 0
        while time.monotonic() < stop_at:
            with self.sessions.begin() as session:
                row = outbox.claim_next(session, self.clock())
                if row is None:
                    break
                row_id, ref, title, body = row.id, row.target_ref, row.subject, row.body
            result = self._send(find_recipient(self.alerts, ref), title, body)
            with self.sessions.begin() as session:
                claimed = session.get(Notification, row_id)
                if claimed is None:
                    continue
                if result.sent:
                    outbox.mark_sent(session, claimed, self.clock())
                else:
                    outbox.mark_failed(
                        session, claimed, result.reason, self.clock(), retry=not result.permanent
                    )
            if result.sent:
                sent += 1
            else:
                log.warning("thông báo #%d (%s): %s", row_id, claimed.target_name, result.reason)
        return sent

    def _send(self, recipient: Recipient | None, title: str, body: str) -> SendResult:
        if recipient is None:
            return SendResult(
                False,
                "Người nhận không còn trong cấu hình alerts (đã xoá hoặc đổi url); "
                "thông báo này không được gửi.",
                permanent=True,
            )
        url = recipient.url.reveal()
        try:
            return self.notify(url, title, body)
        except Exception as exc:  # one broken plugin must not stop the others
            return SendResult(False, scrub(f"lỗi nội bộ {type(exc).__name__}: {exc}", url))

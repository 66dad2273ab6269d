"""Pauses Meta imposed, scoped to what it throttled, shared by every daemon.

A row per scope: the app (``page_id`` empty, ``kind`` "app"), a whole page ("page"), or one
usage type of a page ("pages", "messenger"). Writing one replaces the scope's previous word:
Meta's newest statement about a scope is the one that holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.tables import Page, RatePause

APP_PAGE_ID = ""
# What each scope stops, said to people (pakn pages, pakn doctor, the daemon's reasons).
SCOPE_VI = {
    "app": "Facebook giới hạn cả ứng dụng: tạm dừng đọc mọi trang",
    "page": "Facebook giới hạn trang này: tạm dừng đọc trang",
    "pages": "Facebook giới hạn trang này: tạm dừng đọc bài viết và bình luận",
    "messenger": "Facebook giới hạn trang này: tạm dừng đọc tin nhắn Messenger",
}


@dataclass(frozen=True)
class PauseRecord:
    page_id: str  # empty for the app
    kind: str  # "app", "page", "pages" or "messenger"
    until: datetime
    stated: bool
    backoff_seconds: float
    reason: str
    set_at: datetime


def save_pause(session: Session, pause: PauseRecord) -> None:
    """Record a scope's pause unless a newer word about the scope is already stored."""
    row = session.get(RatePause, (pause.page_id, pause.kind), with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():  # another daemon may insert the same scope at once
                session.add(RatePause(**pause.__dict__))
            return
        except IntegrityError:
            row = session.get(RatePause, (pause.page_id, pause.kind), with_for_update=True)
            if row is None:
                raise
    if row.set_at <= pause.set_at:
        row.until, row.stated, row.reason = pause.until, pause.stated, pause.reason
        row.backoff_seconds, row.set_at = pause.backoff_seconds, pause.set_at


def pauses(session: Session, since: datetime | None = None) -> list[PauseRecord]:
    """Every stored pause (that ends after ``since`` when given), app first."""
    query = select(RatePause).order_by(RatePause.page_id, RatePause.kind)
    if since is not None:
        query = query.where(RatePause.until > since)
    return [
        PauseRecord(r.page_id, r.kind, r.until, r.stated, r.backoff_seconds, r.reason, r.set_at)
        for r in session.scalars(query)
    ]


def pauses_of_page(records: list[PauseRecord], page_id: str, now: datetime) -> list[PauseRecord]:
    """The running pauses that stop some of this page's reads (the app's included)."""
    return [r for r in records if r.until > now and r.page_id in (APP_PAGE_ID, page_id)]


def page_pauses(session: Session, now: datetime) -> dict[str, list[PauseRecord]]:
    """Per page id, the running pauses that stop some of its reads (the app's included)."""
    running = pauses(session, now)
    ids = {r.page_id for r in running} | set(session.scalars(select(Page.id)))
    return {pid: pauses_of_page(running, pid, now) for pid in ids if pid}


def describe(record: PauseRecord, when: str) -> str:
    """One pause in Vietnamese, with its end already formatted in local time."""
    how = "theo thời điểm Facebook báo" if record.stated else "tự chờ rồi thử lại"
    return f"{SCOPE_VI.get(record.kind, record.kind)} đến {when} ({how})"

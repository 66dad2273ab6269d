"""The daemon's daily token check: one ``token_expiring`` alert per token and expiry date.

Once a day per page, ``debug_token`` asked with the page's own token (pakn has no app id to
build an app token); an expiry of the token, or of its data access, within
``EXPIRY_NOTICE`` is handed to the alert detector, whose dedupe key carries the token's
fingerprint and the expiry date: the check repeats daily, the alert goes out once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from config.settings import PageSettings, Settings
from monitor.alert_texts import when
from monitor.daemon import token_fingerprint
from monitor.doctor import (
    EXPIRY_NOTICE,
    FIX_DATA_ACCESS,
    FIX_NEW_TOKEN,
    Reader,
    TokenInfo,
    days_left,
    read_token,
)
from monitor.errors import GraphError
from monitor.graph import GraphClient

log = logging.getLogger("pakn.monitor")
CHECK_EVERY = timedelta(days=1)
WAKE_EVERY_SECONDS = 3600  # the job wakes hourly; each page is checked once a day
Expiry = Literal["token", "data_access"]


@dataclass(frozen=True)
class TokenNotice:
    page_id: str
    page_name: str
    unit_id: str
    what: Expiry
    expires_at: datetime
    token_ref: str

    def text(self, unit_name: str, now: datetime) -> tuple[str, str]:
        token = self.what == "token"
        what = "Mã truy cập" if token else "Quyền truy cập dữ liệu"
        days = days_left(self.expires_at, now)
        lines = [
            f"Trang: {self.page_name} ({self.page_id}) – {unit_name}",
            f"Hết hạn: {when(self.expires_at)} (còn {days} ngày).",
            "Sau thời điểm đó pakn không đọc được bình luận, tin nhắn của trang"
            + (" và không gửi được trả lời." if token else "."),
            f"Cách xử lý: {FIX_NEW_TOKEN if token else FIX_DATA_ACCESS}",
            f"Kiểm tra lại: pakn doctor {self.page_id}",
        ]
        subject = f"[pakn] {what} của trang {self.page_name} hết hạn sau {days} ngày"
        return subject, "\n".join(lines)


def expiring(page: PageSettings, info: TokenInfo, now: datetime) -> list[TokenNotice]:
    """The expiries of a valid token that fall within ``EXPIRY_NOTICE`` from now."""
    ref = token_fingerprint(page.access_token.reveal())
    moments: tuple[tuple[Expiry, datetime | None], ...] = (
        ("token", info.expires_at),
        ("data_access", info.data_access_expires_at),
    )
    return [
        TokenNotice(page.id, page.name, page.unit, what, moment, ref)
        for what, moment in moments
        if info.is_valid and moment is not None and now < moment <= now + EXPIRY_NOTICE
    ]


Notify = Callable[[Session, datetime, TokenNotice], int]


class TokenWatch:
    """A daemon job: ``run()`` checks the pages not checked for a day; ``notify`` enqueues."""

    def __init__(
        self,
        settings: Settings,
        client: GraphClient,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        notify: Notify,
    ) -> None:
        self.settings, self.client, self.sessions, self.clock = settings, client, sessions, clock
        self.notify = notify
        self._checked: dict[str, datetime] = {}

    def run(self) -> int:
        added = 0
        for page in self.settings.pages:
            now = self.clock()
            last = self._checked.get(page.id)
            if last is not None and now - last < CHECK_EVERY:
                continue
            self._checked[page.id] = now  # a failed check is tried again tomorrow, not hourly
            info = read_token(Reader(self.client, page), None)
            if isinstance(info, GraphError):
                log.warning("trang %s: không đọc được hạn mã truy cập: %s", page.id, info.short())
                continue
            for notice in expiring(page, info, now):
                with self.sessions.begin() as session:
                    added += self.notify(session, now, notice)
        return added

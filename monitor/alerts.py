"""Alert detection run by the daemon: urgent items, the morning digest, pages down, failed replies.

Detection only writes rows to the notification outbox (storage/notifications.py); sending is
the separate ``notifications`` job (monitor/notifier.py), so a broken channel never delays
polling. Every message has a dedupe key (``urgent:{item}:{target}``, ``digest:{unit}:{day}:
{target}``, ...): an event seen in every cycle, or by two daemons, still goes out once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from monitor import alert_texts as texts
from monitor.notifier import NotificationSender
from monitor.recipients import Recipient, recipients
from monitor.token_watch import WAKE_EVERY_SECONDS, TokenNotice, TokenWatch
from storage import alert_state as state
from storage import notifications as outbox
from storage import proposals
from storage import rejections as set_aside
from storage import webhooks as webhook_state
from storage.calendar_days import deadline_policy
from storage.notifications import Message
from storage.tables import Page
from storage.workdays import VIETNAM_TZ, WorkingCalendar

if TYPE_CHECKING:
    from monitor.daemon import Daemon

log = logging.getLogger("pakn.monitor")
DETECT_EVERY_SECONDS = 30
SEND_EVERY_SECONDS = 15
# Older urgent items (a first run's backfill) are in the queue already: nobody is paged for them.
URGENT_LOOKBACK = timedelta(hours=48)
REPLY_FAILED_LOOKBACK = timedelta(hours=24)
# Webhooks silent this long while polling stores new items of the page: tell the admins once.
WEBHOOK_SILENCE = webhook_state.SILENCE
# Objects set aside or repaired: one alert per page, outcome and kind of reason in this period
# (the lookback of failed replies); a new kind, or new objects after it, is news again.
SET_ASIDE_PERIOD = set_aside.WINDOW

CalendarSource = Callable[[Session], WorkingCalendar]


def configured_calendar(settings: Settings) -> CalendarSource:
    def load(session: Session) -> WorkingCalendar:
        return deadline_policy(settings.deadlines_file, session).calendar

    return load


class AlertDetector:
    """One ``run()`` per daemon cycle; each kind of event in its own transaction."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        calendar: CalendarSource | None = None,
    ) -> None:
        self.settings, self.sessions, self.clock = settings, sessions, clock
        self.calendar = calendar or configured_calendar(settings)
        self.public_url = settings.web.public_url
        self._working: dict[date, bool] = {}

    def run(self) -> int:
        """Enqueue what is new; returns the number of notifications added."""
        added = 0
        for name, step in (
            ("urgent", self.urgent),
            ("digest", self.digest),
            ("page_down", self.pages),
            ("reply_failed", self.replies),
            ("webhooks_silent", self.webhooks),
            ("objects_set_aside", self.objects_set_aside),
        ):
            try:
                with self.sessions.begin() as session:
                    added += step(session, self.clock())
            except Exception:
                # One broken detector must not silence the others (habit: set aside, move on).
                log.exception("phát hiện sự kiện %s thất bại; sẽ thử lại ở vòng sau", name)
        return added

    def _messages(
        self,
        event: str,
        key: str,
        unit_id: str,
        text: tuple[str, str],
        *,
        item_id: int | None = None,
        recorded_as: str | None = None,
    ) -> list[Message]:
        subject, body = text
        return [
            Message(
                f"{key}:{r.ref}",
                recorded_as or event,
                r.name,
                r.ref,
                subject,
                body,
                unit_id,
                item_id,
            )
            for r in recipients(self.settings.alerts, event, unit_id)
        ]

    # -- urgent items: at once, 24/7 ----------------------------------------------------------
    def urgent(self, session: Session, now: datetime) -> int:
        added = 0
        names = state.unit_names(session)
        for item in state.urgent_unalerted(session, now - URGENT_LOOKBACK):
            if not state.mark_alerted(session, item.id, now):
                continue  # another daemon has it
            unit = names.get(item.unit_id, item.unit_id)
            text = texts.urgent(item, unit, self.public_url)
            messages = self._messages(
                "urgent", f"urgent:{item.id}", item.unit_id, text, item_id=item.id
            )
            if not messages:
                log.warning("mục khẩn #%d (%s): chưa có người nhận 'urgent'", item.id, unit)
            added += outbox.enqueue(session, messages, now)
        return added

    # -- the morning digest, working days only -----------------------------------------------
    def digest(self, session: Session, now: datetime) -> int:
        local = now.astimezone(VIETNAM_TZ)
        if local.time() < time.fromisoformat(self.settings.alerts.digest_time):
            return 0
        day = local.date()
        keys = {
            unit: [f"digest:{unit}:{day.isoformat()}:{r.ref}" for r in self._digest_to(unit)]
            for unit in self._units()
        }
        known = outbox.existing_keys(session, [k for unit_keys in keys.values() for k in unit_keys])
        todo = [unit for unit, unit_keys in keys.items() if set(unit_keys) - known]
        if not todo or not self._is_working_day(session, day):
            return 0
        names = state.unit_names(session)
        day_end = datetime.combine(day, time.max, tzinfo=VIETNAM_TZ)
        added = 0
        for unit in todo:
            due, overdue = state.due_and_overdue(session, unit, now, day_end)
            waiting = proposals.awaiting_direction(session, unit)
            text = texts.digest(
                names.get(unit, unit), now, due, overdue, self.public_url, awaiting=waiting
            )
            key = f"digest:{unit}:{day.isoformat()}"
            added += outbox.enqueue(session, self._messages("digest", key, unit, text), now)
        return added

    def _digest_to(self, unit: str) -> list[Recipient]:
        return recipients(self.settings.alerts, "digest", unit)

    def _units(self) -> list[str]:
        units = self.settings.unit_ids()
        return units + [u for u in self.settings.alerts.unit_targets if u not in units]

    def _is_working_day(self, session: Session, day: date) -> bool:
        if day not in self._working:
            self._working = {day: self.calendar(session).is_working_day(day)}
        return self._working[day]

    # -- pages that cannot be read: one alert per incident, then "recovered" ------------------
    def pages(self, session: Session, now: datetime) -> int:
        names = state.unit_names(session)
        added = 0
        for page in state.pages(session, [p.id for p in self.settings.pages]):
            unit = names.get(page.unit_id, page.unit_id)
            opened = page.down_alerted_at
            if opened is not None:
                recovered = page.last_success_at is not None and page.last_success_at > opened
                if recovered and state.close_incident(session, page.id, opened):
                    key = f"page_recovered:{page.id}:{int(opened.timestamp())}"
                    text = texts.page_recovered(page, unit, opened)
                    messages = self._messages(
                        "page_down", key, page.unit_id, text, recorded_as="page_recovered"
                    )
                    added += outbox.enqueue(session, messages, now)
                continue
            cause = self._down_cause(page, now)
            if cause and state.open_incident(session, page.id, now):
                key = f"page_down:{page.id}:{int(now.timestamp())}"
                minutes = self.settings.alerts.stale_poll_minutes
                text = texts.page_down(page, unit, cause, minutes)
                log.warning("trang %s (%s) ngừng đọc được: %s", page.id, page.name, cause)
                messages = self._messages("page_down", key, page.unit_id, text)
                added += outbox.enqueue(session, messages, now)
        return added

    def _down_cause(self, page: Page, now: datetime) -> str | None:
        alerts = self.settings.alerts
        if page.quarantined_at is not None:
            return "token"
        if page.consecutive_failures >= alerts.failures_before_alert:
            return "failures"
        stale = timedelta(minutes=alerts.stale_poll_minutes)
        if page.last_success_at is not None and now - page.last_success_at > stale:
            return "stale"
        return None

    # -- webhooks that stopped while polling still finds items: once per silence ------------
    def webhooks(self, session: Session, now: datetime) -> int:
        if not self.settings.webhooks.enabled:
            return 0
        names = state.unit_names(session)
        page_ids = [p.id for p in self.settings.pages]
        added = 0
        for silent in webhook_state.silent_pages(session, page_ids, now, WEBHOOK_SILENCE):
            pages = state.pages(session, [silent.page_id])
            if not pages or not webhook_state.mark_silent_alerted(session, silent.page_id, now):
                continue
            page = pages[0]
            unit = names.get(page.unit_id, page.unit_id)
            key = f"webhooks_silent:{page.id}:{int(silent.last_event_at.timestamp())}"
            text = texts.webhooks_silent(page, unit, silent.last_event_at, silent.items_since)
            log.warning("webhook của trang %s im lặng từ %s", page.id, silent.last_event_at)
            messages = self._messages(
                "page_down", key, page.unit_id, text, recorded_as="webhooks_silent"
            )
            added += outbox.enqueue(session, messages, now)
        return added

    # -- Graph objects set aside or repaired: once per page, kind and period -----------------
    def objects_set_aside(self, session: Session, now: datetime) -> int:
        names = state.unit_names(session)
        pages = {p.id: p for p in state.pages(session, [p.id for p in self.settings.pages])}
        pages_url = f"{self.public_url.rstrip('/')}/admin/pages"
        added = 0
        for group in set_aside.groups(session, now - SET_ASIDE_PERIOD):
            page = pages.get(group.page_id)
            prefix = f"set_aside:{group.page_id}:{group.outcome}:{group.reason}:"
            if page is None or state.alerted_since(session, prefix, now - SET_ASIDE_PERIOD):
                continue
            unit = names.get(page.unit_id, page.unit_id)
            text = texts.objects_set_aside(page, unit, group, pages_url)
            messages = self._messages(
                "page_down",
                f"{prefix}{group.latest_id}",
                page.unit_id,
                text,
                recorded_as="objects_set_aside",
            )
            added += outbox.enqueue(session, messages, now)
        return added

    # -- replies that could not be sent -------------------------------------------------------
    def replies(self, session: Session, now: datetime) -> int:
        names = state.unit_names(session)
        added = 0
        for reply, item in state.failed_replies(session, now - REPLY_FAILED_LOOKBACK):
            # attempts is part of the key: the same reply failing again after "Gửi lại" is news.
            key = f"reply_failed:{reply.id}:{reply.attempts}"
            unit = names.get(item.unit_id, item.unit_id)
            text = texts.reply_failed(reply, item, unit, self.public_url)
            messages = self._messages("reply_failed", key, item.unit_id, text, item_id=item.id)
            added += outbox.enqueue(session, messages, now)
        return added

    # -- page tokens about to expire (monitor/token_watch.py finds them once a day) -----------
    def token_expiring(self, session: Session, now: datetime, notice: TokenNotice) -> int:
        """One alert per token, kind of expiry and expiry date, to the page_down targets."""
        unit = state.unit_names(session).get(notice.unit_id, notice.unit_id)
        day = notice.expires_at.astimezone(VIETNAM_TZ).date().isoformat()
        key = f"token_expiring:{notice.page_id}:{notice.token_ref}:{notice.what}:{day}"
        text = notice.text(unit, now)
        messages = self._messages(
            "page_down", key, notice.unit_id, text, recorded_as="token_expiring"
        )
        return outbox.enqueue(session, messages, now)


def register_alert_jobs(daemon: Daemon) -> None:
    """Detection, sending and the daily token check as daemon jobs (``monitor/jobs.py``
    calls this)."""
    detector = AlertDetector(daemon.settings, daemon.sessions, daemon.clock)
    sender = NotificationSender(daemon.settings.alerts, daemon.sessions, daemon.clock)
    daemon.add_job("alerts", DETECT_EVERY_SECONDS, detector.run)
    daemon.add_job("notifications", SEND_EVERY_SECONDS, sender.send_due)
    watch = TokenWatch(
        daemon.settings, daemon.client, daemon.sessions, daemon.clock, detector.token_expiring
    )
    daemon.add_job("token_check", WAKE_EVERY_SECONDS, watch.run)

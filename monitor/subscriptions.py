"""Reading each page's webhook subscription (``GET /{page}/subscribed_apps``) now and then.

Only the daemon holds page tokens, so it reads what ``pakn pages`` and the admin pages view
show: whether an app is installed on the page, the fields it receives, when that was read, and
why the read failed. One call per page when the daemon starts, then every hour; a page whose
budget is tight (the governor's "essential" level) or paused is left for a later run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from monitor.errors import GraphError, redact
from monitor.governor import Governor
from monitor.graph import GraphClient
from storage import webhooks as store

log = logging.getLogger("pakn.monitor")
READ_EVERY = timedelta(hours=1)
# The job wakes this often; each page is read when its last read is READ_EVERY old.
JOB_EVERY_SECONDS = 60


class SubscriptionWatch:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        client: GraphClient,
        clock: Callable[[], datetime],
        governor: Governor,
    ) -> None:
        self.settings, self.sessions, self.client = settings, sessions, client
        self.clock, self.governor = clock, governor
        self.started = False

    def run(self) -> int:
        """Read the pages that are due (every page at the first run); returns how many."""
        now = self.clock()
        ids = [p.id for p in self.settings.pages]
        with self.sessions.begin() as session:
            due = set(
                ids if not self.started else store.subscriptions_due(session, ids, now, READ_EVERY)
            )
        self.started = True
        read = 0
        for page in self.settings.pages:
            if page.id not in due or self.governor.level(page.id, "pages") in (
                "essential",
                "paused",
            ):
                continue
            try:
                resp = self.client.get(f"{page.id}/subscribed_apps", page.access_token.reveal())
                apps, error = parse_apps(resp.data), None
            except GraphError as err:
                # Stored and shown on /admin/pages: no token may ride along.
                apps, error = None, redact(err.reason_vi())
                log.warning("trang %s: không đọc được đăng ký webhook: %s", page.id, err.short())
            with self.sessions.begin() as session:
                store.record_subscriptions(session, page.id, self.clock(), apps, error)
            read += 1
        return read


def parse_apps(data: Any) -> list[store.SubscribedApp]:
    """``{"data": [{"id", "name", "subscribed_fields": [...]}, ...]}``, skipping odd entries."""
    listed = data.get("data") if isinstance(data, dict) else None
    apps = []
    for entry in listed if isinstance(listed, list) else []:
        if not isinstance(entry, dict) or entry.get("id") is None:
            continue
        fields = entry.get("subscribed_fields")
        names = tuple(str(f) for f in fields) if isinstance(fields, list) else ()
        apps.append(store.SubscribedApp(str(entry["id"]), str(entry.get("name") or ""), names))
    return apps

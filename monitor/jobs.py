"""The daemon's jobs besides polling: each channel's jobs, alerts, digests, the calendar."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from monitor.alerts import register_alert_jobs
from monitor.channel import Channel
from monitor.facebook import FacebookChannel
from storage.attachments import attachments_dir, sweep_orphans
from storage.calendar_days import deadline_policy

if TYPE_CHECKING:
    from monitor.daemon import Daemon

log = logging.getLogger("pakn.monitor")
CALENDAR_EVERY_SECONDS = 300
SWEEP_EVERY_SECONDS = 3600


def channels(daemon: Daemon) -> list[Channel]:
    """Every way citizens reach the committee that the daemon serves (a new one goes here)."""
    return [FacebookChannel(daemon)]


def register_jobs(daemon: Daemon) -> None:
    for channel in channels(daemon):
        for job in channel.jobs():
            daemon.add_job(job.name, job.every_seconds, job.run)
    daemon.add_job("calendar", CALENDAR_EVERY_SECONDS, lambda: refresh_deadlines(daemon))
    daemon.add_job("attachment_sweep", SWEEP_EVERY_SECONDS, lambda: sweep_attachments(daemon))
    register_alert_jobs(daemon)


def refresh_deadlines(daemon: Daemon) -> None:
    """Pick up the days off and make-up days admins edited in the web UI."""
    with daemon.sessions.begin() as session:
        deadlines = deadline_policy(daemon.settings.deadlines_file, session)
        daemon.ctx.policy = daemon.ctx.policy.with_deadlines(deadlines)


def sweep_attachments(daemon: Daemon) -> int:
    """Remove the reply files a killed web process wrote but never committed (they name no
    row; storage.attachments.sweep_orphans); returns how many."""
    with daemon.sessions.begin() as session:
        removed = sweep_orphans(session, attachments_dir(daemon.settings), daemon.clock())
    for path in removed:
        log.info("đã xoá tệp đính kèm không thuộc trả lời nào: %s", path.name)
    return len(removed)

"""The daemon's jobs besides polling: each channel's jobs, alerts, digests, the calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.alerts import register_alert_jobs
from monitor.channel import Channel
from monitor.facebook import FacebookChannel
from storage.calendar_days import deadline_policy

if TYPE_CHECKING:
    from monitor.daemon import Daemon

CALENDAR_EVERY_SECONDS = 300


def channels(daemon: Daemon) -> list[Channel]:
    """Every way citizens reach the committee that the daemon serves (a new one goes here)."""
    return [FacebookChannel(daemon)]


def register_jobs(daemon: Daemon) -> None:
    for channel in channels(daemon):
        for job in channel.jobs():
            daemon.add_job(job.name, job.every_seconds, job.run)
    daemon.add_job("calendar", CALENDAR_EVERY_SECONDS, lambda: refresh_deadlines(daemon))
    register_alert_jobs(daemon)


def refresh_deadlines(daemon: Daemon) -> None:
    """Pick up the days off and make-up days admins edited in the web UI."""
    with daemon.sessions.begin() as session:
        deadlines = deadline_policy(daemon.settings.deadlines_file, session)
        daemon.ctx.policy = daemon.ctx.policy.with_deadlines(deadlines)

"""Alert texts write times as Vietnamese documents do."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from monitor.alert_texts import when
from storage.workdays import VIETNAM_TZ


def test_a_deadline_that_ends_with_its_day_reads_het_ngay_in_an_alert() -> None:
    end = datetime.combine(date(2026, 3, 1), time.max, tzinfo=VIETNAM_TZ).astimezone(UTC)
    assert when(end) == "hết ngày 01/03/2026 (Chủ nhật)"


def test_any_other_moment_keeps_its_clock_time_in_an_alert() -> None:
    assert when(datetime(2026, 3, 1, 15, 0, tzinfo=UTC)) == "22:00 Chủ nhật 01/03/2026"

"""The working calendar: days off, make-up days, Civil Code periods and office-hour arithmetic.

Expected dates are worked out by hand from the 2025/2026 calendar (1/1/2026 is a Thursday) and the
published holiday schedule, not from the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.workdays import VIETNAM_TZ, WorkingCalendar, deadline_text

TET_2026 = {date(2026, 2, 14) + timedelta(days=k): "Nghỉ Tết Bính Ngọ" for k in range(9)}
MAKE_UP_SATURDAY = date(2026, 3, 14)
CALENDAR = WorkingCalendar()
# Richer calendar for the properties: admin days off and a make-up Saturday as well.
BUSY_CALENDAR = WorkingCalendar(extra_days_off=TET_2026, make_up_days={MAKE_UP_SATURDAY: "Làm bù"})


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM_TZ)


def assert_ends_at_midnight_of(due: datetime, day: date) -> None:
    """BLDS Điều 148: a day-period ends at 24:00 of its last day."""
    assert due.tzinfo is not None
    local = due.astimezone(VIETNAM_TZ)
    assert local.date() == day
    assert local.time() >= time(23, 59, 59)


def test_friday_afternoon_plus_one_working_day_ends_on_monday() -> None:
    due = CALENDAR.add_working_days(at(2026, 3, 6, 15), 1)  # Friday 6/3/2026
    assert_ends_at_midnight_of(due, date(2026, 3, 9))


def test_working_days_are_counted_from_the_day_after_receipt() -> None:
    due = CALENDAR.add_working_days(at(2026, 3, 9, 8), 3)  # Monday → Thursday
    assert_ends_at_midnight_of(due, date(2026, 3, 12))


def test_an_item_received_on_saturday_counts_monday_as_its_first_working_day() -> None:
    due = CALENDAR.add_working_days(at(2026, 3, 7, 9), 1)
    assert_ends_at_midnight_of(due, date(2026, 3, 9))


def test_a_make_up_saturday_counts_as_a_working_day() -> None:
    assert not CALENDAR.is_working_day(MAKE_UP_SATURDAY)
    assert BUSY_CALENDAR.is_working_day(MAKE_UP_SATURDAY)
    assert BUSY_CALENDAR.reason(MAKE_UP_SATURDAY) is None
    friday = at(2026, 3, 13, 10)
    assert_ends_at_midnight_of(BUSY_CALENDAR.add_working_days(friday, 1), MAKE_UP_SATURDAY)
    assert_ends_at_midnight_of(BUSY_CALENDAR.add_working_days(friday, 2), date(2026, 3, 16))
    assert_ends_at_midnight_of(CALENDAR.add_working_days(friday, 1), date(2026, 3, 16))


def test_a_swap_announced_in_the_holidays_package_is_followed() -> None:
    # 2025: Saturday 26/4 was worked so that Friday 2/5 could be taken off.
    assert CALENDAR.is_working_day(date(2025, 4, 26))
    assert not CALENDAR.is_working_day(date(2025, 5, 2))
    assert "26/04/2025" in (CALENDAR.reason(date(2025, 5, 2)) or "")


def test_an_extra_day_off_is_skipped_and_explained() -> None:
    calendar = WorkingCalendar(extra_days_off={date(2026, 3, 9): "Nghỉ bầu cử"})
    assert calendar.reason(date(2026, 3, 9)) == "Nghỉ bầu cử"
    assert_ends_at_midnight_of(calendar.add_working_days(at(2026, 3, 6, 15), 1), date(2026, 3, 10))


def test_make_up_days_override_public_holidays() -> None:
    calendar = WorkingCalendar(make_up_days={date(2026, 11, 24): "Chưa phải ngày nghỉ"})
    assert not CALENDAR.is_working_day(date(2026, 11, 24))
    assert calendar.is_working_day(date(2026, 11, 24))


def test_reason_explains_holidays_and_weekends_in_vietnamese() -> None:
    assert "Quốc khánh" in (CALENDAR.reason(date(2026, 9, 2)) or "")
    assert "Tết" in (CALENDAR.reason(date(2026, 2, 17)) or "")
    assert "Chủ nhật" in (CALENDAR.reason(date(2026, 3, 8)) or "")
    assert "Thứ Bảy" in (CALENDAR.reason(date(2026, 3, 7)) or "")
    assert CALENDAR.reason(date(2026, 3, 9)) is None


def test_the_weekend_is_configurable() -> None:
    sunday_only = WorkingCalendar(weekend={6})
    assert sunday_only.is_working_day(date(2026, 3, 7))
    assert_ends_at_midnight_of(
        sunday_only.add_working_days(at(2026, 3, 6, 15), 1), date(2026, 3, 7)
    )


def test_next_working_day_skips_the_whole_tet_break() -> None:
    assert BUSY_CALENDAR.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert BUSY_CALENDAR.next_working_day(date(2026, 2, 23)) == date(2026, 2, 24)


def test_calendar_days_do_not_count_the_start_day() -> None:
    due = CALENDAR.add_calendar_days(at(2026, 3, 2, 10), 3)  # Monday + 3 days → Thursday
    assert_ends_at_midnight_of(due, date(2026, 3, 5))


def test_a_calendar_day_period_ending_on_sunday_ends_with_monday() -> None:
    due = CALENDAR.add_calendar_days(at(2026, 3, 4, 10), 4)  # last day Sunday 8/3
    assert_ends_at_midnight_of(due, date(2026, 3, 9))


def test_a_calendar_day_period_ending_inside_tet_moves_past_the_break() -> None:
    due = BUSY_CALENDAR.add_calendar_days(at(2026, 2, 10, 9), 10)  # last day Friday 20/2
    assert_ends_at_midnight_of(due, date(2026, 2, 23))


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        pytest.param(at(2026, 3, 9, 10, 30), 2, at(2026, 3, 9, 14, 30), id="across-lunch"),
        pytest.param(at(2026, 3, 9, 16), 3, at(2026, 3, 10, 9, 30), id="overnight"),
        pytest.param(at(2026, 3, 6, 16, 30), 1, at(2026, 3, 9, 8), id="over-the-weekend"),
        pytest.param(at(2026, 3, 9, 6), 1, at(2026, 3, 9, 8, 30), id="before-opening"),
        pytest.param(at(2026, 3, 9, 12), 0.5, at(2026, 3, 9, 14), id="during-lunch"),
        pytest.param(at(2026, 3, 9, 10, 30), 1, at(2026, 3, 9, 11, 30), id="ends-at-closing"),
        pytest.param(at(2026, 3, 9, 9), 0.25, at(2026, 3, 9, 9, 15), id="quarter-hour"),
        pytest.param(at(2026, 3, 9, 9), 7.5, at(2026, 3, 10, 9), id="one-full-day"),
        pytest.param(at(2026, 2, 13, 16), 2, at(2026, 2, 23, 8, 30), id="over-tet"),
    ],
)
def test_working_hours_count_only_office_time(
    start: datetime, hours: float, expected: datetime
) -> None:
    assert BUSY_CALENDAR.add_working_hours(start, hours) == expected


def test_office_hours_are_configurable() -> None:
    mornings = WorkingCalendar(office_hours=[(time(8), time(12))])
    assert mornings.add_working_hours(at(2026, 3, 9, 11), 2) == at(2026, 3, 10, 9)


def test_zero_working_hours_or_days_leave_the_start_unchanged() -> None:
    sunday_night = at(2026, 3, 8, 22)
    assert CALENDAR.add_working_hours(sunday_night, 0) == sunday_night
    assert CALENDAR.add_working_days(sunday_night, 0) == sunday_night


def test_results_are_in_asia_ho_chi_minh_at_utc_plus_seven_all_year() -> None:
    offsets = set()
    for k in range(365):
        start = at(2026, 1, 1, 9) + timedelta(days=k)
        offsets.add(CALENDAR.add_working_hours(start, 1).utcoffset())
        offsets.add(CALENDAR.add_working_days(start, 1).utcoffset())
    assert offsets == {timedelta(hours=7)}


def test_a_utc_timestamp_is_counted_from_its_local_date() -> None:
    # Thursday 17:30 UTC is already Friday 00:30 in Việt Nam: one working day later is Monday.
    due = CALENDAR.add_working_days(datetime(2026, 3, 5, 17, 30, tzinfo=UTC), 1)
    assert_ends_at_midnight_of(due, date(2026, 3, 9))
    assert CALENDAR.add_working_hours(datetime(2026, 3, 9, 1, 0, tzinfo=UTC), 1) == at(
        2026, 3, 9, 9
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda c, t: c.add_working_days(t, 1),
        lambda c, t: c.add_calendar_days(t, 1),
        lambda c, t: c.add_working_hours(t, 1),
        lambda c, t: c.is_working_day(t),
        lambda c, t: c.working_days_between(t, t),
    ],
    ids=["working_days", "calendar_days", "working_hours", "is_working_day", "between"],
)
def test_naive_datetimes_are_rejected_with_a_clear_error(
    call: Callable[[WorkingCalendar, datetime], Any],
) -> None:
    with pytest.raises(ValueError, match="không có múi giờ"):
        call(CALENDAR, datetime(2026, 3, 9, 9, 0))


def test_working_days_between_counts_days_after_the_start() -> None:
    assert BUSY_CALENDAR.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert BUSY_CALENDAR.working_days_between(date(2026, 2, 27), date(2026, 2, 13)) == -5
    assert BUSY_CALENDAR.working_days_between(date(2026, 2, 13), date(2026, 2, 13)) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekend": set(range(7))}, "weekend"),
        ({"weekend": {7}}, "weekend"),
        ({"office_hours": [(time(13), time(12))]}, "office_hours"),
        ({"office_hours": [(time(8), time(12)), (time(11), time(14))]}, "office_hours"),
        ({"office_hours": []}, "office_hours"),
        (
            {"extra_days_off": {date(2026, 3, 9): "x"}, "make_up_days": {date(2026, 3, 9): "y"}},
            "09/03/2026",
        ),
    ],
)
def test_an_inconsistent_calendar_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(**kwargs)


@pytest.mark.parametrize("bad", [-1, True])
def test_day_counts_must_be_non_negative_integers(bad: int) -> None:
    with pytest.raises(ValueError, match="số nguyên không âm"):
        CALENDAR.add_working_days(at(2026, 3, 9), bad)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_working_hours_must_be_a_finite_non_negative_number(bad: float) -> None:
    with pytest.raises(ValueError, match="không âm"):
        CALENDAR.add_working_hours(at(2026, 3, 9), bad)


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(VIETNAM_TZ)
) | st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(deadline=None)
@given(start=moments, n=st.integers(0, 40), m=st.integers(0, 40))
def test_adding_n_then_m_working_days_equals_adding_n_plus_m(
    start: datetime, n: int, m: int
) -> None:
    stepwise = BUSY_CALENDAR.add_working_days(BUSY_CALENDAR.add_working_days(start, n), m)
    assert stepwise == BUSY_CALENDAR.add_working_days(start, n + m)


@settings(deadline=None)
@given(start=moments, n=st.integers(1, 60))
def test_adding_working_days_always_lands_on_a_working_day(start: datetime, n: int) -> None:
    due = BUSY_CALENDAR.add_working_days(start, n)
    assert BUSY_CALENDAR.is_working_day(due)
    assert due > start
    assert BUSY_CALENDAR.working_days_between(start, due) == n


@settings(deadline=None)
@given(start=moments, n=st.integers(1, 60))
def test_a_calendar_day_period_ends_on_a_working_day_at_least_n_days_later(
    start: datetime, n: int
) -> None:
    due = BUSY_CALENDAR.add_calendar_days(start, n)
    assert BUSY_CALENDAR.is_working_day(due)
    assert (due.date() - start.astimezone(VIETNAM_TZ).date()).days >= n


@settings(deadline=None)
@given(start=moments, a=st.integers(1, 3000), b=st.integers(0, 3000))
def test_working_minutes_add_up_and_end_inside_office_hours(
    start: datetime, a: int, b: int
) -> None:
    first = BUSY_CALENDAR.add_working_hours(start, a / 60)
    assert first > start
    assert BUSY_CALENDAR.is_working_day(first)
    assert any(
        opens < first.timetz().replace(tzinfo=None) <= closes
        for opens, closes in BUSY_CALENDAR.office_hours
    )
    combined = BUSY_CALENDAR.add_working_hours(start, (a + b) / 60)
    assert BUSY_CALENDAR.add_working_hours(first, b / 60) == combined


def test_a_deadline_that_ends_with_its_day_is_written_het_ngay_never_24_00_or_23_59() -> None:
    end = datetime.combine(date(2026, 12, 4), time.max, tzinfo=VIETNAM_TZ)
    assert deadline_text(end) == "hết ngày 04/12/2026"
    assert deadline_text(end.astimezone(UTC)) == "hết ngày 04/12/2026"
    assert deadline_text(datetime(2026, 12, 4, 10, 0, tzinfo=UTC)) == "17:00 ngày 04/12/2026"

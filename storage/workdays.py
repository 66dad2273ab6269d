"""The Vietnamese working calendar: weekends, public holidays, days off, make-up days, office hours.

Period arithmetic follows Bộ luật Dân sự 2015: the day of the triggering event is not counted
(Điều 147) and a period in days ends at 24:00 of its last day, moved to the end of the next
working day when that last day is a day off (Điều 148). Every result is an aware datetime in
Asia/Ho_Chi_Minh (UTC+7, no daylight saving time).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import holidays

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_WEEKEND: frozenset[int] = frozenset({5, 6})  # date.weekday(): Saturday, Sunday
DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
# BLDS Điều 148 khoản 6: a day ends at 24:00. It is stored as the day's last microsecond so the
# deadline shows, sorts and keeps counting on its own date (24:00 would read as the next day).
END_OF_DAY = time.max
WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
_WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_THU_KEYS = ("thu_hai", "thu_ba", "thu_tu", "thu_nam", "thu_sau", "thu_bay", "chu_nhat")
_DAY_KEYS = {name: i for names in (_WEEKDAY_KEYS, _THU_KEYS) for i, name in enumerate(names)}
# Longest run of days off tolerated before a search for the next working day gives up.
_MAX_DAYS_OFF_IN_A_ROW = 400


def ends_its_day(moment: datetime) -> bool:
    """True for a deadline stored as the end (24:00) of its day, in ``moment``'s own zone."""
    return (moment.hour, moment.minute, moment.second) == (23, 59, 59)


def deadline_text(due_at: datetime) -> str:
    """A deadline as Vietnamese documents write it, in Việt Nam's time: "hết ngày 04/12/2026"
    for one that ends with its day (never "24:00", "23:59" or "00:00" of the next day), else
    "17:00 ngày 04/12/2026". Every page, file, alert and reply writes deadlines through this."""
    local = to_local(due_at)
    if ends_its_day(local):
        return f"hết ngày {local:%d/%m/%Y}"
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def to_local(moment: datetime, tz: tzinfo = VIETNAM_TZ) -> datetime:
    """``moment`` converted to ``tz``; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"Thời điểm {moment.isoformat()} không có múi giờ (naive datetime). Hãy truyền "
            "datetime có tzinfo, ví dụ datetime(2026, 2, 13, 16, 0, tzinfo=VIETNAM_TZ) với "
            "VIETNAM_TZ = ZoneInfo('Asia/Ho_Chi_Minh'), hoặc thời điểm UTC lấy từ Facebook."
        )
    return moment.astimezone(tz)


class WorkingCalendar:
    """Which days are working days and how periods are counted.

    Precedence for a date: ``make_up_days`` (working) > ``extra_days_off`` (off) > public
    holidays of the ``holidays`` package (off) > weekly rest days (off unless the package lists
    the date as an announced make-up working day) > working. The administrator's two mappings
    therefore override the package in both directions.
    """

    def __init__(
        self,
        *,
        weekend: Collection[int] = DEFAULT_WEEKEND,
        extra_days_off: Mapping[date, str] | None = None,
        make_up_days: Mapping[date, str] | None = None,
        office_hours: Sequence[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
        tz: ZoneInfo = VIETNAM_TZ,
    ) -> None:
        self.weekend = frozenset(weekend)
        self.extra_days_off = dict(extra_days_off or {})
        self.make_up_days = dict(make_up_days or {})
        self.office_hours = tuple(office_hours)
        self.tz = tz
        self._check()
        # Filled lazily per year; a racing thread at worst computes the same year twice.
        self._public: dict[int, tuple[dict[date, str], frozenset[date]]] = {}

    def _check(self) -> None:
        if not self.weekend <= set(range(7)) or len(self.weekend) == 7:
            raise ValueError(
                f"weekend: cần các số thứ trong tuần từ 0 (Thứ Hai) đến 6 (Chủ nhật) và phải còn "
                f"ít nhất một ngày làm việc, nhận được {sorted(self.weekend)}."
            )
        both = sorted(set(self.extra_days_off) & set(self.make_up_days))
        if both:
            raise ValueError(
                f"Ngày {both[0]:%d/%m/%Y} vừa là ngày nghỉ thêm vừa là ngày làm bù; "
                "hãy xoá ngày đó khỏi một trong hai danh sách."
            )
        if not self.office_hours:
            raise ValueError(
                "office_hours: cần ít nhất một khoảng giờ làm việc, ví dụ 07:30-11:30."
            )
        previous_end = time.min
        for opens, closes in self.office_hours:
            if not previous_end <= opens < closes:
                raise ValueError(
                    f"office_hours: khoảng {opens:%H:%M}-{closes:%H:%M} phải bắt đầu trước khi kết "
                    "thúc, và các khoảng phải theo thứ tự trong ngày, không chồng lên nhau."
                )
            previous_end = closes

    def _public_year(self, year: int) -> tuple[dict[date, str], frozenset[date]]:
        cached = self._public.get(year)
        if cached is None:
            # year + 1 too: the package files a make-up Saturday under the year of the day off it
            # pays for (Saturday 27/12/2014 paid for Friday 2/1/2015).
            table = holidays.country_holidays("VN", years=(year, year + 1), language="vi")
            days = {d: str(name) for d, name in table.items() if d.year == year}
            announced = getattr(table, "weekend_workdays", ())  # absent from old releases
            make_up = frozenset(d for d in announced if d.year == year)
            cached = self._public[year] = (days, make_up)
        return cached

    def statutory_days(self, year: int) -> list[tuple[date, str, str]]:
        """The year's public holidays and announced make-up Saturdays the package knows:
        (day, "off" or "work", name), in date order, for the admins' calendar page."""
        public, make_up = self._public_year(year)
        days = [(day, "off", name) for day, name in public.items()]
        days += [(day, "work", "Ngày làm bù theo thông báo của Chính phủ") for day in make_up]
        return sorted(days)

    def _day(self, day: date) -> date:
        # datetime is a subclass of date: take its local calendar date, not its UTC one.
        return to_local(day, self.tz).date() if isinstance(day, datetime) else day

    def localize(self, moment: datetime) -> datetime:
        """``moment`` in this calendar's time zone (naive datetimes are refused)."""
        return to_local(moment, self.tz)

    def end_of_day(self, day: date) -> datetime:
        """24:00 of ``day`` (see ``END_OF_DAY``)."""
        return datetime.combine(day, END_OF_DAY, tzinfo=self.tz)

    def is_working_day(self, day: date) -> bool:
        day = self._day(day)
        if day in self.make_up_days:
            return True
        if day in self.extra_days_off:
            return False
        public, package_make_up = self._public_year(day.year)
        if day in public:
            return False
        if day.weekday() in self.weekend:
            return day in package_make_up
        return True

    def reason(self, day: date) -> str | None:
        """Why ``day`` is a day off, in Vietnamese for the UI; ``None`` for a working day."""
        day = self._day(day)
        if self.is_working_day(day):
            return None
        public, _ = self._public_year(day.year)
        if day in public:
            return public[day]
        if day in self.extra_days_off:
            return self.extra_days_off[day]
        return f"Nghỉ cuối tuần ({WEEKDAY_NAMES[day.weekday()]})"

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day = self._day(day)
        for offset in range(1, _MAX_DAYS_OFF_IN_A_ROW + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(
            f"Không có ngày làm việc nào trong {_MAX_DAYS_OFF_IN_A_ROW} ngày sau {day:%d/%m/%Y}; "
            "kiểm tra weekend và extra_days_off trong cấu hình thời hạn."
        )

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """End (24:00) of the ``n``-th working day after the day of ``start`` (BLDS 147, 148)."""
        local = self.localize(start)
        _check_count(n)
        if n == 0:
            return local
        day = local.date()
        for _ in range(n):
            day = self.next_working_day(day)
        return self.end_of_day(day)

    def add_calendar_days(self, start: datetime, n: int) -> datetime:
        """End of a period of ``n`` calendar days starting on the day after ``start``.

        BLDS Điều 147: the start day is not counted. Điều 148: the period ends at 24:00 of its
        last day, or at the end of the next working day when the last day is a day off.
        """
        local = self.localize(start)
        _check_count(n)
        if n == 0:
            return local
        last = local.date() + timedelta(days=n)
        if not self.is_working_day(last):
            last = self.next_working_day(last)
        return self.end_of_day(last)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment when ``hours`` of office time have passed since ``start``.

        Only minutes inside ``office_hours`` on working days count; a period that runs out exactly
        at a closing time ends then (11:30), not at the next opening (13:30).
        """
        local = self.localize(start)
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"Số giờ phải là số không âm, nhận được {hours!r}.")
        remaining = timedelta(hours=hours)
        if not remaining:
            return local
        day = local.date()
        if not self.is_working_day(day):
            day = self.next_working_day(day)
        while True:
            for opens, closes in self.office_hours:
                begin = max(local, datetime.combine(day, opens, tzinfo=self.tz))
                end = datetime.combine(day, closes, tzinfo=self.tz)
                if begin >= end:
                    continue
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
            day = self.next_working_day(day)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``; negative if ``end`` is earlier.

        The inverse of ``add_working_days``: ``working_days_between(s, add_working_days(s, n))``
        is ``n``. Accepts dates or aware datetimes (their local date is used).
        """
        first, last = self._day(start), self._day(end)
        if last < first:
            return -self.working_days_between(last, first)
        span = (last - first).days
        return sum(self.is_working_day(first + timedelta(days=k)) for k in range(1, span + 1))


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"Số ngày phải là số nguyên không âm, nhận được {n!r}.")


# ------------------------------------------- the calendar keys of config/deadlines.yaml, strictly


def calendar_from_config(raw: Mapping[str, Any]) -> WorkingCalendar:
    """The calendar described by the ``weekend``, ``office_hours``, ``extra_days_off`` and
    ``make_up_days`` keys; a ValueError names the bad key path."""
    return WorkingCalendar(
        weekend=_weekend(raw.get("weekend")),
        office_hours=_office_hours(raw.get("office_hours")),
        extra_days_off=_days(raw.get("extra_days_off"), "extra_days_off"),
        make_up_days=_days(raw.get("make_up_days"), "make_up_days"),
    )


def check_keys(
    data: Mapping[str, Any], allowed: Iterable[str], required: Iterable[str], where: str
) -> None:
    """Refuse unknown keys and missing required ones, naming the key path."""
    prefix = f"{where}." if where else ""
    allowed = tuple(allowed)
    for key in data:
        if key not in allowed:
            raise ValueError(
                f"{prefix}{key}: khoá không được hỗ trợ; các khoá hợp lệ: {', '.join(allowed)}"
            )
    for key in required:
        if key not in data:
            raise ValueError(f"{prefix}{key}: thiếu khoá bắt buộc")


def as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: cần một danh sách (list), nhận được {value!r}")
    return value


def parse_date(value: Any, where: str) -> date:
    """A YAML date (2026-07-01, unquoted or quoted); datetimes are refused."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where}: cần ngày dạng YYYY-MM-DD (ví dụ 2026-07-01), nhận được {value!r}")


def _weekend(value: Any) -> frozenset[int]:
    if value is None:
        return DEFAULT_WEEKEND
    days = set()
    for i, name in enumerate(as_list(value, "weekend")):
        if name not in _DAY_KEYS:
            raise ValueError(
                f"weekend[{i}]: {name!r} không phải tên thứ; dùng ví dụ saturday, sunday "
                "(hoặc thu_bay, chu_nhat)"
            )
        days.add(_DAY_KEYS[name])
    return frozenset(days)


def _office_hours(value: Any) -> tuple[tuple[time, time], ...]:
    if value is None:
        return DEFAULT_OFFICE_HOURS
    spans = []
    for i, span in enumerate(as_list(value, "office_hours")):
        # Spans are "07:30-11:30" strings: YAML 1.1 reads an unquoted 13:30 as the number 810.
        parts = span.split("-") if isinstance(span, str) else []
        try:
            opens, closes = (time.fromisoformat(p.strip()) for p in parts)
        except ValueError:
            raise ValueError(
                f'office_hours[{i}]: cần dạng "HH:MM-HH:MM" (ví dụ "07:30-11:30"), '
                f"nhận được {span!r}"
            ) from None
        spans.append((opens, closes))
    return tuple(spans)


def _days(value: Any, where: str) -> dict[date, str]:
    days: dict[date, str] = {}
    for i, entry in enumerate(as_list(value if value is not None else [], where)):
        at = f"{where}[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{at}: cần {{date, reason}} hoặc {{from, to, reason}}")
        keys = ("date", "reason") if "date" in entry else ("from", "to", "reason")
        check_keys(entry, keys, keys, at)
        first = parse_date(entry[keys[0]], f"{at}.{keys[0]}")
        last = parse_date(entry["to"], f"{at}.to") if "to" in entry else first
        reason = entry["reason"]
        if last < first or not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{at}: 'to' không được trước 'from' và 'reason' phải có nội dung")
        for k in range((last - first).days + 1):
            day = first + timedelta(days=k)
            if day in days:
                raise ValueError(f"{at}: ngày {day:%d/%m/%Y} đã khai báo ở mục trước")
            days[day] = reason.strip()
    return days

"""Reporting periods: calendar weeks and months, and the inspectorate's quarters and years.

Thông tư 02/2021/TT-TTCP cuts report data off on the 14th of a quarter's last month: Q1 runs
from 15/12 of the previous year to 14/3, Q2 from 15/3 to 14/6, Q3 from 15/6 to 14/9, Q4 from
15/9 to 14/12, and the annual report from 15/12 to 14/12. The cut-off day is configurable
(``alerts.report_quarter_cutoff_day``). Every period is a range of local (Asia/Ho_Chi_Minh)
dates, both ends included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from storage.workdays import VIETNAM_TZ

KINDS = ("week", "month", "quarter", "year")
ROMAN = ("I", "II", "III", "IV")
DEFAULT_CUTOFF_DAY = 14


@dataclass(frozen=True)
class Period:
    kind: str
    first: date
    last: date
    label: str

    def bounds(self) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC: local midnight of ``first`` to local midnight after ``last``."""
        start = datetime.combine(self.first, time.min, tzinfo=VIETNAM_TZ)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=VIETNAM_TZ)
        return start.astimezone(UTC), end.astimezone(UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=k) for k in range((self.last - self.first).days + 1)]

    @property
    def span(self) -> str:
        return f"{self.first:%d/%m/%Y} – {self.last:%d/%m/%Y}"

    @property
    def slug(self) -> str:
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"


def week_of(day: date) -> Period:
    first = day - timedelta(days=day.weekday())
    number = first.isocalendar().week
    return Period("week", first, first + timedelta(days=6), f"Tuần {number}/{first.year}")


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period("month", first, last, f"Tháng {day.month}/{day.year}")


def quarter_of(day: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> Period:
    """The inspectorate's quarter containing ``day`` (20/12/2026 is in Q1 of 2027)."""
    year = _report_year(day, cutoff_day)
    for q in range(1, 5):
        last = date(year, 3 * q, cutoff_day)
        if day <= last:
            first = _after_cutoff(year, 3 * q - 3, cutoff_day)
            return Period("quarter", first, last, f"Quý {ROMAN[q - 1]} năm {year}")
    raise AssertionError("unreachable: _report_year puts every day in one of four quarters")


def year_of(day: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> Period:
    """The inspectorate's report year containing ``day``: 15/12 of the previous year to 14/12."""
    year = _report_year(day, cutoff_day)
    first = _after_cutoff(year, 0, cutoff_day)
    return Period("year", first, date(year, 12, cutoff_day), f"Năm {year}")


def _report_year(day: date, cutoff_day: int) -> int:
    return day.year + 1 if (day.month, day.day) > (12, cutoff_day) else day.year


def _after_cutoff(year: int, month: int, cutoff_day: int) -> date:
    """The day after the cut-off of ``month`` of ``year``; month 0 is December of year - 1."""
    if month == 0:
        return date(year - 1, 12, cutoff_day) + timedelta(days=1)
    return date(year, month, cutoff_day) + timedelta(days=1)


def between(first: date, last: date) -> Period:
    if last < first:
        raise ValueError(
            f"Ngày kết thúc {last:%d/%m/%Y} trước ngày bắt đầu {first:%d/%m/%Y}; "
            "viết TỪ..ĐẾN, ví dụ 2026-03-01..2026-03-31."
        )
    return Period("range", first, last, f"Từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}")


def parse_period(spec: str, at: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> Period:
    """``week``, ``month``, ``quarter``, ``year`` (the one containing ``at``) or ``FROM..TO``."""
    spec = spec.strip().lower()
    if spec == "week":
        return week_of(at)
    if spec == "month":
        return month_of(at)
    if spec == "quarter":
        return quarter_of(at, cutoff_day)
    if spec == "year":
        return year_of(at, cutoff_day)
    if ".." in spec:
        first, _, last = (part.strip() for part in spec.partition(".."))
        if not last and first:
            raise ValueError("Mới có Từ ngày: điền cả Đến ngày (hoặc chọn tuần, tháng, quý, năm).")
        if not first and last:
            raise ValueError("Mới có Đến ngày: điền cả Từ ngày (hoặc chọn tuần, tháng, quý, năm).")
        return between(parse_day(first), parse_day(last))
    raise ValueError(
        f"Kỳ báo cáo {spec!r} không hợp lệ; dùng week, month, quarter, year hoặc "
        "TỪ..ĐẾN (ví dụ 2026-03-01..2026-03-31)."
    )


def parse_day(text: str) -> date:
    """An ISO date (2026-03-14) or the Vietnamese way of writing it (14/03/2026)."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"Ngày {text!r} không hợp lệ; viết dạng 2026-03-14 hoặc 14/03/2026.")


def local_today(now: datetime) -> date:
    return now.astimezone(VIETNAM_TZ).date()

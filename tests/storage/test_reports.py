"""Leadership reports: periods, figures checked against independent SQL, the Excel/CSV files."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from review.report_export import write_csv, write_xlsx
from storage.poll_state import sync_pages
from storage.report_periods import month_of, parse_period, quarter_of, week_of, year_of
from storage.reports import SOURCE_NAMES, build_report
from storage.tables import OPEN_STATUSES, Item

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=VN)
MARCH = month_of(date(2026, 3, 20))
SOURCES = ("facebook_comment", "facebook_message", "facebook_post", "hotline")
CATEGORIES = ("phan_anh", "kien_nghi", "hoi_dap", "to_cao", None)
FIELDS = ("khcn_cds", "ha_tang_moi_truong", None)
DEPARTMENTS = ("Phòng Văn hóa - Xã hội", "Phòng Kinh tế", None)
STATUSES = ("new", "assigned", "in_progress", "answered", "closed", "not_actionable")
DENOUNCER = "Trần Thị Bình"


@pytest.mark.parametrize(
    ("day", "first", "last", "label"),
    [
        (date(2026, 1, 10), date(2025, 12, 15), date(2026, 3, 14), "Quý I năm 2026"),
        (date(2026, 3, 14), date(2025, 12, 15), date(2026, 3, 14), "Quý I năm 2026"),
        (date(2026, 3, 15), date(2026, 3, 15), date(2026, 6, 14), "Quý II năm 2026"),
        (date(2026, 9, 14), date(2026, 6, 15), date(2026, 9, 14), "Quý III năm 2026"),
        (date(2026, 12, 14), date(2026, 9, 15), date(2026, 12, 14), "Quý IV năm 2026"),
        (date(2026, 12, 15), date(2026, 12, 15), date(2027, 3, 14), "Quý I năm 2027"),
    ],
)
def test_quarters_are_cut_off_on_the_14th_of_their_last_month(
    day: date, first: date, last: date, label: str
) -> None:
    quarter = quarter_of(day)
    assert (quarter.first, quarter.last, quarter.label) == (first, last, label)


def test_the_report_year_runs_from_the_15th_of_december_and_the_cut_off_is_configurable() -> None:
    assert (year_of(date(2026, 6, 1)).first, year_of(date(2026, 6, 1)).last) == (
        date(2025, 12, 15),
        date(2026, 12, 14),
    )
    assert year_of(date(2026, 12, 20)).label == "Năm 2027"
    q1 = quarter_of(date(2026, 3, 18), cutoff_day=20)
    assert (q1.first, q1.last) == (date(2025, 12, 21), date(2026, 3, 20))


def test_weeks_and_months_are_calendar_periods_in_vietnam_time() -> None:
    assert (week_of(date(2026, 3, 1)).first, week_of(date(2026, 3, 1)).last) == (
        date(2026, 2, 23),
        date(2026, 3, 1),
    )
    february = parse_period("month", date(2026, 2, 10))
    assert (february.first, february.last) == (date(2026, 2, 1), date(2026, 2, 28))
    assert february.bounds() == (
        datetime(2026, 1, 31, 17, 0, tzinfo=UTC),
        datetime(2026, 2, 28, 17, 0, tzinfo=UTC),
    )
    explicit = parse_period("2026-03-01..31/03/2026", date(2026, 1, 1))
    assert (explicit.first, explicit.last) == (date(2026, 3, 1), date(2026, 3, 31))
    with pytest.raises(ValueError, match=r"TỪ\.\.ĐẾN"):
        parse_period("fortnight", date(2026, 1, 1))


def seed(sessions: sessionmaker[Session]) -> None:
    """Items in and around March 2026 for two units, with every status and timing."""
    rng = random.Random(20260320)
    start = MARCH.bounds()[0] - timedelta(days=5)
    with sessions.begin() as s:
        sync_pages(
            s,
            [
                ("cam-giang", "UBND xã Cẩm Giàng", "xa"),
                ("ai-quoc", "UBND phường Ái Quốc", "phuong"),
            ],
            [],
        )
        for n in range(160):
            created = start + timedelta(hours=rng.uniform(0, 24 * 40))
            s.add(random_item(rng, n, created))
        # On the edge: 00:30 on 1 March in Vietnam is still 28 February in UTC.
        s.add(random_item(rng, 1000, datetime(2026, 3, 1, 0, 30, tzinfo=VN)))
        s.add(
            random_item(
                rng,
                1001,
                datetime(2026, 3, 2, 21, 0, tzinfo=VN),
                unit_id="cam-giang",
                author_name=DENOUNCER,
                text=f'=HYPERLINK("http://x") Tôi là {DENOUNCER}, tố cáo cán bộ xã',
                category="to_cao",
                confidential=True,
                urgent=True,
                status="in_progress",
                due_at=datetime(2026, 3, 10, 17, 0, tzinfo=VN),
            )
        )


def random_item(rng: random.Random, n: int, created: datetime, **fixed: Any) -> Item:
    status = rng.choice(STATUSES)
    handled = status in ("answered", "closed")
    due = created + timedelta(days=rng.choice((1, 3, 5, 15))) if rng.random() < 0.9 else None
    answered = created + timedelta(hours=rng.uniform(1, 24 * 12)) if handled else None
    values: dict[str, Any] = {
        "source": rng.choice(SOURCES),
        "external_id": f"x{n}",
        "unit_id": rng.choice(("cam-giang", "cam-giang", "ai-quoc")),
        "author_id": f"u{n}",
        "author_name": f"Người dân {n}",
        "by_page": rng.random() < 0.1,
        "text": f"Nội dung {n}",
        "content_hash": f"h{n}",
        "created_time": created,
        "first_seen_at": created,
        "last_seen_at": created,
        "category": rng.choice(CATEGORIES),
        "field": rng.choice(FIELDS),
        "department": rng.choice(DEPARTMENTS),
        "urgent": rng.random() < 0.1,
        "status": status,
        "due_at": due,
        "acknowledged_at": created + timedelta(minutes=rng.uniform(5, 600))
        if rng.random() < 0.7
        else None,
        "answered_at": answered,
        "closed_at": answered + timedelta(hours=1) if answered and status == "closed" else None,
    }
    values.update(fixed)
    return Item(**values)


def cohort(unit: str) -> Any:
    start, end = MARCH.bounds()
    return and_(
        Item.unit_id == unit,
        Item.by_page.is_(False),
        Item.created_time >= start,
        Item.created_time < end,
    )


def sql_count(session: Session, *conditions: Any) -> int:
    query = select(func.count()).select_from(Item).where(*conditions)
    return int(session.scalar(query) or 0)


def sheet_rows(book: Any, name: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in book[name].iter_rows(values_only=True)]


def test_the_excel_report_opens_and_its_totals_match_the_database(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions)
    buffer = io.BytesIO()
    with sessions.begin() as s:
        report = build_report(s, MARCH, NOW.astimezone(UTC), "cam-giang")
        write_xlsx(report, buffer, "https://pakn.example.vn")
        is_open = Item.status.in_(OPEN_STATUSES)
        handled_at = func.coalesce(Item.answered_at, Item.closed_at)
        now = NOW.astimezone(UTC)
        expected = {
            "Tổng số tiếp nhận": sql_count(s, cohort("cam-giang")),
            "Quá hạn, chưa xử lý": sql_count(s, cohort("cam-giang"), is_open, Item.due_at < now),
            "Đã xử lý trễ hạn": sql_count(
                s, cohort("cam-giang"), not_(is_open), handled_at > Item.due_at
            ),
            "Đang xử lý, còn hạn": sql_count(
                s, cohort("cam-giang"), is_open, or_(Item.due_at.is_(None), Item.due_at >= now)
            ),
        }
        by_source = dict(
            s.execute(
                select(Item.source, func.count()).where(cohort("cam-giang")).group_by(Item.source)
            ).all()
        )
        overdue_ids = set(
            s.scalars(select(Item.id).where(cohort("cam-giang"), is_open, Item.due_at < now))
        )
        urgent_ids = set(s.scalars(select(Item.id).where(cohort("cam-giang"), Item.urgent)))
        answer_pairs = s.execute(
            select(Item.created_time, Item.answered_at).where(
                cohort("cam-giang"), Item.answered_at.is_not(None)
            )
        ).all()

    book = load_workbook(io.BytesIO(buffer.getvalue()))
    summary = {row[0]: row[1] for row in sheet_rows(book, "Tổng hợp") if row and row[0]}
    for label, value in expected.items():
        assert summary[label] == value, label
    assert expected["Tổng số tiếp nhận"] > 40 and expected["Quá hạn, chưa xử lý"] > 0
    assert summary["Đã xử lý đúng hạn"] == expected["Tổng số tiếp nhận"] - sum(
        expected[k] for k in ("Quá hạn, chưa xử lý", "Đã xử lý trễ hạn", "Đang xử lý, còn hạn")
    )
    hours = [(a - c).total_seconds() / 3600 for c, a in answer_pairs if a is not None]
    assert summary["Thời gian trả lời trung bình (giờ)"] == pytest.approx(
        sum(hours) / len(hours), abs=0.05
    )

    # Leaders read the channel's name, never its code; the last row is the total.
    *channel_rows, total_row = sheet_rows(book, "Theo kênh")[1:]
    channels = {row[0]: row[1] for row in channel_rows if row[1]}
    assert channels == {SOURCE_NAMES[source]: n for source, n in by_source.items()}
    assert list(total_row[:2]) == ["Tổng cộng", expected["Tổng số tiếp nhận"]]
    assert sheet_rows(book, "Theo loại")[-1][1] == expected["Tổng số tiếp nhận"]
    assert {row[0] for row in sheet_rows(book, "Quá hạn")[1:]} == overdue_ids
    assert {row[0] for row in sheet_rows(book, "Khẩn")[1:]} == urgent_ids


def test_confidential_authors_are_masked_and_texts_never_become_formulas(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions)
    buffer = io.BytesIO()
    with sessions.begin() as s:
        report = build_report(s, MARCH, NOW.astimezone(UTC), "cam-giang")
    write_xlsx(report, buffer)

    book = load_workbook(io.BytesIO(buffer.getvalue()))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not any(DENOUNCER in str(cell.value) for cell in cells)
    formulas = [c for c in cells if str(c.value).startswith("=HYPERLINK")]
    assert len(formulas) == 2  # overdue and urgent: listed twice, as text both times
    assert all(c.data_type == "s" for c in formulas)
    assert any("được bảo vệ" in str(c.value) for c in cells)


def test_the_csv_report_carries_the_same_totals_per_unit_and_for_all_units(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions)
    with sessions.begin() as s:
        totals = {unit: sql_count(s, cohort(unit)) for unit in ("cam-giang", "ai-quoc")}
        reports = {
            unit: build_report(s, MARCH, NOW.astimezone(UTC), unit)
            for unit in ("cam-giang", "ai-quoc", None)
        }
    for unit, report in reports.items():
        out = io.StringIO()
        write_csv(report, out)
        rows = list(csv.reader(io.StringIO(out.getvalue())))
        received = next(int(r[1]) for r in rows if r and r[0] == "Tổng số tiếp nhận")
        assert received == (totals[unit] if unit else sum(totals.values()))
        assert not any(DENOUNCER in cell for row in rows for cell in row)
    assert {t.key: t.received for t in reports[None].by["unit_id"]} == totals


def test_an_item_received_after_midnight_in_vietnam_counts_in_the_new_month(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions)
    february = month_of(date(2026, 2, 1))
    with sessions.begin() as s:
        march_ids = {i.id for i in build_report(s, MARCH, NOW, None).urgent_items}
        item = s.scalars(select(Item).where(Item.external_id == "x1000")).one()
        item.urgent, item.by_page = True, False
        s.flush()
        in_march = {i.id for i in build_report(s, MARCH, NOW, None).urgent_items}
        in_february = {i.id for i in build_report(s, february, NOW, None).urgent_items}
    assert item.id in in_march and item.id not in march_ids | in_february

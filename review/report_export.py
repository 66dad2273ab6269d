"""The leadership report as a file: an Excel workbook (openpyxl) or CSV.

Used by ``pakn report`` and the dashboard's download. Citizens' texts are written as plain
text, never as formulas: a comment starting with "=" must not run in the leader's Excel, nor
once someone edits the cell or saves the sheet as CSV (storage.masking.spreadsheet_text).
Denouncers arrive masked already (storage.reports).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from classifier.labels import category_name, field_name
from storage.masking import spreadsheet_text
from storage.reports import (
    SOURCE_NAMES,
    STATUS_NAMES,
    ListedItem,
    Report,
    Tally,
    percent,
    summary_rows,
)
from storage.workdays import VIETNAM_TZ, deadline_text

TITLE = "BÁO CÁO TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ CỦA NGƯỜI DÂN"
UNKNOWN = "Chưa xác định"
DIMENSION_SHEETS = (
    ("source", "Theo kênh", "Kênh tiếp nhận"),
    ("category", "Theo loại", "Loại"),
    ("field", "Theo lĩnh vực", "Lĩnh vực"),
    ("department", "Theo phòng ban", "Phòng ban"),
    ("unit_id", "Theo đơn vị", "Đơn vị"),
)
# Leaders read names: no column of internal codes (the unit's id, a field's code).
TALLY_HEADER = ("Tên", "Tiếp nhận", "Đúng hạn", "Trễ hạn", "Còn hạn", "Quá hạn", "Đúng hạn %")
ITEM_HEADER = (
    "Mã mục",
    "Ngày nhận",
    "Đơn vị",
    "Kênh",
    "Loại",
    "Lĩnh vực",
    "Phòng ban",
    "Trạng thái",
    "Hạn xử lý",
    "Kết quả",
    "Người gửi",
    "Nội dung tóm tắt",
    "Liên kết",
)
NOTE_HEADER = "Lý do kéo dài"
ITEM_WIDTHS = [9, 17, 24, 20, 14, 24, 28, 16, 17, 18, 30, 70, 36, 60]
OUTCOME_NAMES = {
    "on_time": "Đúng hạn",
    "late": "Trễ hạn",
    "open": "Đang xử lý, còn hạn",
    "overdue": "Quá hạn",
}
DATE_FORMAT = "dd/mm/yyyy hh:mm"


def display_name(dimension: str, key: str | None, report: Report) -> str:
    if key is None or key == "":
        return UNKNOWN
    namers: dict[str, Callable[[str], str]] = {
        "source": lambda k: SOURCE_NAMES.get(k, k),
        "category": category_name,
        "field": field_name,
        "unit_id": lambda k: report.unit_names.get(k, k),
    }
    return namers.get(dimension, str)(key)


def scope_name(report: Report) -> str:
    if report.unit_id is None:
        return "Tất cả đơn vị"
    return report.unit_names.get(report.unit_id, report.unit_id)


def file_name(report: Report, fmt: str) -> str:
    return f"bao-cao-{report.unit_id or 'tat-ca'}-{report.period.slug}.{fmt}"


def local_time(moment: datetime | None) -> datetime | None:
    # Excel has no time zones: cells hold the Vietnamese wall-clock time.
    return None if moment is None else moment.astimezone(VIETNAM_TZ).replace(tzinfo=None)


def _percent(tally: Tally) -> float | None:
    return percent(tally.on_time_rate)


def tally_rows(report: Report, dimension: str) -> list[list[Any]]:
    rows = [
        [
            display_name(dimension, t.key, report),
            t.received,
            t.on_time,
            t.late,
            t.open,
            t.overdue,
            _percent(t),
        ]
        for t in report.by.get(dimension, [])
    ]
    total = report.totals
    counts = [total.received, total.on_time, total.late, total.open, total.overdue]
    rows.append(["Tổng cộng", *counts, _percent(total)])
    return rows


def item_rows(
    report: Report, items: Iterable[ListedItem], public_url: str, *, with_note: bool = False
) -> list[list[Any]]:
    base = public_url.rstrip("/")
    return [
        [
            item.id,
            local_time(item.received_at),
            display_name("unit_id", item.unit_id, report),
            display_name("source", item.source, report),
            display_name("category", item.category, report),
            display_name("field", item.field, report),
            item.department or UNKNOWN,
            STATUS_NAMES.get(item.status, item.status),
            deadline_text(item.due_at) if item.due_at else "",
            OUTCOME_NAMES[item.outcome],
            item.author,
            item.excerpt,
            f"{base}/items/{item.id}" if base else "",
            *([item.note] if with_note else []),
        ]
        for item in items
    ]


def item_lists(report: Report) -> list[tuple[str, list[ListedItem], bool]]:
    """The lists of the file: (title, items, with the prolonged reason)."""
    return [
        ("Quá hạn", report.overdue_items, False),
        ("Kéo dài", report.prolonged_items, True),
        ("Khẩn", report.urgent_items, False),
    ]


def header_rows(report: Report) -> list[list[Any]]:
    period = report.period
    return [
        [TITLE],
        ["Đơn vị", scope_name(report)],
        ["Kỳ báo cáo", f"{period.label} ({period.span})"],
        ["Lập lúc", local_time(report.generated_at)],
    ]


# ------------------------------------------------------------------------------------ xlsx


def write_xlsx(report: Report, out: IO[bytes], public_url: str = "") -> None:
    book = Workbook()
    summary = book.active
    assert summary is not None  # a new workbook always has its first sheet
    summary.title = "Tổng hợp"
    fill(summary, [*header_rows(report), [], ["Chỉ tiêu", "Giá trị"]])
    fill(summary, [list(row) for row in summary_rows(report)], start=summary.max_row + 1)
    summary["A1"].font = Font(bold=True, size=13)
    summary.cell(row=6, column=1).font = Font(bold=True)
    summary.cell(row=6, column=2).font = Font(bold=True)
    set_widths(summary, [42, 48])
    for dimension, title, _label in DIMENSION_SHEETS:
        sheet = book.create_sheet(title)
        table(
            sheet,
            list(TALLY_HEADER),
            tally_rows(report, dimension),
            [44, 11, 11, 11, 11, 11, 12],
        )
    for title, items, with_note in item_lists(report):
        sheet = book.create_sheet(title)
        header = [*ITEM_HEADER, *([NOTE_HEADER] if with_note else [])]
        rows = item_rows(report, items, public_url, with_note=with_note)
        table(sheet, header, rows, ITEM_WIDTHS[: len(header)])
    book.save(out)


def table(sheet: Worksheet, header: list[str], rows: list[list[Any]], widths: list[int]) -> None:
    fill(sheet, [header, *rows])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    set_widths(sheet, widths)


def fill(sheet: Worksheet, rows: Sequence[Sequence[Any]], start: int = 1) -> None:
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store "=..." as a formula
                if spreadsheet_text(value) != value:
                    # Excel's own "typed with a leading '": text even after editing the cell.
                    cell.quotePrefix = True
            elif isinstance(value, datetime):
                cell.number_format = DATE_FORMAT


def set_widths(sheet: Worksheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width


# ------------------------------------------------------------------------------------- csv


def write_csv(report: Report, out: IO[str], public_url: str = "") -> None:
    """Blocks separated by an empty line, each with its own header (UTF-8 with BOM for Excel
    is the caller's choice of encoding)."""
    writer = csv.writer(out)
    rows: list[Sequence[Any]] = [*header_rows(report), [], ["Chỉ tiêu", "Giá trị"]]
    rows += [list(r) for r in summary_rows(report)]
    for dimension, _title, label in DIMENSION_SHEETS:
        rows += [[], [label], TALLY_HEADER, *tally_rows(report, dimension)]
    for title, items, with_note in item_lists(report):
        rows += [[], [f"Danh sách {title.lower()}"]]
        rows += [[*ITEM_HEADER, *([NOTE_HEADER] if with_note else [])]]
        rows += item_rows(report, items, public_url, with_note=with_note)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return spreadsheet_text(value) if isinstance(value, str) else value

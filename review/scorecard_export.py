"""The scorecard as an Excel workbook: one line per unit (and their total), then the lists.

The same figures as the page (storage/scorecard.py); citizens' texts as plain text and masked,
as in every report file (review/report_export.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font

from review.report_export import (
    ITEM_HEADER,
    OUTCOME_NAMES,
    fill,
    item_rows,
    local_time,
    set_widths,
    table,
)
from storage.prolonged import MARGIN_WORKING_DAYS
from storage.reports import ListedItem, percent
from storage.scorecard import Scorecard, UnitScore

TITLE = "BẢNG CHỈ SỐ TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ"
SCORE_HEADER = (
    "Đơn vị",
    "Tiếp nhận",
    "Đã đến hạn",
    "Đúng hạn",
    "Trễ hạn",
    "Quá hạn, chưa xử lý",
    "Tỷ lệ đúng hạn (%)",
    "Đạt mốc 100 %",
    "Đạt mốc 90 %",
    "Kéo dài",
    "Điểm chỉ số 8",
    "Lượt đánh giá",
    "Hài lòng",
    "Tỷ lệ hài lòng (%)",
    "Mở lại do chưa hài lòng",
    "Mở lại: xử lý lại đúng hạn",
    "Mở lại: trễ hạn",
    "Mở lại: quá hạn mới, chưa xử lý",
    "Công khai kết quả",
    "Chuyển cơ quan khác",
    "Chuyển trong 5 ngày làm việc",
    "Phản ánh về cán bộ",
    "Về cán bộ: đã xử lý",
    "Về cán bộ: quá hạn",
    "Về cán bộ: có chỉ đạo",
    "Việc khẩn",
    "Khẩn: thao tác đầu kịp thời",
    "Khẩn: trung vị đến thao tác đầu (phút)",
)
RULES = (
    "Tỷ lệ đúng hạn = đúng hạn / đã đến hạn (đúng hạn + trễ hạn + quá hạn chưa xử lý), "
    "các mục nhận trong kỳ; làm tròn xuống 0,1 %.",
    f"Kéo dài: quá hạn hơn {MARGIN_WORKING_DAYS} ngày làm việc mà chưa xử lý xong (hoặc xử lý "
    "xong sau mốc đó), hoặc được gia hạn theo chỉ đạo, trong kỳ; kể cả mục nhận từ kỳ trước.",
    "Điểm chỉ số 8 (TT 01/2018/TT-VPCP, Điều 13): 2 khi 100 % đúng hạn và không có mục kéo "
    "dài; 1 khi từ 90 % và không có mục kéo dài; 0 khi dưới 90 % hoặc có mục kéo dài.",
    "Mở lại do chưa hài lòng: mục người dân đánh giá chưa hài lòng trong kỳ; mỗi mục mở lại "
    "được tính hạn mới từ ngày mở lại và xét đúng hạn riêng, không tính vào tỷ lệ đúng hạn (lần "
    "xử lý đầu vẫn tính ở kỳ nhận mục).",
    "Phản ánh về cán bộ: tố cáo hoặc khiếu nại thuộc lĩnh vực hành chính, hoặc nêu cán bộ, "
    "công chức, chủ tịch, bộ phận một cửa, công an xã, trưởng thôn…",
    "Việc khẩn: từ lúc nhận đến thao tác đầu tiên của cán bộ (xem không tính); kịp thời khi "
    "trước hạn xử lý của mục.",
)


def file_name(card: Scorecard, unit: str | None) -> str:
    return f"bang-chi-so-{unit or 'tat-ca'}-{card.period.slug}.xlsx"


def score_row(line: UnitScore) -> list[Any]:
    t = line.tally
    officials = line.officials.tally
    return [
        line.name,
        t.received,
        t.due,
        t.on_time,
        t.late,
        t.overdue,
        percent(t.on_time_rate),
        "Đạt" if t.on_time == t.due else "Không",
        "Đạt" if t.on_time * 10 >= t.due * 9 else "Không",
        len(line.prolonged),
        line.points,
        line.satisfaction.rated,
        line.satisfaction.satisfied,
        percent(line.satisfaction.rate),
        line.reopened.received,
        line.reopened.on_time,
        line.reopened.late,
        line.reopened.overdue,
        line.published,
        line.transfers.made,
        line.transfers.in_time,
        officials.received,
        officials.on_time + officials.late,
        officials.overdue,
        line.officials.directed,
        len(line.urgent),
        line.urgent_in_time,
        None if line.urgent_median_minutes is None else round(line.urgent_median_minutes),
    ]


def write_scorecard(card: Scorecard, out: IO[bytes]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = "Chỉ số"
    lines = [*card.units, *([card.total] if card.total else [])]
    head: list[list[Any]] = [
        [TITLE],
        ["Kỳ", f"{card.period.label} ({card.period.span})"],
        ["Lập lúc", local_time(card.generated_at)],
        [],
        list(SCORE_HEADER),
    ]
    fill(sheet, [*head, *(score_row(line) for line in lines), [], *([r] for r in RULES)])
    sheet["A1"].font = Font(bold=True, size=13)
    for cell in sheet[5]:
        cell.font = Font(bold=True)
    set_widths(sheet, [30, *([12] * (len(SCORE_HEADER) - 1))])
    report = (card.total or card.units[0]).report
    _listing(book, "Kéo dài", "Lý do", lines, lambda line: line.prolonged, lambda i: i.note)
    _listing(
        book,
        "Về cán bộ",
        "Kết quả",
        lines,
        lambda line: line.officials.items,
        lambda i: OUTCOME_NAMES[i.outcome],
    )
    urgent = book.create_sheet("Khẩn")
    rows = []
    for line in card.units:
        for entry in line.urgent:
            (base,) = item_rows(report, [entry.item], "")
            minutes = None if entry.minutes is None else round(entry.minutes)
            rows.append([*base, local_time(entry.first_action_at), minutes, _yes(entry.in_time)])
    header = [*ITEM_HEADER, "Thao tác đầu tiên", "Số phút", "Kịp thời"]
    table(urgent, header, rows, [9, 17, 24, 20, 14, 24, 28, 16, 17, 18, 30, 70, 8, 17, 9, 9])
    book.save(out)


def _listing(
    book: Workbook,
    title: str,
    note_header: str,
    lines: list[UnitScore],
    items_of: Any,
    note_of: Any,
) -> None:
    """One sheet listing the items of every unit line (the total line repeats them: skipped)."""
    sheet = book.create_sheet(title)
    rows: list[list[Any]] = []
    for line in lines:
        if line.unit_id is None:
            continue
        found: Iterable[ListedItem] = items_of(line)
        for item in found:
            (base,) = item_rows(line.report, [item], "")
            rows.append([*base, note_of(item)])
    widths = [9, 17, 24, 20, 14, 24, 28, 16, 17, 18, 30, 70, 8, 50]
    table(sheet, [*ITEM_HEADER, note_header], rows, widths)


def _yes(flag: bool) -> str:
    return "Có" if flag else "Không"

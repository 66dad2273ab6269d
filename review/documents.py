"""Word (.docx) files that leave the web: the meeting summary and the transfer slip.

Both travel (printed, e-mailed, filed), so they carry what a file may carry
(storage.visibility: nobody is entitled in a file): the meeting summary names no sender at all,
the slip carries the content with a denouncer's identity masked, as the printed slip does.
Texts stay Vietnamese, as official papers are. The slip follows the layout of Vietnamese
administrative papers (NĐ 30/2020/NĐ-CP): issuing body and number on the left, the national
motto and place and date on the right, then the title, the addressee, the body, the
recipients and the signature.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from storage.report_periods import Period
from storage.reports import SOURCE_NAMES
from storage.tables import Proposal
from storage.transfers import TRANSFER_WORKING_DAYS, Slip
from storage.workdays import to_local

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
GROUP_COLUMNS = ("STT", "Nội dung", "Đơn vị", "Lĩnh vực", "Số mục", "Loại", "Chưa xong", "Quá hạn")


class Group(Protocol):
    """A topic group of the meeting summary (review.meeting_views.MeetingGroup)."""

    unit: str
    area: str
    title: str
    proposals: list[Proposal]

    @property
    def size(self) -> int: ...

    @property
    def categories(self) -> str: ...

    @property
    def open(self) -> int: ...

    @property
    def overdue(self) -> int: ...


@dataclass(frozen=True)
class Meeting:
    scope_name: str
    period: Period
    generated_at: datetime
    groups: Sequence[Group]
    states: Mapping[str, str]


def _day(moment: datetime) -> str:
    return f"{to_local(moment):%d/%m/%Y}"


def _new_document() -> DocxDocument:
    document = Document()
    normal = document.styles["Normal"].font
    normal.name, normal.size = "Times New Roman", Pt(13)
    for section in document.sections:
        section.page_height, section.page_width = Cm(29.7), Cm(21)
        section.top_margin = section.bottom_margin = Cm(2)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
    return document


def _centred(document: DocxDocument, text: str, *, bold: bool = False, size: int = 13) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.font.size = bold, Pt(size)


def _bytes(document: DocxDocument) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------ meeting summary


def meeting_docx(meeting: Meeting) -> bytes:
    """Title with the unit and period, the table of topic groups with their counts, then each
    group's proposals, their state and the leader's direction."""
    document = _new_document()
    _centred(document, "TỔNG HỢP PHẢN ÁNH, KIẾN NGHỊ ĐỂ GIAO BAN", bold=True, size=14)
    period = meeting.period
    _centred(document, f"{meeting.scope_name} · {period.label} ({period.span})")
    generated = f"{to_local(meeting.generated_at):%H:%M %d/%m/%Y}"
    total = sum(g.size for g in meeting.groups)
    document.add_paragraph(
        f"{len(meeting.groups)} nhóm nội dung, {total} mục (số liệu lúc {generated}). "
        "Các mục cùng đơn vị, cùng lĩnh vực và nội dung giống nhau được gộp thành một nhóm; "
        "thông tin người gửi không ghi trong tài liệu này."
    )
    if not meeting.groups:
        document.add_paragraph("Không có mục nào trong kỳ.")
        return _bytes(document)
    _group_table(document, meeting.groups)
    document.add_heading("Đề xuất và ý kiến chỉ đạo", level=2)
    for number, group in enumerate(meeting.groups, start=1):
        _proposals(document, number, group, meeting.states)
    document.add_paragraph(
        "Người tổng hợp: ......................"
    ).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _bytes(document)


def _group_table(document: DocxDocument, groups: Sequence[Group]) -> None:
    table = document.add_table(rows=1, cols=len(GROUP_COLUMNS))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, GROUP_COLUMNS, strict=True):
        cell.text = name
        cell.paragraphs[0].runs[0].bold = True
    for number, g in enumerate(groups, start=1):
        values = (number, g.title, g.unit, g.area, g.size, g.categories, g.open, g.overdue)
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = str(value)


def _proposals(
    document: DocxDocument, number: int, group: Group, states: Mapping[str, str]
) -> None:
    heading = document.add_paragraph()
    heading.add_run(f"Nhóm {number}: ").bold = True
    heading.add_run(f"{group.size} mục · {group.unit} · {group.area}")
    if not group.proposals:
        document.add_paragraph("Chưa có đề xuất.", style="List Bullet")
        return
    for p in group.proposals:
        line = document.add_paragraph(style="List Bullet")
        line.add_run(f"Đề xuất #{p.id} ({states.get(p.state, p.state)}): ").bold = True
        line.add_run(f"{p.summary}. Hướng xử lý: {p.handling}")
        department = p.directed_department or p.department
        deadline = p.directed_deadline or p.deadline
        if department:
            line.add_run(f" · {department}")
        if deadline:
            line.add_run(f" · hạn {_day(deadline)}")
        if p.direction:
            line.add_run().add_break()
            line.add_run("Ý kiến chỉ đạo: ").italic = True
            line.add_run(p.direction)


# -------------------------------------------------------------------------- transfer slip


def slip_docx(found: Slip, code: str | None, legal_basis: str) -> bytes:
    """The phiếu chuyển in the administrative layout (module docstring)."""
    moved, item, unit = found.transfer, found.item, found.unit_name
    document = _new_document()
    _slip_heading(document, found)
    _centred(document, "PHIẾU CHUYỂN", bold=True, size=14)
    _centred(document, "phản ánh, kiến nghị, khiếu nại, tố cáo không thuộc thẩm quyền giải quyết")
    to = document.add_paragraph()
    to.alignment = WD_ALIGN_PARAGRAPH.CENTER
    to.add_run("Kính gửi: ")
    to.add_run(moved.agency).bold = True
    source = SOURCE_NAMES.get(item.source, "phản ánh").lower()
    document.add_paragraph(
        f"Ngày {_day(item.created_time)}, Ủy ban nhân dân {unit} nhận được {source} "
        f"{_sender(found)}, nội dung như sau:"
    )
    content = document.add_paragraph(found.sender.text or "(không có nội dung chữ)")
    content.paragraph_format.left_indent = Cm(1)
    content.runs[0].italic = True
    document.add_paragraph(f"Lý do chuyển: {moved.reason}")
    tracked = f" (mã theo dõi {code[:4]}-{code[4:]})" if code else ""
    document.add_paragraph(
        f"Căn cứ {legal_basis}, Ủy ban nhân dân {unit} chuyển nội dung trên đến {moved.agency} "
        f"để xem xét, giải quyết theo thẩm quyền, và đề nghị thông báo kết quả cho người "
        f"gửi{tracked}."
    )
    if not found.sender.known:
        document.add_paragraph(
            "Thông tin người tố cáo không ghi trên phiếu này; khi cần, cơ quan nhận liên hệ Ủy "
            f"ban nhân dân {unit} để được cung cấp theo quy định về bảo vệ người tố cáo."
        )
    late = " (quá hạn)" if moved.transferred_at > moved.due_at else ""
    document.add_paragraph(
        f"Thời hạn chuyển: {_day(moved.due_at)} ({TRANSFER_WORKING_DAYS:02d} ngày làm việc kể "
        f"từ ngày nhận). Ngày chuyển: {_day(moved.transferred_at)}{late}."
    )
    _slip_footer(document, found.officer)
    return _bytes(document)


def _sender(found: Slip) -> str:
    if not found.sender.known:
        return "của người gửi có thông tin cá nhân được bảo mật (Luật Tố cáo 2018, Điều 8)"
    name = found.sender.author_name or "người dân (không ghi tên)"
    phone = found.sender.author_phone if found.item.source == "hotline" else None
    return f"của {name}" + (f", số điện thoại {phone}" if phone else "")


def slip_number(found: Slip) -> str:
    return f"{found.transfer.id}/PC-{found.item.unit_id.upper()}"


def _borderless(
    document: DocxDocument, rows: Sequence[tuple[Sequence[str], Sequence[str]]]
) -> None:
    """Two columns without borders, each cell's lines as bold (upper case) or plain."""
    table = document.add_table(rows=0, cols=2)
    for left, right in rows:
        cells = table.add_row().cells
        for cell, lines in zip(cells, (left, right), strict=True):
            cell.text = ""
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for n, line in enumerate(lines):
                if n:
                    paragraph.add_run().add_break()
                run = paragraph.add_run(line)
                run.bold = line.isupper() or line in MOTTO or line == "Nơi nhận:"
                run.italic = line.startswith(("(", "ngày")) or ", ngày" in line


def _slip_heading(document: DocxDocument, found: Slip) -> None:
    moment = to_local(found.transfer.transferred_at)
    place_date = f"{found.unit_name}, ngày {moment:%d} tháng {moment:%m} năm {moment:%Y}"
    _borderless(
        document,
        [
            (
                ["ỦY BAN NHÂN DÂN", found.unit_name.upper(), f"Số: {slip_number(found)}"],
                [*MOTTO, place_date],
            )
        ],
    )


def _slip_footer(document: DocxDocument, officer: str | None) -> None:
    signer = ["THỦ TRƯỞNG ĐƠN VỊ", "(Ký, ghi rõ họ tên, đóng dấu)"]
    if officer:
        signer.append(f"Người lập phiếu: {officer}")
    _borderless(
        document,
        [(["Nơi nhận:", "- Như trên;", "- Người gửi (để biết);", "- Lưu: VT."], signer)],
    )

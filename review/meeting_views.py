"""The meeting summary for the leadership: the period's items grouped by topic.

"8 phản ánh mất sóng ở thôn Lương Xá" rather than eight lines: items of one unit and field
whose words are alike form a group (classifier/topics.py explains the rule), each with its
counts and the proposals made on its items and their state. On screen, and as a standalone
page styled for printing that can be downloaded (``?download=1``, audited: it carries
citizens' texts, masked). Officers prepare the meeting, so they may open it too, for their
units.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from classifier.labels import category_name, field_name
from classifier.topics import TopicText, group
from review.context import audit_apart, db, now
from review.documents import DOCX_MIMETYPE, Meeting, meeting_docx
from review.report_texts import tx
from review.reports_views import chosen_period, period_args, picker, scope, unit_choices
from storage.alert_state import unit_names
from storage.meeting import meeting_items
from storage.proposals import STATE_NAMES
from storage.report_periods import Period
from storage.reports import ListedItem
from storage.tables import Proposal

bp = Blueprint("meeting", __name__, url_prefix="/reports/meeting")


@dataclass
class MeetingGroup:
    unit: str
    area: str
    title: str
    keywords: list[str]
    items: list[ListedItem]
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def categories(self) -> str:
        counts = Counter(category_name(i.category) if i.category else "Chưa phân loại"
                         for i in self.items)  # fmt: skip
        return ", ".join(f"{n} {name.lower()}" for name, n in counts.most_common())

    @property
    def size(self) -> int:
        return len(self.items)

    @property
    def overdue(self) -> int:
        return sum(i.outcome == "overdue" for i in self.items)

    @property
    def open(self) -> int:
        return sum(i.outcome in ("open", "overdue") for i in self.items)


def groups_of(period: Period, units: Collection[str] | None) -> list[MeetingGroup]:
    session = db()
    found = meeting_items(session, period, now(), units)
    by_id = {i.id: i for i in found.items}
    names = unit_names(session)
    texts = [TopicText(i.id, (i.unit_id, i.field), i.excerpt) for i in found.items]
    out = []
    for topic in group(texts):
        members = [by_id[int(str(key))] for key in topic.keys]
        central = by_id[int(str(topic.central))]
        proposals: dict[int, Proposal] = {}
        for member in members:
            proposals.update((p.id, p) for p in found.proposals.get(member.id, []))
        out.append(
            MeetingGroup(
                unit=names.get(central.unit_id, central.unit_id),
                area=field_name(central.field) if central.field else "Chưa phân loại",
                title=central.excerpt,
                keywords=topic.keywords,
                items=sorted(members, key=lambda i: (i.received_at, i.id)),
                proposals=sorted(proposals.values(), key=lambda p: p.id),
            )
        )
    return out


def _page(template: str) -> str | BaseResponse:
    unit, within = scope()
    try:
        period = chosen_period()
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show"))
    groups = groups_of(period, {unit} if unit else within)
    return render_template(
        template,
        groups=groups,
        total=sum(len(g.items) for g in groups),
        period=period,
        generated_at=now(),
        units=unit_choices(within),
        unit=unit,
        scope_name=dict(unit_choices(within)).get(unit or "", tx("all_units")),
        picker=picker(period),
        period_args=period_args(period, unit),
        states=STATE_NAMES,
        tx=tx,
    )


@bp.get("/")
def show() -> str | BaseResponse:
    return _page("reports/meeting.html")


# The printable page carries its styles inline, so that the downloaded file prints the same
# offline; it runs no script and loads nothing.
PRINT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@bp.get("/print")
def printable() -> BaseResponse:
    page = _page("reports/meeting_print.html")
    if not isinstance(page, str):
        return page
    headers = {"Content-Security-Policy": PRINT_CSP}
    if request.args.get("download"):
        period = chosen_period()
        audit_apart("meeting_download", None, {"period": f"{period.first}..{period.last}"})
        name = f"tong-hop-giao-ban-{period.slug}.html"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return BaseResponse(page, mimetype="text/html", headers=headers)


@bp.get("/docx")
def docx() -> BaseResponse:
    """The summary as a Word file (review/documents.py), audited like the printable one."""
    unit, within = scope()
    try:
        period = chosen_period()
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show"))
    choices = unit_choices(within)
    if unit is None and len(choices) == 1:  # an officer of one unit: the title names it
        unit = choices[0][0]
    meeting = Meeting(
        scope_name=dict(choices).get(unit or "", tx("all_units")),
        period=period,
        generated_at=now(),
        groups=groups_of(period, {unit} if unit else within),
        states=STATE_NAMES,
    )
    detail = {"period": f"{period.first}..{period.last}", "format": "docx"}
    audit_apart("meeting_download", None, detail)
    name = f"tong-hop-giao-ban-{period.slug}.docx"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return BaseResponse(meeting_docx(meeting), mimetype=DOCX_MIMETYPE, headers=headers)

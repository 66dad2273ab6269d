"""The queue page's forms: its filters (a GET form), bulk actions, saved filters, and the
admins' canned replies. Error messages are translation keys, shown through ``t()``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Final

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from review.forms import REQUIRED, ROW_ID_MAX, Form
from storage.canned_replies import MAX_BODY, MAX_TITLE
from storage.queue_filters import QueueFilters
from storage.saved_filters import MAX_NAME
from storage.workdays import VIETNAM_TZ

# The filter form's fields, as they appear in the address and in a saved filter.
FILTER_KEYS: Final = (
    "urgent",
    "category",
    "field",
    "source",
    "page",
    "unit",
    "status",
    "assignee",
    "received_from",
    "received_to",
    "reply",
)
BULK_ACTIONS: Final = ("take", "assign", "status", "labels", "close", "duplicate", "pull_back")
DATE = "inbox.error_date"
NUMBER = "inbox.error_number"


class FilterForm(Form):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    urgent = StringField(validators=[Optional(), Length(max=3)])
    category = StringField(validators=[Optional(), Length(max=16)])
    field = StringField(validators=[Optional(), Length(max=24)])
    source = StringField(validators=[Optional(), Length(max=24)])
    page = StringField(validators=[Optional(), Length(max=40)])
    unit = StringField(validators=[Optional(), Length(max=64)])
    status = StringField(validators=[Optional(), Length(max=20)])
    assignee = StringField(validators=[Optional(), Length(max=12)])
    received_from = DateField(validators=[Optional()])
    received_to = DateField(validators=[Optional()])
    reply = StringField(validators=[Optional(), Length(max=3)])

    def filters(self) -> QueueFilters:
        """The storage filter of what validated; a field that did not is left out."""
        return QueueFilters(
            urgent=_yes_no(self.urgent.data),
            category=self.category.data or "",
            field=self.field.data or "",
            source=self.source.data or "",
            page_id=self.page.data or "",
            unit_id=self.unit.data or "",
            status=self.status.data or "",
            assignee=self.assignee.data or "",
            received_from=day_start(self.received_from.data),
            received_to=day_start(self.received_to.data, days_after=1),
            has_reply=_yes_no(self.reply.data),
        )

    def params(self) -> dict[str, str]:
        """The fields as the address spells them, without the empty ones."""
        found: dict[str, str] = {}
        for key in FILTER_KEYS:
            value: Any = getattr(self, key).data
            if isinstance(value, date):
                value = value.isoformat()
            if value:
                found[key] = str(value)
        return found


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def day_start(day: date | None, days_after: int = 0) -> datetime | None:
    """Midnight (Hà Nội) at the start of ``day``: the filters' dates are local dates."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days_after), time(), tzinfo=VIETNAM_TZ)


class BulkForm(Form):
    action = StringField(validators=[DataRequired("inbox.bulk_unknown_action"), Length(max=16)])
    status = StringField(validators=[Optional(), Length(max=20)])
    assignee = IntegerField(validators=[Optional(), NumberRange(1, ROW_ID_MAX, NUMBER)])
    category = StringField(validators=[Optional(), Length(max=16)])
    field = StringField(validators=[Optional(), Length(max=24)])
    urgent = StringField(validators=[Optional(), Length(max=3)])
    original_id = IntegerField(validators=[Optional(), NumberRange(1, ROW_ID_MAX, NUMBER)])
    sweep = HiddenField()
    next = HiddenField()


class SaveFilterForm(Form):
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=MAX_NAME)])
    view = HiddenField(validators=[DataRequired(REQUIRED), Length(max=16)])
    query = HiddenField(validators=[Optional(), Length(max=2000)])


class CannedForm(Form):
    title = StringField(validators=[DataRequired(REQUIRED), Length(max=MAX_TITLE)])
    body = TextAreaField(validators=[DataRequired(REQUIRED), Length(max=MAX_BODY)])
    active = BooleanField(default=True)

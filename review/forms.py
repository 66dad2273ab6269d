"""The UI's forms. Error messages are translation keys, shown through ``t()``.

Every POST form carries a CSRF token (Flask-WTF's CSRFProtect checks all POSTs; these classes
add field validation on top). The search form is a GET form and has no token.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from classifier.labels import CATEGORIES, FIELDS
from storage.tables import REPLY_KINDS, ROLES
from storage.users import MIN_PASSWORD_LENGTH

REQUIRED = "error.required"
NUMBER = "error.number"
# The largest INTEGER of PostgreSQL (and of every id column): a bigger number is no row's id,
# and sent to the database it is an error, not "not found".
ROW_ID_MAX = 2**31 - 1
SHORT_PASSWORD = "error.password_short"  # noqa: S105 - a message key, not a password


class Form(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """Base of the UI's forms."""


def _choices(codes: tuple[str, ...]) -> list[str]:
    """Values only: the templates show each value's translated name."""
    return list(codes)


class LoginForm(Form):
    username = StringField(validators=[DataRequired(REQUIRED), Length(max=80)])
    password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=500)])
    next = HiddenField()


class LabelsForm(Form):
    # Checked by review_labels (a clear message); an unclassified item starts with no choice.
    category = SelectField(
        choices=_choices(CATEGORIES), validate_choice=False, validators=[DataRequired(REQUIRED)]
    )
    urgent = BooleanField()
    field = SelectField(choices=_choices(FIELDS), validators=[InputRequired(REQUIRED)])


class StatusForm(Form):
    status = SelectField(validators=[InputRequired(REQUIRED)], validate_choice=False)
    note = TextAreaField(validators=[Optional(), Length(max=5000)])
    confirm_close = BooleanField()  # closing is the last step: asked for on purpose


class AssignForm(Form):
    department = StringField(validators=[Optional(), Length(max=120)])
    assignee = IntegerField(validators=[Optional(), NumberRange(0, ROW_ID_MAX, NUMBER)])


class NoteForm(Form):
    text = TextAreaField(validators=[DataRequired(REQUIRED), Length(max=5000)])


class DuplicateForm(Form):
    original_id = IntegerField(
        validators=[InputRequired(REQUIRED), NumberRange(1, ROW_ID_MAX, NUMBER)]
    )


class ReplyForm(Form):
    kind = SelectField(choices=_choices(REPLY_KINDS), validators=[InputRequired(REQUIRED)])
    text = TextAreaField(validators=[DataRequired(REQUIRED), Length(max=8000)])
    # Photos and documents (storage/attachments.py checks each one's bytes and size).
    files = MultipleFileField(validators=[Optional()])


class HotlineForm(Form):
    # Generated when the form is shown: submitting the same form twice stores one call.
    call_id = HiddenField(validators=[Regexp(r"^[0-9a-f]{32}$", message="error.form_expired")])
    caller_name = StringField(validators=[Optional(), Length(max=200)])
    phone = StringField(validators=[Optional(), Length(max=40)])
    unit = SelectField(validators=[InputRequired(REQUIRED)], validate_choice=False)
    received_at = DateTimeLocalField(format="%Y-%m-%dT%H:%M", validators=[InputRequired(REQUIRED)])
    text = TextAreaField(validators=[DataRequired(REQUIRED), Length(max=8000)])


class SearchForm(Form):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    text = StringField(validators=[Optional(), Length(max=200)])
    author = StringField(validators=[Optional(), Length(max=200)])
    category = StringField(validators=[Optional(), Length(max=16)])
    status = StringField(validators=[Optional(), Length(max=20)])
    unit = StringField(validators=[Optional(), Length(max=64)])
    received_from = DateField(validators=[Optional()])
    received_to = DateField(validators=[Optional()])


class UserCreateForm(Form):
    username = StringField(validators=[DataRequired(REQUIRED), Length(max=80)])
    display_name = StringField(validators=[DataRequired(REQUIRED), Length(max=200)])
    role = SelectField(choices=_choices(ROLES), validators=[InputRequired(REQUIRED)])
    units = SelectMultipleField(validate_choice=False)
    password = PasswordField(
        validators=[DataRequired(REQUIRED), Length(MIN_PASSWORD_LENGTH, 500, SHORT_PASSWORD)]
    )


class UserEditForm(Form):
    display_name = StringField(validators=[DataRequired(REQUIRED), Length(max=200)])
    role = SelectField(choices=_choices(ROLES), validators=[InputRequired(REQUIRED)])
    units = SelectMultipleField(validate_choice=False)
    active = BooleanField()
    unlock = BooleanField()
    new_password = PasswordField(
        validators=[Optional(), Length(MIN_PASSWORD_LENGTH, 500, SHORT_PASSWORD)]
    )


class CalendarDayForm(Form):
    day = DateField(validators=[InputRequired(REQUIRED)])
    kind = SelectField(choices=["off", "work"])
    note = StringField(validators=[DataRequired(REQUIRED), Length(max=200)])
    # A make-up working day (Saturday or Sunday) needs the admin's explicit confirmation.
    confirm = BooleanField(default=False)


class RatingForm(Form):
    """The citizen's rating on the public status page."""

    satisfied = SelectField(choices=["yes", "no"], validators=[InputRequired(REQUIRED)])
    reason = TextAreaField(validators=[Optional(), Length(max=1000)])


class PublishForm(Form):
    # One of the two: a reply of the item, or a separate "kết quả giải quyết" text.
    reply_id = IntegerField(validators=[Optional(), NumberRange(1, ROW_ID_MAX, NUMBER)])
    result = TextAreaField(validators=[Optional(), Length(max=8000)])


class TransferForm(Form):
    agency = StringField(validators=[DataRequired(REQUIRED), Length(max=200)])
    reason = TextAreaField(validators=[DataRequired(REQUIRED), Length(max=2000)])


class DepartmentForm(Form):
    unit = SelectField(validate_choice=False, validators=[InputRequired(REQUIRED)])
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=120)])
    fields = SelectMultipleField(choices=_choices(FIELDS), validate_choice=True)
    active = BooleanField(default=True)

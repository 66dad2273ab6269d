"""Administration: users and their units, extra days off and make-up working days, each unit's
list of departments, page health.

Calendar changes take effect at once for deadlines computed by the web (labels corrected,
hotline calls); the daemon reloads them every few minutes (monitor/jobs.py).
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from review import canned_views
from review.context import db, now, roles_required, services, t, viewer
from review.forms import CalendarDayForm, DepartmentForm, UserCreateForm, UserEditForm
from storage.audit import record as audit
from storage.calendar_days import (
    CalendarDayRefusedError,
    all_days,
    check_new_day,
    deadline_policy,
    find_day,
    recompute_open_deadlines,
)
from storage.departments import (
    DepartmentError,
    add_department,
    fields_of,
    seed_defaults,
    unit_departments,
    update_department,
)
from storage.health import page_health
from storage.rate_pauses import page_pauses
from storage.rejections import WINDOW as SET_ASIDE_WINDOW
from storage.rejections import by_page as set_aside_by_page
from storage.tables import CalendarDay, Department, User
from storage.users import (
    UserError,
    all_users,
    create_user,
    set_password,
    units,
    unlock,
    update_user,
)
from storage.workdays import VIETNAM_TZ

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required("admin")
def _admins_only() -> None:
    return None


def _user_forms() -> tuple[UserCreateForm, list[str]]:
    choices = [u.id for u in units(db())]
    form = UserCreateForm(formdata=request.form if request.method == "POST" else None)
    form.units.choices = choices
    return form, choices


@bp.route("/users")
def users() -> str:
    form, choices = _user_forms()
    return _render_users(form, choices)


def _render_users(form: UserCreateForm, choices: list[str]) -> str:
    rows = []
    for user, unit_ids in all_users(db()):
        edit = UserEditForm(
            formdata=None,
            data={
                "display_name": user.display_name,
                "role": user.role,
                "units": unit_ids,
                "active": user.active,
            },
        )
        edit.units.choices = choices
        rows.append((user, unit_ids, edit))
    names = {u.id: u.name for u in units(db())}
    return render_template("admin/users.html", form=form, rows=rows, moment=now(), names=names)


@bp.route("/users", methods=["POST"])
def add_user() -> BaseResponse | tuple[str, int]:
    form, choices = _user_forms()
    if not form.validate():
        return _render_users(form, choices), 400
    try:
        user = create_user(
            db(),
            username=form.username.data or "",
            display_name=form.display_name.data or "",
            password=form.password.data or "",
            role=form.role.data or "",
            unit_ids=form.units.data or [],
            now=now(),
        )
    except UserError as exc:
        form.username.errors = [str(exc)]
        return _render_users(form, choices), 400
    audit(db(), viewer().user_id, "user_created", None, None, _user_state(user), now())
    flash(t("admin.user_created", username=user.username), "ok")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["POST"])
def edit_user(user_id: int) -> BaseResponse:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    form = UserEditForm()
    form.units.choices = [u.id for u in units(db())]
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(t(str(error)), "error")
        return redirect(url_for("admin.users"))
    before = _user_state(user)
    try:
        _apply(user, form)
    except UserError as exc:
        flash(str(exc), "error")
        db().rollback()
        return redirect(url_for("admin.users"))
    audit(db(), viewer().user_id, "user_updated", None, before, _user_state(user), now())
    flash(t("admin.user_updated", username=user.username), "ok")
    return redirect(url_for("admin.users"))


def _apply(user: User, form: UserEditForm) -> None:
    if user.id == viewer().user_id and (form.role.data != "admin" or not form.active.data):
        raise UserError("Không tự bỏ quyền quản trị hoặc tự khoá tài khoản của chính mình.")
    update_user(
        db(),
        user,
        display_name=form.display_name.data or "",
        role=form.role.data or "",
        active=bool(form.active.data),
        unit_ids=form.units.data or [],
    )
    if form.new_password.data:
        set_password(db(), user, form.new_password.data)
    if form.unlock.data:
        unlock(user)


def _user_state(user: User) -> dict[str, object]:
    # Never the hash: the audit log is read by more people than the users table.
    return {
        "user_id": user.id,
        "username": user.username,
        "role": user.role,
        "active": user.active,
    }


@bp.route("/calendar", methods=["GET", "POST"])
def calendar() -> BaseResponse | tuple[str, int]:
    form = CalendarDayForm()
    if request.method == "POST":
        if form.validate() and form.day.data is not None:
            refused = _refusal(form)
            if refused:
                form.day.errors = [refused]
            else:
                day = CalendarDay(day=form.day.data, kind=form.kind.data, note=form.note.data)
                db().add(day)
                _calendar_changed(None, {"day": day.day, "kind": day.kind, "note": day.note})
                flash(t("admin.day_added"), "ok")
                return redirect(url_for("admin.calendar"))
        return _render_calendar(form), 400
    return _render_calendar(form), 200


def _refusal(form: CalendarDayForm) -> str | None:
    day = form.day.data
    if day is None:
        return t("admin.day_exists")
    if find_day(db(), day) is not None:
        return t("admin.day_exists")
    try:
        check_new_day(services().deadlines, day, form.kind.data or "", confirmed=form.confirm.data)
    except CalendarDayRefusedError as exc:
        return str(exc)
    return None


def _render_calendar(form: CalendarDayForm) -> str:
    year = now().astimezone(VIETNAM_TZ).year
    calendar = services().deadlines.calendar
    statutory = calendar.statutory_days(year) + calendar.statutory_days(year + 1)
    return render_template(
        "admin/calendar.html", form=form, days=all_days(db()), statutory=statutory
    )


@bp.route("/calendar/<day>/delete", methods=["POST"])
def delete_day(day: str) -> BaseResponse:
    try:
        found = find_day(db(), date.fromisoformat(day))
    except ValueError:
        abort(404)
    if found is None:
        abort(404)
    before = {"day": found.day, "kind": found.kind, "note": found.note}
    db().delete(found)
    _calendar_changed(before, None)
    flash(t("admin.day_deleted"), "ok")
    return redirect(url_for("admin.calendar"))


def _calendar_changed(before: object, after: object) -> None:
    session = db()
    session.flush()
    audit(session, viewer().user_id, "calendar_day", None, before, after, now())
    found = services()
    found.deadlines = deadline_policy(found.settings.deadlines_file, session)
    found.ingest_policy = found.ingest_policy.with_deadlines(found.deadlines)
    moved = recompute_open_deadlines(session, found.deadlines, user_id=viewer().user_id, now=now())
    flash(t("admin.deadlines_moved", count=moved), "ok")


@bp.route("/pages")
def pages() -> str:
    local_midnight = datetime.combine(now().astimezone(VIETNAM_TZ).date(), time(), VIETNAM_TZ)
    return render_template(
        "admin/pages.html",
        rows=page_health(db(), local_midnight),
        pauses=page_pauses(db(), now()),
        unit_names={u.id: u.name for u in units(db())},
        webhooks_enabled=services().settings.webhooks.enabled,
        set_aside=set_aside_by_page(db(), now() - SET_ASIDE_WINDOW),
    )


@bp.route("/departments", methods=["GET", "POST"])
def departments() -> BaseResponse | tuple[str, int]:
    """Each unit's list: items are routed to and assigned from it, never typed in."""
    form = DepartmentForm(formdata=request.form if request.method == "POST" else None)
    form.unit.choices = [u.id for u in units(db())]
    if request.method == "POST":
        if form.validate():
            try:
                found = add_department(
                    db(), form.unit.data or "", form.name.data or "", form.fields.data or [], now()
                )
            except DepartmentError as exc:
                form.name.errors = [str(exc)]
            else:
                _department_changed(None, found)
                flash(t("admin.department_added", name=found.name), "ok")
                return redirect(url_for("admin.departments"))
        return _render_departments(form), 400
    return _render_departments(form), 200


def _render_departments(form: DepartmentForm) -> str:
    return render_template(
        "admin/departments.html",
        form=form,
        units=units(db()),
        lists=unit_departments(db()),
        fields_of=fields_of,
    )


@bp.route("/departments/<int:department_id>", methods=["POST"])
def edit_department(department_id: int) -> BaseResponse:
    found = db().get(Department, department_id)
    if found is None:
        abort(404)
    form = DepartmentForm()
    form.unit.choices = [found.unit_id]
    form.unit.data = found.unit_id  # a department stays in its unit
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(t(str(error)), "error")
        return redirect(url_for("admin.departments"))
    before = _department_state(found)
    try:
        update_department(
            db(),
            found,
            name=form.name.data or "",
            fields=form.fields.data or [],
            active=bool(form.active.data),
        )
    except DepartmentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.departments"))
    _department_changed(before, found)
    flash(t("admin.department_saved", name=found.name), "ok")
    return redirect(url_for("admin.departments"))


@bp.route("/departments/defaults", methods=["POST"])
def default_departments() -> BaseResponse:
    unit_id = request.form.get("unit", "")
    if unit_id not in {u.id for u in units(db())}:
        abort(404)
    added = seed_defaults(db(), unit_id, services().ingest_policy.routing, now())
    audit(db(), viewer().user_id, "departments_defaults", None, None, {"unit": unit_id}, now())
    flash(t("admin.departments_defaults_added", count=added), "ok")
    return redirect(url_for("admin.departments"))


def _department_state(found: Department) -> dict[str, object]:
    return {
        "department_id": found.id,
        "unit": found.unit_id,
        "name": found.name,
        "fields": found.fields,
        "active": found.active,
    }


def _department_changed(before: dict[str, object] | None, found: Department) -> None:
    db().flush()
    audit(db(), viewer().user_id, "department", None, before, _department_state(found), now())


@bp.route("/canned-replies")
def canned_replies() -> BaseResponse | str:
    """Each unit's canned replies (review/canned_views.py does the work)."""
    return canned_views.admin_page()


@bp.route("/canned-replies/new", methods=["POST"])
def add_canned_reply() -> BaseResponse:
    return canned_views.admin_save(None)


@bp.route("/canned-replies/<int:template_id>", methods=["POST"])
def edit_canned_reply(template_id: int) -> BaseResponse:
    return canned_views.admin_save(template_id)

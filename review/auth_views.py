"""Signing in and out. Failures count against the account (lock) and the address (slow-down)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from review.context import current_user, db, now, password_mark, services, t
from review.filters import local
from review.forms import LoginForm
from storage.audit import record as audit
from storage.users import LoginRefusedError, authenticate

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: an open redirect would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int, dict[str, str]]:
    if request.method == "GET" and current_user() is not None:
        return redirect(url_for("queue.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        address = request.remote_addr or "?"
        throttle = services().throttle
        wait = throttle.retry_after(address, now())
        if wait:
            error, status = t("login.slow_down", seconds=wait), 429
            headers["Retry-After"] = str(wait)
        else:
            try:
                user = authenticate(db(), form.username.data or "", form.password.data or "", now())
            except LoginRefusedError as refused:
                throttle.failure(address, now())
                audit(db(), None, "login_failed", None, None, _attempt(form, address), now())
                error, status = _refusal(refused), 401
            else:
                language = session.get("lang")
                session.clear()  # a fresh session on sign-in: no fixation
                session.update(uid=user.id, pw=password_mark(user))
                if language:
                    session["lang"] = language
                session.permanent = True
                audit(db(), user.id, "login", None, None, {"address": address}, now())
                return redirect(safe_next(form.next.data) or url_for("queue.index"))
    elif request.method == "POST":
        error, status = t("login.invalid"), 400
    return render_template("login.html", form=form, error=error), status, headers


def _attempt(form: LoginForm, address: str) -> dict[str, str]:
    return {"username": (form.username.data or "")[:80], "address": address}


def _refusal(refused: LoginRefusedError) -> str:
    if refused.reason == "locked":
        return t("login.locked", until=local(refused.locked_until, "%H:%M"))
    return t("login.invalid")


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    return redirect(url_for("auth.login"))

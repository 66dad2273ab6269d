"""Signing in and out.

Every attempt is counted before its password is checked, against the address (slow-down,
review.throttle) and the account (lock, storage.users), so a burst of simultaneous requests
gets no more tries than a patient guesser. Every refusal, whatever its cause (wrong password,
unknown user, disabled or locked account), gets the same page after the same work: the answer
must not tell which usernames exist. The cookie carries the account's ``session_version``,
compared on every request: signing out and a new password end every session of the account,
copies of the cookie included.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from review.context import current_user, db, now, password_mark, services, t
from review.forms import LoginForm
from storage.audit import record as audit
from storage.tables import User
from storage.users import (
    LoginRefusedError,
    authenticate,
    end_sessions,
    prepare_dummy_hash,
    session_is_current,
)

bp = Blueprint("auth", __name__)
# Built now rather than on the first unknown username, which would otherwise answer slower.
bp.record_once(lambda _state: prepare_dummy_hash())

_NEXT_MAX = 2000
# Control characters, whitespace (tab, newline, the Unicode spaces) and the backslash: browsers
# drop or rewrite them, so "/\t/host" or "/\\host" would leave the site.
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\xa0\\\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]")


def safe_next(target: str | None) -> str | None:
    """A path on this site, or None (then the queue): an open redirect would help phishing.

    Only a path starting with one "/" passes: no "//", no backslash, no control character or
    whitespace, checked on the value and on its percent-decoded form alike.
    """
    if not target or len(target) > _NEXT_MAX:
        return None
    for form in (target, unquote(target, errors="replace")):
        if not form.startswith("/") or "//" in form or _UNSAFE.search(form):
            return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.before_app_request
def _end_stale_session() -> None:
    """A cookie whose session was ended (signed out, new password) signs nobody in."""
    user_id = session.get("uid")
    if user_id is None or request.endpoint == "static":
        return
    if isinstance(user_id, int):
        # Held for the request: the session's identity map keeps a row only while something
        # refers to it, and current_user() reads the same row next (one query, not two).
        g.signed_in_row = db().get(User, user_id)
        if session_is_current(db(), user_id, session.get("sv")):
            return
    _forget_sign_in()
    g.pop("user", None)  # in case someone asked for the user before this hook ran


def _forget_sign_in() -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int, dict[str, str]]:
    if request.method == "GET" and current_user() is not None:
        return redirect(url_for("queue.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        address, moment = request.remote_addr or "?", now()
        throttle = services().throttle
        wait = throttle.attempt(address, moment)
        if wait:
            error, status = t("login.slow_down", seconds=wait), 429
            headers["Retry-After"] = str(wait)
        else:
            try:
                user = authenticate(
                    db(), form.username.data or "", form.password.data or "", moment
                )
            except LoginRefusedError:
                # The refusal is committed with the request (status < 500): the count stays.
                audit(db(), None, "login_failed", None, None, _attempt(form, address), moment)
                error, status = t("login.invalid"), 401
            else:
                throttle.succeeded(address, moment)
                language = session.get("lang")
                session.clear()  # a fresh session on sign-in: no fixation
                session.update(signed_in(user))
                if language:
                    session["lang"] = language
                session.permanent = True
                audit(db(), user.id, "login", None, None, {"address": address}, moment)
                return redirect(safe_next(form.next.data) or url_for("queue.index"))
    elif request.method == "POST":
        error, status = t("login.invalid"), 400
    return render_template("login.html", form=form, error=error), status, headers


def signed_in(user: User) -> dict[str, object]:
    """What the session cookie of a signed-in ``user`` holds (tests forge sessions with it)."""
    return {"uid": user.id, "sv": user.session_version, "pw": password_mark(user)}


def _attempt(form: LoginForm, address: str) -> dict[str, str]:
    return {"username": (form.username.data or "")[:80], "address": address}


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    """Ends every session of the account: a copy of this cookie must stop working too, and a
    signed cookie cannot tell its copies apart."""
    user_id = session.get("uid")
    if isinstance(user_id, int):
        end_sessions(db(), user_id)
    _forget_sign_in()
    return redirect(url_for("auth.login"))

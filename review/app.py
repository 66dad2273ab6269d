"""The officers' web UI: ``create_app(settings, sessions, policy=...)`` builds it (Flask app
factory); the ``pakn`` composition root (cli/) hands it the ingest policy.

Blueprints are listed explicitly in ``BLUEPRINTS``. ``EXTRA_BLUEPRINTS`` is the hook for the
optional ones: the leaders' dashboard appends ``"review.reports_views:bp"`` to it. Such a
blueprint:

- extends ``base.html`` (blocks ``title`` and ``content``) from templates under its own folder
  (``review/templates/reports/``);
- adds itself to the leaders' menu: ``bp.record_once(lambda s: add_leader_nav(s.app,
  "reports.dashboard", vi="Báo cáo", en="Reports"))``;
- uses the request helpers of ``review.context``: ``current_user()`` (the signed-in user),
  ``viewer()`` and ``visible_unit_ids()`` (the units they may see, ``None`` meaning all),
  ``db()`` (the request's session), ``now()``, ``t()`` and ``roles_required("leader",
  "admin")``.

Every route requires a signed-in user (``_require_login``) except the login page, static
files and the citizens' pages (review/public_views.py, ``PUBLIC_ENDPOINTS``); every POST needs a
CSRF token (Flask-WTF's CSRFProtect).

A request is one unit of work: its session (``db()``) is committed when the view returned
without error, and rolled back after an exception (``abort()`` included) or a status of 500 and
up; ``_end_request`` decides. GET requests read through sessions that take no lock on SQLite.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response as BaseResponse

from config.settings import Settings, default_data_dir
from review import filters
from review.context import (
    EXTENSION,
    RoleRequired,
    Services,
    current_user,
    now,
    run_writes_apart,
    services,
    t,
    use_language,
    write_apart,
)
from review.forms import ROW_ID_MAX
from review.i18n import LANGUAGES, Translations
from review.throttle import LoginThrottle
from storage import attachments
from storage.calendar_days import deadline_policy
from storage.db import read_sessions
from storage.ingest import IngestPolicy
from storage.tables import User

log = logging.getLogger("pakn.review")

BLUEPRINTS: list[str] = [
    "review.auth_views:bp",
    "review.queue_views:bp",
    "review.item_views:bp",
    "review.hotline_views:bp",
    "review.admin_views:bp",
    "review.live_views:bp",
    "review.canned_views:bp",
    "review.follow_up_views:bp",
    "review.public_views:bp",
]
# Optional blueprints, appended by the packages that provide them.
EXTRA_BLUEPRINTS: list[str] = [
    "review.reports_views:bp",
    # Reporting up and the leaders' pages beyond the dashboard; the item page's panel.
    "review.scorecard_views:bp",
    "review.meeting_views:bp",
    "review.direction_views:bp",
    "review.moderation_views:bp",
]
PUBLIC_ENDPOINTS = frozenset(
    # review.public_views: the citizens' status, rating and published-answer pages.
    {"auth.login", "static", "public.lookup", "public.status", "public.rate_answer"}
    | {"public.units_index", "public.published"}
    | {"public.status_file", "public.published_file"}  # each checks the file may be seen
)
SECRET_KEY_FILE = "web-secret-key"  # noqa: S105 - a file name, not a secret
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class _Request(Request):
    @property
    def max_content_length(self) -> int | None:
        # A reply may carry photos and documents (storage/attachments.py); every other form
        # stays under the 1 MB of MAX_CONTENT_LENGTH.
        if self.endpoint == "items.reply":
            return attachments.MAX_REQUEST_BYTES
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)  # type: ignore[attr-defined]


class _WebApp(Flask):
    request_class = _Request

    def handle_user_exception(self, e: Exception) -> Any:
        # Every exception of a view or a before_request hook passes here, abort() included,
        # whether an error handler then turns it into a page or not: the request's changes
        # must not be committed (see _end_request).
        g.failed = True
        return super().handle_user_exception(e)


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route: at most the largest INTEGER of the database, so that
    /items/99999999999 is a page that does not exist (404), not an error of PostgreSQL (500)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(url_map, *args, **kwargs)


def create_app(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    policy: IngestPolicy,
    clock: Callable[[], datetime] | None = None,
    testing: bool = False,
) -> Flask:
    app = _WebApp(__name__)
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_NAME="pakn_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # A form left open through a working day must still submit.
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        MAX_CONTENT_LENGTH=1024 * 1024,
        TESTING=testing,
    )
    app.extensions[EXTENSION] = _services(settings, sessions, policy, clock)
    app.url_map.converters["int"] = RowIdConverter  # before the blueprints add their routes
    CSRFProtect(app)
    filters.register(app)
    for spec in [*BLUEPRINTS, *EXTRA_BLUEPRINTS]:
        app.register_blueprint(_blueprint(spec))
    app.before_request(_choose_language)
    app.before_request(_refuse_nul_bytes)
    app.before_request(_require_login)
    app.after_request(_finish)
    app.teardown_request(_close)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    proxies = settings.web.trusted_proxies
    if proxies:
        # Behind nginx every request comes from 127.0.0.1; believe exactly that many hops.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app


def _services(
    settings: Settings,
    sessions: sessionmaker[Session],
    policy: IngestPolicy,
    clock: Callable[[], datetime] | None,
) -> Services:
    with sessions.begin() as session:
        deadlines = deadline_policy(settings.deadlines_file, session)
    engine = sessions.kw.get("bind")
    if not isinstance(engine, Engine):
        raise TypeError("create_app needs sessions bound to an engine (storage.db.session_factory)")
    return Services(
        settings=settings,
        sessions=sessions,
        read_sessions=read_sessions(engine),
        clock=clock or (lambda: datetime.now(UTC)),
        ingest_policy=policy.with_deadlines(deadlines),
        deadlines=deadlines,
        translations=Translations(),
        throttle=LoginThrottle(),
    )


def _blueprint(spec: str) -> Blueprint:
    module_name, _, attribute = spec.partition(":")
    found = getattr(importlib.import_module(module_name), attribute or "bp")
    if not isinstance(found, Blueprint):
        raise TypeError(f"{spec} is not a Flask blueprint")
    return found


def secret_key(settings: Settings) -> str:
    """``web.secret_key``, or a key generated once and kept in the data directory (0600)."""
    if settings.web.secret_key:
        return settings.web.secret_key.reveal()
    path = default_data_dir(settings) / SECRET_KEY_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    return _create_key_file(path)


def _create_key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    log.warning(
        "web.secret_key chưa được đặt: đã tạo khoá ngẫu nhiên và lưu vào %s (quyền 0600). "
        "Khi chạy thật, đặt web.secret_key trong pakn.yaml (ví dụ ${PAKN_SECRET_KEY}).",
        path,
    )
    return key


def _choose_language() -> None:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        user = current_user() if request.endpoint not in PUBLIC_ENDPOINTS else None
        if user is not None and user.language != asked:
            # Remembered for the next sign-in, on any device; a GET's own session only reads.
            write_apart(functools.partial(_remember_language, user.id, asked))
    chosen = session.get("lang")
    if chosen not in LANGUAGES:
        user = current_user() if request.endpoint not in PUBLIC_ENDPOINTS else None
        chosen = user.language if user is not None and user.language in LANGUAGES else None
    use_language(chosen or services().settings.web.default_language)


def _remember_language(user_id: int, language: str, session: Session) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.language = language


def _refuse_nul_bytes() -> tuple[str, int] | None:
    """No field of pakn holds a NUL byte and PostgreSQL cannot store one in text: refuse the
    request (400, with what to fix) before it reaches a query and fails there (500)."""
    sent = [*request.args.items(multi=True), *request.form.items(multi=True)]
    sent += [(k, str(v)) for k, v in (request.view_args or {}).items()]
    if any("\x00" in key or "\x00" in value for key, value in sent):
        return render_template("error.html", message=t("error.nul_byte"), code=400), 400
    return None


def _require_login() -> BaseResponse | None:
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current_user() is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=target))
    return None


def _finish(response: Response) -> Response:
    # Flask runs this for error pages too: only a view that returned without error commits.
    _end_request(commit=not g.get("failed", False) and response.status_code < 500)
    run_writes_apart()
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages show citizens' personal data: keep them out of shared caches and history.
        headers.setdefault("Cache-Control", "no-store")
    return response


def _end_request(*, commit: bool) -> None:
    found: Session | None = g.pop("db", None)
    if found is None:
        return
    try:
        if commit:
            found.commit()
        else:
            found.rollback()
    finally:
        found.close()


def _close(error: BaseException | None) -> None:
    # Reached with a session still open only when _finish did not run: an exception went
    # past the error pages (PROPAGATE_EXCEPTIONS, as in tests). Roll back, keep the apart writes.
    _end_request(commit=False)
    try:
        run_writes_apart()
    except Exception:
        log.exception("không ghi được nhật ký sau lỗi %r", error)


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("error.html", message=t("error.csrf"), code=400), 400


def _http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
    code = error.code or 500
    if code >= 500:
        return _server_error(code)
    if code not in (400, 401, 403, 404, 405, 413, 429):
        return error
    if isinstance(error, RoleRequired):
        roles = ", ".join(t(f"role.{role}") for role in error.roles)
        message = t("error.http_403_role", roles=roles)
        return render_template("error.html", message=message, code=code), code
    return render_template("error.html", message=t(f"error.http_{code}"), code=code), code


def _server_error(code: int) -> tuple[str, int]:
    """The page after an unexpected error (logged by Flask with its traceback); never the
    traceback itself, which may hold citizens' data."""
    found: Session | None = g.get("db")
    if found is not None:
        found.rollback()  # what the view did is undone; the page may still read (who is it?)
    message = t("error.http_500", at=filters.local(now(), "%H:%M %d/%m/%Y"))
    try:
        return render_template("error.html", message=message, code=code), code
    except Exception:  # the database itself may be what failed: a page without the menu
        log.exception("không hiển thị được trang lỗi đầy đủ")
        return f"<!doctype html><meta charset=utf-8><p>{escape(message)}</p>", code

"""What every view needs during a request, and the hooks other blueprints use.

Helpers for blueprints (the reports blueprint included):

- ``db()``: the request's SQLAlchemy session, inside a transaction that is committed when the
  view returned without error (no exception, ``abort()`` included, and a status below 500) and
  rolled back otherwise. Storage functions never commit; neither do views. For a GET (HEAD,
  OPTIONS) it only reads, which on SQLite takes no lock (``storage.db.read_sessions``); writing
  through it raises ``ReadOnlySessionError``.
- ``audit_apart(action, item_id, detail)`` and ``write_apart(write)``: writes committed in a
  small transaction of their own once the request's session has ended, whatever became of it:
  the audit entry of a refusal (the refused request rolls back), and the few writes a GET makes
  (the audit of a page view or a download, the language choice).
- ``now()``: the current time (aware UTC) from the app's clock (frozen in tests).
- ``current_user()``: the signed-in ``User`` (every route except the login page requires one).
- ``viewer()``: the user as the access rules see them (``storage.visibility.Viewer``).
- ``visible_unit_ids()``: the unit ids the user may see, or ``None`` for every unit (admins).
  Filter every query on ``Item.unit_id`` with it, or use ``storage.visibility.unit_clause``.
- ``roles_required("leader", "admin")``: view decorator answering 403 to other roles.
- ``t("key", **values)``: an interface text in the user's language (also a Jinja global).
- ``add_leader_nav(app, endpoint, vi=..., en=...)``: a link in the leaders' part of the menu,
  shown to leaders and admins; call it from ``Blueprint.record_once``.
- ``services()``: settings, deadline and ingest policies, clock, the login throttle.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from flask import Flask, abort, current_app, g, has_request_context, request, session
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import Forbidden

from config.settings import Settings
from review.i18n import DEFAULT_LANGUAGE, Translations
from review.throttle import LoginThrottle
from storage.audit import record as audit
from storage.deadlines import DeadlinePolicy
from storage.ingest import IngestPolicy
from storage.tables import User
from storage.visibility import Viewer, viewer_for

P = ParamSpec("P")
R = TypeVar("R")
EXTENSION = "pakn"
# Requests whose session only reads; every other method writes (and on SQLite takes the lock).
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class NavLink:
    endpoint: str
    labels: dict[str, str]


@dataclass
class Services:
    """Built once by ``create_app``; views reach it through ``services()``."""

    settings: Settings
    sessions: sessionmaker[Session]  # writers (storage.db.session_factory)
    read_sessions: sessionmaker[Session]  # storage.db.read_sessions, for GET requests
    clock: Callable[[], datetime]
    ingest_policy: IngestPolicy
    deadlines: DeadlinePolicy
    translations: Translations
    throttle: LoginThrottle
    leader_nav: list[NavLink] = field(default_factory=list)


def services() -> Services:
    found: Services = current_app.extensions[EXTENSION]
    return found


def add_leader_nav(app: Flask, endpoint: str, *, vi: str, en: str) -> None:
    """Show a link to ``endpoint`` in the menu of leaders and admins."""
    app.extensions[EXTENSION].leader_nav.append(NavLink(endpoint, {"vi": vi, "en": en}))


def db() -> Session:
    if "db" not in g:
        found = services()
        reads = has_request_context() and request.method in READING_METHODS
        g.db = (found.read_sessions if reads else found.sessions)()
        g.db.begin()
    session: Session = g.db
    return session


def write_apart(write: Callable[[Session], None]) -> None:
    """Run ``write`` in a small transaction of its own after the request's session has ended
    (committed or rolled back), so that it stays whatever the request's outcome."""
    g.setdefault("writes_apart", []).append(write)


def audit_apart(action: str, item_id: int | None, detail: Any = None) -> None:
    """An audit entry of the signed-in user that stays even if the request fails or is refused:
    a refusal, a page view, a download."""
    user = current_user()
    user_id, moment = (user.id if user is not None else None), now()
    write_apart(lambda session: audit(session, user_id, action, item_id, None, detail, moment))


def run_writes_apart() -> None:
    """Commit what ``write_apart`` collected; the app calls it once the request's session ended."""
    writes: list[Callable[[Session], None]] = g.pop("writes_apart", [])
    if writes:
        with services().sessions.begin() as session:
            for write in writes:
                write(session)


def now() -> datetime:
    return services().clock()


def password_mark(user: User) -> str:
    """Changes with the password, so that a new password signs out other sessions."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def current_user() -> User | None:
    if "user" not in g:
        user = None
        user_id = session.get("uid")
        if isinstance(user_id, int):
            user = db().get(User, user_id)
            if user is not None and (not user.active or session.get("pw") != password_mark(user)):
                user = None
        g.user = user
    found: User | None = g.user
    return found


def viewer() -> Viewer:
    if "viewer" not in g:
        user = current_user()
        if user is None:
            abort(401)
        g.viewer = viewer_for(db(), user)
    found: Viewer = g.viewer
    return found


def visible_unit_ids() -> frozenset[str] | None:
    return viewer().unit_ids


class RoleRequired(Forbidden):
    """403 for a page meant for other roles (its page names them), not for a protected item."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        super().__init__()
        self.roles = roles


def roles_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            user = current_user()
            if user is None or user.role not in roles:
                raise RoleRequired(roles)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def language() -> str:
    found: str = g.get("lang", DEFAULT_LANGUAGE)
    return found


def t(key: str, **values: Any) -> str:
    # A list page asks for some 500 texts: the request's language is looked up once
    # (use_language), not through the app and g for every text.
    try:
        texts: Mapping[str, str] = g.texts
    except AttributeError:
        return services().translations.get(language(), key, **values)
    text = texts.get(key, key)
    return text.format(**values) if values else text


def use_language(lang: str) -> None:
    """The request's language, for ``t`` and ``language``."""
    g.lang = lang
    g.texts = services().translations.of(lang)

"""The people and the world of the web tests.

Two units (Xã A, Phường B); an officer of each, a leader of A and an admin. Items enter through
``ingest()`` with a keyword classifier standing in for the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from classifier.labels import DEFAULT_DEPARTMENT
from config.schema import Secret
from config.settings import Settings, UnitSettings, WebSettings
from storage.deadlines import load_policy
from storage.ingest import IngestPolicy, ingest
from storage.records import ItemRecord
from storage.tables import Item
from storage.users import create_user, ensure_units

PASSWORD = "một mật khẩu dài"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
MASK = "Thông tin người gửi được bảo mật"
_TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@dataclass(frozen=True)
class Pred:
    category: str
    urgent: bool
    field: str
    confidence: float = 0.9
    model_version: str = "kw-1"


def keyword_classifier(texts: Sequence[str]) -> list[Pred]:
    out = []
    for text in texts:
        low = text.lower()
        if "đòi" in low:
            out.append(Pred("to_cao", False, "hanh_chinh"))
        elif "cháy" in low or "đứt" in low:
            out.append(Pred("phan_anh", True, "ha_tang_moi_truong", 0.97))
        elif "?" in low:
            out.append(Pred("hoi_dap", False, "khcn_cds", 0.42))
        else:
            out.append(Pred("phan_anh", False, "khcn_cds", 0.81))
    return out


def make_policy() -> IngestPolicy:
    return IngestPolicy(
        classify=keyword_classifier,
        due_at=load_policy().deadline,
        routing=dict(DEFAULT_DEPARTMENT),
    )


def make_settings(
    data_dir: str, *, secure_cookies: bool = False, trusted_proxies: int = 0
) -> Settings:
    return Settings(
        data_dir=data_dir,
        units=[UnitSettings("a", "Xã A"), UnitSettings("b", "Phường B", "phuong")],
        web=WebSettings(
            secret_key=Secret("k" * 48),
            secure_cookies=secure_cookies,
            trusted_proxies=trusted_proxies,
        ),
    )


@dataclass(frozen=True)
class People:
    officer_a: int
    officer_b: int
    leader_a: int
    admin: int


def populate(sessions: sessionmaker[Session], now: datetime) -> People:
    with sessions.begin() as session:
        ensure_units(session, [("a", "Xã A", "xa"), ("b", "Phường B", "phuong")])

        def person(username: str, name: str, role: str, units: list[str]) -> int:
            user = create_user(
                session,
                username=username,
                display_name=name,
                password=PASSWORD,
                role=role,
                unit_ids=units,
                now=now,
            )
            return user.id

        return People(
            officer_a=person("officer.a", "Cán bộ An", "officer", ["a"]),
            officer_b=person("officer.b", "Cán bộ Bảo", "officer", ["b"]),
            leader_a=person("leader.a", "Lãnh đạo Cúc", "leader", ["a"]),
            admin=person("admin", "Quản trị Dũng", "admin", []),
        )


@dataclass
class World:
    app: Flask
    sessions: sessionmaker[Session]
    people: People
    clock: Callable[[], datetime]

    def now(self) -> datetime:
        return self.clock()


_serial = iter(range(1, 10**9))


def add_item(
    sessions: sessionmaker[Session], now: datetime, text: str, unit: str = "a", **fields: Any
) -> int:
    n = next(_serial)
    record: dict[str, Any] = {
        "source": "facebook_comment",
        "external_id": f"p{unit}_c{n}",
        "unit_id": unit,
        "created_time": now - timedelta(minutes=n % 30),
        "text": text,
        "author_id": f"9{n:05d}",
        "author_name": f"Người dân số {n}",
        "permalink": f"https://facebook.com/p{unit}_c{n}",
    }
    record.update(fields)
    with sessions.begin() as session:
        result = ingest(session, [ItemRecord(**record)], now=now, policy=make_policy())
        return result.inserted[0]


def item(sessions: sessionmaker[Session], item_id: int) -> Item:
    with sessions.begin() as session:
        found = session.scalars(select(Item).where(Item.id == item_id)).one()
        session.expunge(found)
        return found


class Visitor:
    """A browser session through Flask's test client, CSRF tokens included."""

    def __init__(self, app: Flask) -> None:
        self.client: FlaskClient = app.test_client()
        self._token: str | None = None

    def token(self, page: str = "/login") -> str:
        if self._token is None:
            page_text = self.client.get(page, follow_redirects=True).get_data(as_text=True)
            found = _TOKEN.search(page_text)
            assert found, f"no CSRF token on {page}"
            self._token = found.group(1)
        return self._token

    def login(self, username: str, password: str = PASSWORD, **env: str) -> TestResponse:
        self._token = None
        data = {"username": username, "password": password, "csrf_token": self.token()}
        response = self.client.post("/login", data=data, environ_base=env)
        self._token = None  # a fresh session after sign-in: a fresh token
        return response

    def get(self, url: str) -> TestResponse:
        return self.client.get(url)

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> TestResponse:
        payload = {**(data or {}), "csrf_token": self.token("/hotline")}
        return self.client.post(url, data=payload, **kw)

    def text(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

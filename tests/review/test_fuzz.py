"""No input makes the web answer 500: every route, random query strings and form fields.

The routes come from ``app.url_map`` (a new page is fuzzed without touching this file); the
parameter names from the UI's forms and the views' ``request.args``. Each request starts from
a valid form of its page, so that validation lets it through, and then some fields get the
values that broke the web before: SQL-shaped strings, numbers too big for a database integer,
NUL bytes, bytes that are not UTF-8, impossible dates, very long texts. Every route and method
is tried as an officer, as an admin and not signed in, on SQLite and PostgreSQL.

``PAKN_FUZZ_EXAMPLES=200`` tries that many examples per route, persona and method, with a
random seed, when hunting; the default run is small, fixed and fast.
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import IntegerConverter, Rule

import review.forms
from review.app import create_app
from storage.queue_search import VIEWS
from storage.replies import create_reply
from storage.tables import Item
from storage.users import create_user
from tests.clock import Clock
from tests.review.personas import PASSWORD, Visitor, add_item, make_policy, make_settings, populate

EXAMPLES = int(os.environ.get("PAKN_FUZZ_EXAMPLES", "0"))
PER_ROUTE = EXAMPLES or 8
PERSONAS = ("officer.a", "admin", "anonymous")
NASTY = [
    "' OR '1'='1",
    "1; DROP TABLE users; --",
    "%' OR 1=1 --",
    '" OR ""="',
    "1 UNION SELECT password_hash FROM users",
    "'); SELECT pg_sleep(0); --",
    "99999999999999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "2147483648",
    "-1",
    "0",
    "1e309",
    "NaN",
    "\x00",
    "a\x00b",
    "",
    " ",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "%s%s%n",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "2026-03-02T25:61",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-01-01..2025-01-01",
    "0001-01-01..9999-12-31",
    "🙂" * 40,
    "x" * 5000,
]
# Raw bytes sent percent-encoded: invalid UTF-8, lone continuation bytes, surrogates, a lone %.
BAD_BYTES = [b"\xff\xfe", b"\xc0\xaf", b"\x80", b"\xed\xa0\x80", b"%", b"%zz", b"\xe1\xba"]
# What each page's form or query looks like when filled in correctly.
VALID: dict[str, dict[str, str]] = {
    "auth.login": {"username": "officer.a", "password": "sai mật khẩu", "next": "/queue/all"},
    "queue.show": {"cursor": ""},
    "queue.find": {"text": "mất", "category": "phan_anh", "received_from": "2026-03-01"},
    "items.labels": {"category": "phan_anh", "field": "khac", "urgent": "y"},
    "items.status": {"status": "in_progress", "note": "đang xử lý"},
    "items.assign_item": {"department": "Văn phòng", "assignee": "1"},
    "items.note": {"text": "ghi chú"},
    "items.duplicate": {"original_id": "2"},
    "items.reply": {"kind": "public_comment", "text": "Cảm ơn anh chị."},
    "items.resend_reply": {"checked": "yes"},
    "hotline.log_call": {
        "call_id": "0123456789abcdef0123456789abcdef",
        "unit": "a",
        "received_at": "2026-03-02T08:00",
        "text": "Đường tối",
        "phone": "0900000000",
    },
    "admin.add_user": {
        "username": "moi.vao",
        "display_name": "Mới vào",
        "role": "officer",
        "units": "a",
        "password": PASSWORD,
    },
    "admin.edit_user": {"display_name": "Dự phòng", "role": "officer", "units": "a", "active": "y"},
    "admin.calendar": {"day": "2026-05-04", "kind": "off", "note": "nghỉ bù"},
    "reports.dashboard": {"period": "month", "unit": "a", "at": "2026-03-02"},
    "reports.download": {"format": "csv", "from": "2026-01-01", "to": "2026-03-01"},
}
EXTRA_NAMES = ["cursor", "lang", "next", "unit", "format", "from", "to", "period", "at", "checked"]
# Path variables that are words: the real ones, then anything.
WORDS = {"view": list(VIEWS), "day": ["2026-05-04"], "filename": ["pakn.css"]}


def form_field_names() -> list[str]:
    names: set[str] = set()
    for _, form in inspect.getmembers(review.forms, inspect.isclass):
        if issubclass(form, review.forms.Form) and form is not review.forms.Form:
            names |= {n for n, v in vars(form).items() if hasattr(v, "field_class")}
    return sorted(names | set(EXTRA_NAMES))


NAMES = form_field_names()
values = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(BAD_BYTES),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.binary(max_size=8),
)
changes = st.lists(
    st.tuples(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), values),
    min_size=1,
    max_size=4,
)


def encode(value: str | bytes) -> str:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_plus(raw)


def urlencoded(valid: dict[str, str], changed: list[tuple[str, str | bytes]]) -> str:
    fields: dict[str, str | bytes] = {**valid, **dict(changed)}
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in fields.items())


_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class Fuzzed:
    """The app, its routes, and one visitor per persona (signed in but the anonymous one)."""

    def __init__(self, app: Flask, ids: dict[str, list[int]]) -> None:
        self.app, self.ids = app, ids
        self.rules: list[Rule] = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
        self.visitors: dict[str, Visitor] = {"anonymous": Visitor(app)}
        for persona in ("officer.a", "admin"):
            visitor = Visitor(app)
            assert visitor.login(persona).status_code == 302
            visitor.token("/hotline")
            self.visitors[persona] = visitor

    def path(self, rule: Rule, draw: Any) -> str:
        def segment(match: re.Match[str]) -> str:
            name = match.group(1)
            if isinstance(rule._converters[name], IntegerConverter):
                known = st.sampled_from(self.ids.get(name, [1]))
                return str(draw(st.one_of(known, st.integers(0, 10**30)), label=name))
            words = st.sampled_from(WORDS.get(name, ["x"]))
            text = draw(st.one_of(words, st.sampled_from(NASTY), st.text(max_size=20)), label=name)
            return quote(text.encode("utf-8", "surrogatepass"), safe="") or "x"

        return _VARIABLE.sub(segment, rule.rule)


@pytest.fixture
def fuzzed(sessions: sessionmaker[Session], tmp_path: Path, clock: Clock) -> Fuzzed:
    people = populate(sessions, clock())
    odd_attachments = [
        '[{"type": "photo", "url": 5}]',
        '{"url": "https://x.example"}',
        '[1, "x", null, {"type": 3, "url": ["https://x"], "name": {"a": 1}}]',
        "[{",
        '"https://a.example"',
        '[{"url": "javascript:alert(1)", "name": "<b>x</b>"}]',
    ]
    items = [add_item(sessions, clock(), f"Mất sóng {n}") for n in range(len(odd_attachments))]
    items.append(add_item(sessions, clock(), "Tin nhắn", source="facebook_message"))
    with sessions.begin() as session:
        for item_id, attachments in zip(items, odd_attachments, strict=False):
            # As found in rows written by older versions or by hand, whatever ingest writes now.
            session.execute(update(Item).where(Item.id == item_id).values(attachments=attachments))
        item = session.get(Item, items[0])
        assert item is not None
        reply = create_reply(
            session, item, "public_comment", "Cảm ơn anh chị.", people.officer_a, clock()
        )
        spare = create_user(
            session,
            username="du.phong",
            display_name="Dự phòng",
            password=PASSWORD,
            role="officer",
            unit_ids=["a"],
            now=clock(),
        )
        # The personas' own accounts are left out: a fuzzed edit must not sign them out.
        ids = {"item_id": items, "reply_id": [reply.id], "user_id": [spare.id]}
    app = create_app(
        make_settings(str(tmp_path)), sessions, policy=make_policy(), clock=clock, testing=True
    )
    return Fuzzed(app, ids)


def test_no_request_on_any_route_makes_the_web_answer_500(fuzzed: Fuzzed) -> None:
    # Every route and method as each persona: a few examples each reach further than many
    # examples spread at random. Every failing route is reported, not only the first.
    failures = []
    for rule in fuzzed.rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for persona in PERSONAS:
                if rule.endpoint == "auth.logout" and persona != "anonymous":
                    continue  # signing the fuzzing personas out would end the run's sessions
                try:
                    fuzz_route(fuzzed, rule, method, persona)
                except Exception as failed:  # collected: every failing route is reported
                    failures.append(f"{method} {rule.rule} as {persona}: {failed!r}"[:2000])
    assert not failures, "\n\n".join(failures)


def fuzz_route(fuzzed: Fuzzed, rule: Rule, method: str, persona: str) -> None:
    valid = VALID.get(rule.endpoint or "", {})

    @settings(
        max_examples=PER_ROUTE,
        derandomize=not EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def one_request(data: st.DataObject) -> None:
        visitor = fuzzed.visitors[persona]
        path = fuzzed.path(rule, data.draw)
        if method == "GET":
            query = urlencoded(valid, data.draw(changes, label="query"))
            response = visitor.client.get(path, query_string=query)
        else:
            token = visitor.token("/login") if persona == "anonymous" else visitor.token()
            changed = data.draw(changes, label="form")
            query = urlencoded(valid, [*changed, ("csrf_token", token)])
            response = visitor.client.post(
                path, data=query, content_type="application/x-www-form-urlencoded"
            )
        assert response.status_code < 500, (persona, method, path, query[:300])

    one_request()


def test_an_item_opens_whatever_shape_its_attachments_have(fuzzed: Fuzzed) -> None:
    officer = fuzzed.visitors["officer.a"]
    for item_id in fuzzed.ids["item_id"]:
        assert officer.get(f"/items/{item_id}").status_code == 200, item_id
    page = officer.text(f"/items/{fuzzed.ids['item_id'][1]}")
    assert 'href="https://x.example"' in page  # one object instead of a list is still shown
    assert "javascript:" not in officer.text(f"/items/{fuzzed.ids['item_id'][5]}")


def test_a_nul_byte_anywhere_is_refused_with_a_page_that_says_what_to_fix(
    fuzzed: Fuzzed,
) -> None:
    admin = fuzzed.visitors["admin"]
    item_id = fuzzed.ids["item_id"][0]
    for answer in (
        admin.get("/reports/?unit=a%00"),
        admin.get("/search?text=m%E1%BA%A5t%00"),
        admin.post(f"/items/{item_id}/notes", {"text": "ghi\x00chú"}),
    ):
        assert answer.status_code == 400
        assert "ký tự rỗng (NUL)" in answer.get_data(as_text=True)

"""Vietnamese by default, English on request; both languages have every text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

from classifier.labels import CATEGORIES, FIELDS
from review.i18n import load_texts
from storage.tables import REPLY_KINDS, REPLY_STATES, ROLES, SOURCES, STATUSES, Item
from storage.workdays import VIETNAM_TZ
from tests.review.personas import Visitor, World, add_item

SignIn = Callable[[str], Visitor]
REVIEW = Path(__file__).resolve().parents[2] / "review"
_LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9]+)["']\s*[,)]""")
_LABEL_KIND = re.compile(r"""\blabel\(\s*["']([a-z_]+)["']""")


def test_pages_are_in_vietnamese_until_english_is_asked_for_and_then_stay_english(
    world: World, signed_in: SignIn
) -> None:
    add_item(world.sessions, world.now(), "Mất sóng 4G")
    officer = signed_in("officer.a")
    assert "Hàng đợi" in officer.text("/queue/all")
    english = officer.text("/queue/all?lang=en")
    assert "Queue" in english and "Report" in english and '<html lang="en">' in english
    assert "Sign out" in officer.text("/queue/triage")
    assert "Đăng xuất" in officer.text("/queue/triage?lang=vi")


def test_the_english_pages_say_that_legal_texts_and_names_stay_in_vietnamese(
    world: World, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a")
    note = (
        "Legal rule texts, unit and department names, and what citizens wrote stay in Vietnamese."
    )
    assert note in officer.text("/queue/all?lang=en")
    assert "vẫn bằng tiếng Việt" not in officer.text("/queue/all?lang=vi")


def test_a_users_language_choice_is_remembered_at_the_next_sign_in(
    world: World, signed_in: SignIn
) -> None:
    signed_in("officer.a").text("/queue/all?lang=en")
    again = signed_in("officer.a")
    assert "Sign out" in again.text("/queue/all")
    assert "Đăng xuất" in signed_in("officer.b").text("/queue/all")


def test_the_login_page_follows_the_language_switch(world: World) -> None:
    client = world.app.test_client()
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)


def test_both_languages_have_the_same_texts() -> None:
    vi, en = load_texts("vi"), load_texts("en")
    assert sorted(set(vi) ^ set(en)) == []
    assert all(value.strip() for value in en.values())


def test_every_code_shown_in_the_interface_has_a_name_in_both_languages() -> None:
    codes = {
        "category": CATEGORIES,
        "field": FIELDS,
        "status": STATUSES,
        "source": SOURCES,
        "role": ROLES,
        "reply_kind": REPLY_KINDS,
        "reply_state": REPLY_STATES,
        "flag": ("low_confidence", "to_cao", "khieu_nai", "urgent", "unclassified"),
    }
    for language in ("vi", "en"):
        texts = load_texts(language)
        missing = [
            f"{k}.{c}" for k, values in codes.items() for c in values if f"{k}.{c}" not in texts
        ]
        assert missing == [], language


def test_every_text_key_written_in_the_code_and_templates_exists() -> None:
    vi = load_texts("vi")
    sources = [
        path
        for path in (*REVIEW.glob("*.py"), *REVIEW.glob("templates/**/*.html"))
        # The reports blueprint keeps its own texts.
        if not path.name.startswith("report") and "reports" not in path.parts
    ]
    used = {key for path in sources for key in _LITERAL_KEY.findall(path.read_text("utf-8"))}
    assert used, "the scan found no keys: the pattern is wrong"
    assert sorted(k for k in used if k not in vi) == []
    kinds = {kind for path in sources for kind in _LABEL_KIND.findall(path.read_text("utf-8"))}
    assert sorted(k for k in kinds if f"{k}.none" not in vi) == []


def test_a_deadline_that_ends_with_its_day_reads_het_ngay_on_the_item_page(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Xin hỏi thủ tục cấp giấy phép xây dựng")
    with world.sessions.begin() as session:
        found = session.get(Item, item_id)
        assert found is not None
        found.due_at = datetime.combine(date(2026, 3, 12), time.max, tzinfo=VIETNAM_TZ)
    officer = signed_in("officer.a")
    page = officer.text(f"/items/{item_id}")
    assert "hết ngày 12/03/2026" in page and "24:00" not in page
    assert "end of 12/03/2026" in officer.text(f"/items/{item_id}?lang=en")


def test_a_prediction_shows_how_sure_the_classifier_is_in_words_never_a_percentage(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Đèn đường thôn 4 tắt mấy hôm nay")
    with world.sessions.begin() as session:
        found = session.get(Item, item_id)
        assert found is not None
        found.confidence = 1.0
    officer = signed_in("officer.a")
    page = officer.text(f"/items/{item_id}")
    assert "máy khá chắc về loại; cán bộ vẫn cần xác nhận" in page
    assert "100%" not in page and "độ tin cậy" not in page

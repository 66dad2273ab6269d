"""A year of a city's items for bench/queue_bench.py: rows ready for COPY, replies, officers.

Every item's facts follow from its number alone (``_facts``), so the replies are a second pass
over the same numbers instead of a million rows held in memory. The mix: a tenth small talk set
aside, 2 % urgent, 3 % denunciations; most of the old items are done, most of the last two
weeks' still open (about one item in eight open overall); a third of the senders leave a phone.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from classifier.labels import DEFAULT_DEPARTMENT
from storage.search_text import SEPARATOR, fold, search_text

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
PASSWORD = "mật khẩu đo hiệu năng"  # noqa: S105 - throwaway accounts in a throwaway schema
_NAIVE_NOW = NOW.replace(tzinfo=None)
TEMPLATES = (
    ("phan_anh", "ha_tang_moi_truong", "Đèn đường {place} tắt mấy hôm nay, tối đi lại nguy hiểm"),
    ("phan_anh", "ha_tang_moi_truong", "Cống {place} tắc, nước thải tràn ra đường"),
    ("phan_anh", "khcn_cds", "{place} mất sóng 4G cả tuần nay rồi ad ơi"),
    ("phan_anh", "ha_tang_moi_truong", "Rác thải đổ trộm ở {place}, bốc mùi cả ngày"),
    ("phan_anh", "an_ninh_trat_tu", "Thanh niên tụ tập đua xe ở {place} lúc nửa đêm"),
    ("phan_anh", "an_ninh_trat_tu", "Hàng xóm ở {place} hát karaoke quá 23 giờ"),
    ("phan_anh", "van_hoa_xa_hoi", "Trường mầm non {place} thiếu cô giáo, lớp quá đông"),
    ("hoi_dap", "khcn_cds", "cho em hỏi làm định danh mức 2 ở {place} hay công an ạ"),
    ("hoi_dap", "hanh_chinh", "Làm giấy khai sinh cho con ở {place} cần mang gì ạ"),
    ("hoi_dap", "hanh_chinh", "Bộ phận một cửa thứ 7 có làm việc không ạ, nhà em ở {place}"),
    ("kien_nghi", "khcn_cds", "Đề nghị xã lắp wifi miễn phí ở nhà văn hoá {place}"),
    ("kien_nghi", "ha_tang_moi_truong", "Đề nghị sửa đường {place}, ổ gà nhiều lắm"),
    ("khieu_nai", "hanh_chinh", "Hồ sơ dịch vụ công nộp từ {place} bị trả lại không rõ lý do"),
    ("gop_y", "van_hoa_xa_hoi", "Cảm ơn xã đã hỗ trợ bà con {place} cài VNeID"),
)
URGENT = (
    ("phan_anh", "ha_tang_moi_truong", "Dây điện đứt rơi xuống {place}, đang tóe lửa"),
    ("phan_anh", "an_ninh_trat_tu", "Cháy nhà ở {place}, gọi cứu hoả giúp với"),
)
DENUNCIATION = ("to_cao", "hanh_chinh", "Cán bộ một cửa đòi {n}00 nghìn mới làm hồ sơ ở {place}")
SMALL_TALK = ("Vâng ạ", "Đồng ý với bạn trên", "cảm ơn ad", "Hay quá", "Chúc xã mình năm mới")
STREETS = ("Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hùng Vương", "Lý Thường Kiệt", "Quang Trung")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Thu", "Đức", "Ngọc", "Quang")
GIVEN = ("An", "Bình", "Cúc", "Dũng", "Hà", "Hoa", "Hùng", "Lan", "Nam", "Thảo", "Tâm", "Yến")
OPEN = ("new", "acknowledged", "in_triage", "assigned", "in_progress", "waiting_citizen")
DONE = ("answered", "closed", "not_actionable")
_folded: dict[str, str] = {}


@dataclass
class Officer:
    username: str
    units: tuple[str, ...]
    user_id: int = 0


def officers_for(unit_ids: list[str], count: int) -> list[Officer]:
    """Officers with 1, 2, 3 or 6 units (a ward, a cluster, a district desk), spread out."""
    found = []
    for n in range(count):
        size, start = (1, 2, 3, 6)[n % 4], (n * 7) % len(unit_ids)
        units = tuple(unit_ids[(start + k) % len(unit_ids)] for k in range(size))
        found.append(Officer(f"officer{n:02d}", units))
    return found


@dataclass(frozen=True)
class _Facts:
    unit: str
    created: datetime
    category: str
    field: str
    urgent: bool
    aside: bool
    status: str
    text: str
    name: str
    phone: str | None


def _facts(n: int, unit_ids: list[str], seed: int) -> _Facts:
    rng = random.Random(seed * 1_000_003 + n)
    created = _NAIVE_NOW - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
    age = (_NAIVE_NOW - created).days
    open_share = 0.8 if age < 14 else 0.3 if age < 90 else 0.05
    place = _place(rng)
    roll = rng.random()
    if roll < 0.10:
        category, field, text, urgent = "khac", "khac", rng.choice(SMALL_TALK), False
    else:
        category, field, template = (
            URGENT[rng.randrange(2)]
            if roll < 0.12
            else DENUNCIATION
            if roll < 0.15
            else TEMPLATES[rng.randrange(len(TEMPLATES))]
        )
        text, urgent = template.format(place=place, n=rng.randrange(1, 10)), roll < 0.12
    status = rng.choice(OPEN) if rng.random() < open_share else rng.choice(DONE)
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    phone = f"09{rng.randrange(10**8):08d}" if rng.random() < 0.3 else None
    unit = unit_ids[n % len(unit_ids)]
    return _Facts(
        unit, created, category, field, urgent, category == "khac", status, text, name, phone
    )


def _place(rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return f"thôn {rng.randrange(1, 30)}"
    if kind == 1:
        return f"tổ dân phố {rng.randrange(1, 40)}"
    return f"ngõ {rng.randrange(1, 200)} đường {rng.choice(STREETS)}"


def _search_text(facts: _Facts) -> str:
    """storage.search_text.search_text, with the folds of repeated texts and names kept."""
    text = _folded.get(facts.text) or _folded.setdefault(facts.text, fold(facts.text))
    name = _folded.get(facts.name) or _folded.setdefault(facts.name, fold(facts.name))
    sender = f"{name} {facts.phone}" if facts.phone else name
    return f" {text} {SEPARATOR} {sender} "


def item_rows(
    count: int, unit_ids: list[str], officers: list[Officer], seed: int
) -> Iterator[dict[str, Any]]:
    by_unit: dict[str, list[int]] = {}
    for officer in officers:
        for unit in officer.units:
            by_unit.setdefault(unit, []).append(officer.user_id)
    for n in range(1, count + 1):
        facts = _facts(n, unit_ids, seed)
        row = _row(n, facts, by_unit.get(facts.unit, []))
        if n <= 50:  # the shortcut must store what ingest() would
            assert row["search_text"] == search_text(facts.text, facts.name, facts.phone)
        yield row


def _row(n: int, facts: _Facts, colleagues: list[int]) -> dict[str, Any]:
    is_open = facts.status in OPEN
    due = None
    if not facts.aside:
        due = facts.created + (timedelta(hours=4) if facts.urgent else timedelta(days=2 + n % 8))
    assignee = None
    if colleagues and facts.status in ("assigned", "in_progress", "waiting_citizen"):
        assignee = colleagues[n % len(colleagues)]
    flags = ["low_confidence"] if n % 5 == 0 else []
    flags += ["urgent"] if facts.urgent else []
    flags += ["to_cao"] if facts.category == "to_cao" else []
    done_at = None if is_open else facts.created + timedelta(days=1 + n % 5)
    return {
        "id": n,
        "source": "facebook_message" if n % 4 == 0 else "facebook_comment",
        "external_id": f"{facts.unit}_{n}",
        "unit_id": facts.unit,
        "page_id": None,
        "thread_id": f"{facts.unit}_post_{n // 20}",
        "parent_id": f"{facts.unit}_post_{n // 20}",
        "author_id": str(10**9 + n),
        "author_name": facts.name,
        "author_phone": facts.phone,
        "by_page": False,
        "text": facts.text,
        "search_text": _search_text(facts),
        "attachments": None,
        "content_hash": hashlib.sha256(facts.text.encode()).hexdigest(),
        "created_time": facts.created,
        "permalink": None,
        "hidden": False,
        "first_seen_at": facts.created,
        "last_seen_at": facts.created,
        "edited": False,
        "deleted": False,
        "deleted_at": None,
        "missing_checks": 0,
        "pred_category": facts.category,
        "pred_urgent": facts.urgent,
        "pred_field": facts.field,
        "confidence": 0.5 + (n % 50) / 100,
        "model_version": "bench",
        "classified_at": facts.created,
        "category": facts.category,
        "urgent": facts.urgent,
        "field": facts.field,
        "labels_reviewed_by": None,
        "labels_reviewed_at": None,
        "labels_corrected": False,
        "status": facts.status,
        "flagged": is_open and bool(flags),
        "flag_reasons": ",".join(flags) or None,
        "confidential": facts.category == "to_cao",
        "department": DEFAULT_DEPARTMENT[facts.field],
        "department_id": None,
        "assignee_id": assignee,
        "due_at": due,
        "deadline_rule": None if facts.aside else "khan_cap" if facts.urgent else "mac_dinh",
        "acknowledged_at": None,
        "answered_at": done_at if facts.status == "answered" else None,
        "closed_at": done_at,
        "duplicate_of_id": None,
        "alerted_at": None,
        "set_aside": facts.aside,
        "set_aside_at": facts.created if facts.aside else None,
    }


def reply_rows(count: int, unit_ids: list[str], seed: int) -> Iterator[dict[str, Any]]:
    """A sent reply on most answered items, a failed one on one open item in fifty."""
    reply_id = 0
    for n in range(1, count + 1):
        facts = _facts(n, unit_ids, seed)
        failed = facts.status in OPEN and n % 50 == 0
        if not failed and (facts.status != "answered" or n % 10 < 3):
            continue
        reply_id += 1
        at = facts.created + timedelta(hours=3)
        yield {
            "id": reply_id,
            "item_id": n,
            "kind": "public_comment",
            "text": "Chào bạn, UBND đã tiếp nhận và chuyển bộ phận chuyên môn.",
            "status": "failed" if failed else "sent",
            "created_by": None,
            "created_at": at,
            "updated_at": at,
            "attempts": 1,
            "next_attempt_at": None,
            "sent_at": None if failed else at,
            "graph_id": None if failed else f"{n}_r",
            "error": "Facebook từ chối trả lời này." if failed else None,
            "claimed_by": None,
            "claimed_until": None,
        }

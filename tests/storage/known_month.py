"""March 2026 of xã Cẩm Giàng with answers known in advance, for the figures' tests.

The report is made on 15 April 2026 at 10:00 (Việt Nam). The items, each with the outcome it
must get (storage/reports.py) and whether it was prolonged in March (storage/prolonged.py:
still not handled more than 10 working days after its deadline at some moment of March, or
its deadline extended by a direction given in March):

====  ===========  ========  ===========================  =========  ==========================
name  received     due       handled                      outcome    prolonged in March
====  ===========  ========  ===========================  =========  ==========================
a     02/03        09/03     answered 05/03               on_time    no
b     03/03        10/03     closed 09/03                 on_time    no
c     04/03        11/03     answered 13/03               late       no (2 days late)
d     05/03        12/03     answered 03/04               late       yes, late (limit 26/03)
e     06/03        13/03     still in progress            overdue    yes, open (limit 27/03)
n     20/03        27/03     still in progress            overdue    no: its limit is 10/04
f     25/03        01/04     still new                    overdue    no
g     30/03        30/04     still assigned               open       no
h     10/03        17/03     answered 16/03               on_time    yes, extended 12/03 → 25/03
l     06/03        09/03     not actionable, no time      on_time    no
i     15/02        20/02     still in progress            (Feb)      yes, open: carried over
j     10/02        13/02     answered 14/02               (Feb)      no
k     08/03        15/03     the Page's own comment       excluded   excluded
m     (Ái Quốc) 09/03  16/03  still new                 other unit other unit
====  ===========  ========  ===========================  =========  ==========================

So for Cẩm Giàng in March: received 10, on time 4, late 2, open 1, overdue 3, due 9, on-time
rate 44.4 % (4/9, rounded down), prolonged 4 (d, e, h, i), overdue now 4 (e, n, f, i),
chỉ số 8: 0 points (prolonged items).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from storage import proposals
from storage.poll_state import sync_pages
from storage.report_periods import month_of
from storage.tables import Item, User, UserUnit

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=VN).astimezone(UTC)
MARCH = month_of(date(2026, 3, 1))
UNIT, OTHER = "cam-giang", "ai-quoc"
EXPECTED = {
    "received": 10,
    "on_time": 4,
    "late": 2,
    "open": 1,
    "overdue": 3,
    "due": 9,
    "rate": 44.4,
    "prolonged": 4,
    "overdue_now": 4,
    "points": 0,
}
PROLONGED = ("d", "e", "h", "i")
OVERDUE = ("e", "n", "f")


@dataclass(frozen=True)
class Month:
    ids: dict[str, int]
    officer: int
    leader: int

    def of(self, *names: str) -> set[int]:
        return {self.ids[n] for n in names}


def at(day: int, month: int = 3, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=VN)


def end_of(day: int, month: int = 3) -> datetime:
    return datetime.combine(date(2026, month, day), time.max, tzinfo=VN)


ROWS: dict[str, dict[str, Any]] = {
    "a": {"created": at(2), "due": end_of(9), "status": "answered", "answered": at(5)},
    "b": {"created": at(3), "due": end_of(10), "status": "closed", "answered": at(9)},
    "c": {"created": at(4), "due": end_of(11), "status": "answered", "answered": at(13)},
    "d": {"created": at(5), "due": end_of(12), "status": "answered", "answered": at(3, 4)},
    "e": {"created": at(6), "due": end_of(13), "status": "in_progress"},
    "n": {"created": at(20), "due": end_of(27), "status": "in_progress"},
    "f": {"created": at(25), "due": end_of(1, 4), "status": "new"},
    "g": {"created": at(30), "due": end_of(30, 4), "status": "assigned"},
    "h": {"created": at(10), "due": end_of(17), "status": "answered", "answered": at(16)},
    "l": {"created": at(6), "due": end_of(9), "status": "not_actionable"},
    "i": {"created": at(15, 2), "due": end_of(20, 2), "status": "in_progress"},
    "j": {"created": at(10, 2), "due": end_of(13, 2), "status": "answered", "answered": at(14, 2)},
    "k": {"created": at(8), "due": end_of(15), "status": "new", "by_page": True},
    "m": {"created": at(9), "due": end_of(16), "status": "new", "unit": OTHER},
}


def _item(name: str, row: dict[str, Any]) -> Item:
    created: datetime = row["created"]
    return Item(
        source="facebook_comment",
        external_id=f"known-{name}",
        unit_id=row.get("unit", UNIT),
        author_id=f"u-{name}",
        author_name=f"Người dân {name}",
        by_page=row.get("by_page", False),
        text=f"Phản ánh {name}: đường thôn {name} hỏng",
        content_hash=f"h-{name}",
        created_time=created,
        first_seen_at=created,
        last_seen_at=created,
        category="phan_anh",
        field="ha_tang_moi_truong",
        department="Phòng Kinh tế",
        status=row["status"],
        due_at=row["due"],
        acknowledged_at=created + timedelta(minutes=30),
        answered_at=row.get("answered"),
        closed_at=row.get("answered") if row["status"] == "closed" else None,
    )


def build(sessions: sessionmaker[Session]) -> Month:
    with sessions.begin() as s:
        sync_pages(
            s, [(UNIT, "UBND xã Cẩm Giàng", "xa"), (OTHER, "UBND phường Ái Quốc", "phuong")], []
        )
        ids = {}
        for name, row in ROWS.items():
            item = _item(name, row)
            s.add(item)
            s.flush()
            ids[name] = item.id
        officer = _user(s, "canbo", "officer", [UNIT])
        leader = _user(s, "lanhdao", "leader", [UNIT])
        _user(s, "quantri", "admin", [])
        h = s.get(Item, ids["h"])
        assert h is not None
        draft = proposals.Draft(
            "Đường thôn h hỏng", "Giao Phòng Kinh tế sửa", "Phòng Kinh tế", date(2026, 3, 20)
        )
        found = proposals.propose(s, [h], draft, officer, at(11))
        change = proposals.Draft(draft.summary, draft.handling, "Phòng Kinh tế", date(2026, 3, 25))
        proposals.decide(
            s,
            found,
            "changed",
            "Cần khảo sát thêm, gia hạn đến 25/3",
            leader,
            at(12),
            version=found.version,
            change=change,
        )
    return Month(ids, officer, leader)


def _user(session: Session, name: str, role: str, units: list[str]) -> int:
    user = User(
        username=name,
        display_name=name.title(),
        password_hash=f"test-hash-{name}",
        role=role,
        created_at=NOW,
    )
    session.add(user)
    session.flush()
    session.add_all(UserUnit(user_id=user.id, unit_id=u) for u in units)
    return user.id

"""The classifier's unsure signals reach the queue: a suspected denunciation is masked at once,
a possible emergency is flagged and paged as such."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.alert_texts import urgent as urgent_text
from storage.ingest import IngestPolicy, ingest
from storage.records import ItemRecord
from storage.tables import Item, Unit

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # a Sunday night in Hà Nội


@dataclass(frozen=True)
class LevelledPrediction:
    category: str
    urgent: bool
    field: str
    confidence: float
    urgency: str = "none"
    shield: bool = False
    to_cao_score: float = 0.0
    model_version: str = "test-levels"


def classify(texts: Sequence[str]) -> list[LevelledPrediction]:
    out = []
    for text in texts:
        if "phong bì" in text:  # reads like a complaint, but the shield is up
            out.append(LevelledPrediction("phan_anh", False, "hanh_chinh", 0.7, shield=True))
        elif "khói" in text:
            out.append(
                LevelledPrediction("phan_anh", True, "an_ninh_trat_tu", 0.6, urgency="possible")
            )
        elif "cháy" in text:
            out.append(
                LevelledPrediction("phan_anh", True, "an_ninh_trat_tu", 0.9, urgency="urgent")
            )
        else:
            out.append(LevelledPrediction("hoi_dap", False, "khcn_cds", 0.9))
    return out


def _ingest(sessions: sessionmaker[Session], texts: list[str]) -> dict[str, Item]:
    records = [
        ItemRecord(
            source="facebook_comment",
            external_id=f"c{n}",
            unit_id="a",
            created_time=NOW,
            text=text,
            author_id=f"9{n}",
            author_name=f"Người dân {n}",
        )
        for n, text in enumerate(texts)
    ]
    with sessions.begin() as session:
        session.add(Unit(id="a", name="Xã A"))
        session.flush()
        ingest(session, records, now=NOW, policy=IngestPolicy(classify=classify))
    with sessions.begin() as session:
        items = session.scalars(select(Item)).all()
        session.expunge_all()
        return {item.text: item for item in items}


def test_a_suspected_denunciation_is_masked_from_the_moment_it_is_stored(
    sessions: sessionmaker[Session],
) -> None:
    items = _ingest(sessions, ["Cán bộ nhận phong bì mới ký giấy", "cho hỏi giờ làm việc"])
    suspected = items["Cán bộ nhận phong bì mới ký giấy"]
    assert suspected.category == "phan_anh"
    assert suspected.confidential is True
    assert "possible_to_cao" in (suspected.flag_reasons or "")
    assert items["cho hỏi giờ làm việc"].confidential is False


def test_a_possible_emergency_is_flagged_and_paged_as_unsure(
    sessions: sessionmaker[Session],
) -> None:
    items = _ingest(sessions, ["khói bốc lên ở khu tập thể", "cháy nhà ở xóm 3 rồi"])
    possible, certain = items["khói bốc lên ở khu tập thể"], items["cháy nhà ở xóm 3 rồi"]
    assert possible.urgent and certain.urgent
    assert "possible_urgent" in (possible.flag_reasons or "").split(",")
    assert "urgent" in (certain.flag_reasons or "").split(",")
    subject, body = urgent_text(possible, "Xã A", "https://pakn.example.vn")
    assert subject.startswith("[CÓ THỂ KHẨN]")
    assert "chưa chắc" in body
    subject, _ = urgent_text(certain, "Xã A", "https://pakn.example.vn")
    assert subject.startswith("[KHẨN]")

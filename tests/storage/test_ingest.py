from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.ingest import IngestPolicy, ingest
from storage.poll_state import sync_pages
from storage.records import Attachment, ItemRecord
from storage.tables import Item, ItemVersion

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FakePrediction:
    category: str
    urgent: bool
    field: str
    confidence: float
    model_version: str = "test-1"


def keyword_classifier(texts: Sequence[str]) -> list[FakePrediction]:
    out = []
    for text in texts:
        if "đòi tiền" in text:
            out.append(FakePrediction("to_cao", False, "hanh_chinh", 0.9))
        elif "cháy" in text:
            out.append(FakePrediction("phan_anh", True, "ha_tang_moi_truong", 0.95))
        else:
            out.append(FakePrediction("hoi_dap", False, "khcn_cds", 0.4))
    return out


def record(n: int, text: str = "cho em hỏi VNeID", **kw: object) -> ItemRecord:
    base: dict[str, object] = {
        "source": "facebook_comment",
        "external_id": f"111_{n}",
        "unit_id": "cam-giang",
        "page_id": "100000000000001",
        "thread_id": "100000000000001_111",
        "created_time": NOW - timedelta(minutes=n),
        "text": text,
        "author_id": f"u{n}",
        "author_name": "Nguyễn Văn An",
    }
    base.update(kw)
    return ItemRecord(**base)  # type: ignore[arg-type]


def setup_page(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        sync_pages(
            s,
            [("cam-giang", "UBND xã Cẩm Giàng", "xa")],
            [("100000000000001", "Cẩm Giàng", "cam-giang")],
        )


def count(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(Item)) or 0)


def test_replaying_the_same_batch_stores_every_item_exactly_once(
    sessions: sessionmaker[Session],
) -> None:
    setup_page(sessions)
    batch = [record(i) for i in range(5)]
    with sessions.begin() as s:
        first = ingest(s, batch, now=NOW)
    with sessions.begin() as s:
        again = ingest(s, [*batch, record(5)], now=NOW + timedelta(minutes=1))
    assert len(first.inserted) == 5
    assert len(again.inserted) == 1 and again.unchanged == 5
    assert count(sessions) == 6


def test_duplicates_inside_one_batch_are_stored_once(sessions: sessionmaker[Session]) -> None:
    setup_page(sessions)
    with sessions.begin() as s:
        result = ingest(s, [record(1), record(1), record(2)], now=NOW)
    assert len(result.inserted) == 2


def test_an_edited_comment_keeps_its_previous_text(sessions: sessionmaker[Session]) -> None:
    setup_page(sessions)
    with sessions.begin() as s:
        ingest(s, [record(1, "mất sóng 4G")], now=NOW)
    with sessions.begin() as s:
        result = ingest(s, [record(1, "mất sóng 4G cả tuần nay rồi")], now=NOW)
    assert len(result.edited) == 1
    with sessions.begin() as s:
        item = s.scalars(select(Item)).one()
        versions = s.scalars(select(ItemVersion.text)).all()
    assert item.text == "mất sóng 4G cả tuần nay rồi" and item.edited
    assert versions == ["mất sóng 4G"]


def test_a_new_attachment_counts_as_an_edit(sessions: sessionmaker[Session]) -> None:
    setup_page(sessions)
    with sessions.begin() as s:
        ingest(s, [record(1, "ảnh")], now=NOW)
    photo = (Attachment(type="photo", url="https://example.org/a.jpg"),)
    with sessions.begin() as s:
        assert ingest(s, [record(1, "ảnh", attachments=photo)], now=NOW).edited


def test_items_written_by_the_page_are_recorded_as_replies_not_queued(
    sessions: sessionmaker[Session],
) -> None:
    setup_page(sessions)
    policy = IngestPolicy(classify=keyword_classifier)
    with sessions.begin() as s:
        ingest(s, [record(1, "Xã đã tiếp nhận ạ", by_page=True)], now=NOW, policy=policy)
        item = s.scalars(select(Item)).one()
    assert item.by_page and item.status == "not_actionable" and item.category is None


def test_new_citizen_items_get_labels_flags_route_and_deadline(
    sessions: sessionmaker[Session],
) -> None:
    setup_page(sessions)

    def due(
        category: str | None, urgent: bool, received: datetime
    ) -> tuple[datetime | None, str | None]:
        hours = 4 if urgent else 120
        return received + timedelta(hours=hours), f"test-{category}"

    policy = IngestPolicy(
        classify=keyword_classifier,
        due_at=due,
        routing={"hanh_chinh": "Văn phòng HĐND và UBND", "ha_tang_moi_truong": "Phòng Kinh tế"},
    )
    batch = [record(1, "cán bộ đòi tiền mới ký"), record(2, "cháy nhà xóm 3"), record(3)]
    with sessions.begin() as s:
        ingest(s, batch, now=NOW, policy=policy)
        items = {i.external_id: i for i in s.scalars(select(Item))}
    denunciation, fire, question = items["111_1"], items["111_2"], items["111_3"]
    assert (
        denunciation.confidential
        and denunciation.flagged
        and "to_cao" in (denunciation.flag_reasons or "")
    )
    assert denunciation.department == "Văn phòng HĐND và UBND"
    assert fire.urgent and fire.due_at == fire.created_time + timedelta(hours=4)
    assert question.flagged and question.flag_reasons == "low_confidence"
    assert not question.confidential and question.model_version == "test-1"


def test_two_writers_racing_on_the_same_item_store_it_once(sessions: sessionmaker[Session]) -> None:
    setup_page(sessions)
    first, second = sessions(), sessions()
    try:
        first.begin()
        ingest(first, [record(7)], now=NOW)
        first.commit()
        second.begin()
        # The second writer's SELECT saw nothing when it started a moment earlier in real life;
        # the unique key is what makes the insert harmless either way.
        result = ingest(second, [record(7)], now=NOW)
        second.commit()
    finally:
        first.close()
        second.close()
    assert result.inserted == []
    assert count(sessions) == 1


def test_an_edit_is_classified_again_unless_an_officer_reviewed_the_labels(
    sessions: sessionmaker[Session],
) -> None:
    setup_page(sessions)
    policy = IngestPolicy(classify=keyword_classifier)
    with sessions.begin() as s:
        ingest(
            s,
            [record(1, "cho hỏi giờ làm việc"), record(2, "cho hỏi lịch tiêm")],
            now=NOW,
            policy=policy,
        )
        reviewed = s.scalar(select(Item).where(Item.external_id == "111_2"))
        assert reviewed is not None
        reviewed.labels_reviewed_at = NOW
    with sessions.begin() as s:
        edits = [record(1, "cháy nhà xóm 3 rồi cứu với"), record(2, "cháy lớn ở chợ")]
        ingest(s, edits, now=NOW + timedelta(minutes=5), policy=policy)
        items = {i.external_id: i for i in s.scalars(select(Item))}
    assert items["111_1"].urgent
    assert items["111_1"].category == "phan_anh"
    assert not items["111_2"].urgent
    assert items["111_2"].category == "hoi_dap"

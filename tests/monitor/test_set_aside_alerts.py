"""Admins are told once when a page's objects are set aside or repaired, and never see the
object itself: not in the alert, ``pakn pages``, the admin's page table or the log."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cli.intake import set_aside_line
from config.schema import Secret
from config.settings import AlertSettings, NotificationTarget, Settings
from monitor.alerts import SET_ASIDE_PERIOD, AlertDetector
from monitor.daemon import Daemon
from monitor.normalize import PayloadError, comment_record, repairing
from simulator import GraphSimulator, World
from storage.rejections import REASON_NAMES, WINDOW, by_page, reason_kind
from storage.tables import Notification, RejectedPayload
from tests.clock import Clock
from tests.monitor.harness import make_daemon, settings_for
from tests.monitor.test_malformed_payloads import CAM, a_world, cycle, template

NAME = "Đinh Quang Tố"  # a denouncer's name, as a probe would put it in an object
TOKEN = "EAABsecretTOKENxyz0123456789abcdef"
ADMIN = NotificationTarget(url=Secret("json://127.0.0.1:9/admin"), events=["page_down"])


def with_admin(settings: Settings) -> Settings:
    alerts = AlertSettings(admin_targets=[ADMIN])
    return dataclasses.replace(settings, alerts=alerts)


def alerts(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions.begin() as s:
        rows = s.scalars(
            select(Notification)
            .where(Notification.event == "objects_set_aside")
            .order_by(Notification.id)
        )
        return [(n.dedupe_key, n.subject, n.body) for n in rows]


def rounds(daemon: Daemon, detector: AlertDetector, clock: Clock, n: int) -> None:
    for _ in range(n):
        assert cycle(daemon, clock, minutes=2) == {}
        detector.run()


def broken_comment(clock: Clock, n: int, **fields: object) -> dict[str, object]:
    obj = template("comment", clock())
    return {
        **obj,
        "id": f"{obj['id']}{n}",
        "message": f"Tôi là {NAME}, mã {TOKEN}",
        "from": {"id": "9100", "name": NAME},
        **fields,
    }


def test_set_aside_objects_alert_once_per_page_and_kind_and_never_show_the_object(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    named = a_world(world, clock)
    settings = with_admin(settings_for(sim.base_url, "unused"))
    daemon = make_daemon(settings, sessions, clock=clock)
    detector = AlertDetector(settings, sessions, clock)
    rounds(daemon, detector, clock, 1)
    assert alerts(sessions) == []

    # A repairable object (a NUL in its text) is served at every read: one alert.
    repairable = broken_comment(clock, 1, message=f"Tôi là {NAME}\x00, mã {TOKEN}")
    sim.malformed.inject(named["post"], "comments", repairable, index=1)
    world.add_comment(named["post"], ("9005", "Hoa"), "đèn đường hỏng")
    rounds(daemon, detector, clock, 4)
    first = alerts(sessions)
    assert len(first) == 1
    # A second kind on the same page (a time that is the name and the token): a second alert.
    unfixable = broken_comment(clock, 2, created_time=f"{NAME} {TOKEN}")
    sim.malformed.inject(named["post"], "comments", unfixable, index=1)
    world.add_comment(named["post"], ("9005", "Hoa"), "ngập nước")
    rounds(daemon, detector, clock, 4)
    both = alerts(sessions)
    assert len(both) == 2 and both[0] == first[0]

    with sessions.begin() as s:
        reasons = list(s.scalars(select(RejectedPayload.reason).order_by(RejectedPayload.id)))
        health = by_page(s, clock() - WINDOW)
    # The stored reason quotes the object: what follows must not pass it on.
    assert [reason_kind(r) for r in reasons] == ["nul", "time_invalid"]
    assert NAME in reasons[1] and "EAAB" in reasons[1]
    repaired_alert, rejected_alert = both
    assert "1 mục đã lưu sau khi sửa" in repaired_alert[1]
    assert REASON_NAMES["nul"] in repaired_alert[1]
    assert "1 đối tượng bị để riêng" in rejected_alert[1]
    assert "Xã Cẩm Giàng" in rejected_alert[1]
    assert "pakn pages" in rejected_alert[2] and "Không mất tin nào khác" in rejected_alert[2]
    assert f"rejected_payloads #{health[CAM].latest_id}" in rejected_alert[2]

    assert (health[CAM].not_stored, health[CAM].repaired) == (1, 1)
    assert health[CAM].latest_reason == "time_invalid"
    line = set_aside_line(health[CAM])
    assert "1 để riêng, 1 đã sửa rồi lưu" in line and REASON_NAMES["time_invalid"] in line

    shown = [text for alert in both for text in alert] + [line] + caplog.messages
    for text in shown:
        assert NAME not in text and "EAAB" not in text, text
        assert "Tố" not in text and "secretTOKEN" not in text, text


def test_the_same_kind_alerts_again_only_for_new_objects_after_the_period(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    named = a_world(world, clock)
    settings = with_admin(settings_for(sim.base_url, "unused"))
    daemon = make_daemon(settings, sessions, clock=clock)
    detector = AlertDetector(settings, sessions, clock)
    sim.malformed.inject(named["post"], "comments", broken_comment(clock, 1, id=None), index=1)
    world.add_comment(named["post"], ("9005", "Hoa"), "bình luận mới")
    rounds(daemon, detector, clock, 2)
    assert len(alerts(sessions)) == 1
    # Another object of the same kind the same day: counted on the page, not alerted.
    sim.malformed.inject(named["post"], "comments", broken_comment(clock, 2, id=[]), index=1)
    world.add_comment(named["post"], ("9005", "Hoa"), "bình luận mới")
    rounds(daemon, detector, clock, 2)
    assert len(alerts(sessions)) == 1
    with sessions.begin() as s:
        assert by_page(s, clock() - WINDOW)[CAM].not_stored == 2
    # A day on, the same objects still served are old news; a new one is news again.
    clock.advance(seconds=SET_ASIDE_PERIOD.total_seconds())
    rounds(daemon, detector, clock, 2)
    assert len(alerts(sessions)) == 1
    sim.malformed.inject(named["post"], "comments", broken_comment(clock, 3, id={}), index=1)
    world.add_comment(named["post"], ("9005", "Hoa"), "bình luận mới")
    rounds(daemon, detector, clock, 2)
    assert len(alerts(sessions)) == 2


def test_every_kind_of_reason_has_a_vietnamese_name_and_unknown_reasons_are_other() -> None:
    assert reason_kind("thời gian ở tương lai (9999-12-31), lấy thời điểm đọc") == "time_clamped"
    assert reason_kind("id của người gửi dài quá 40 ký tự (10000), người gửi coi như chưa rõ") == (
        "sender"
    )
    assert reason_kind("id của bình luận dài quá 80 ký tự (10000)") == "bad_id"
    assert reason_kind("tên người gửi có ký tự NUL, đã bỏ; nội dung dài 9 ký tự") == "nul"
    assert reason_kind("đối tượng lồng quá sâu") == "too_deep"
    assert reason_kind(f"{NAME} {TOKEN}") == "other"
    assert set(REASON_NAMES) >= {"other", "time_clamped", "bad_id"}


def test_the_period_matches_the_health_window() -> None:
    assert SET_ASIDE_PERIOD == WINDOW == timedelta(hours=24)


def _deep(levels: int) -> dict[str, object]:
    nested: dict[str, object] = {}
    for _ in range(levels):
        nested = {"x": nested}
    return nested


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"created_time": "9999-12-31T00:00:00+0000"}, "time_clamped"),
        ({"created_time": "1990-01-01T00:00:00+0000"}, "time_clamped"),
        ({"created_time": "hôm qua"}, "time_invalid"),
        ({"created_time": "2026-12-01T10:00:00"}, "time_invalid"),
        ({"created_time": None}, "time_invalid"),
        ({"extra": _deep(40)}, "too_deep"),
        ({"message": "Đèn\x00 đường"}, "nul"),
        ({"from": {"id": "9001", "name": "Hoa\x00"}}, "nul"),
        ({"message": "Đèn \ud800 đường"}, "unicode"),
        ({"message": "a" * 70_000}, "too_long"),
        ({"from": "Hoa"}, "sender"),
        ({"from": {"id": "9" * 60, "name": "Hoa"}}, "sender"),
        ({"id": "c 1"}, "bad_id"),
        ({"id": "9" * 200}, "bad_id"),
        ({"id": None, "permalink_url": None}, "bad_id"),
        ({"message": 5}, "text_type"),
    ],
)
def test_each_kind_of_reason_is_named_from_what_normalising_really_writes(
    change: dict[str, object], kind: str
) -> None:
    """The kinds are told apart by words of monitor/normalize.py's reasons: reworded there, a
    reason would turn "other" here, and the admins' alerts and health would lose its name."""
    comment: dict[str, object] = {
        "id": "111_222",
        "from": {"id": "9001", "name": "Hoa"},
        "message": "Đèn đường thôn 3 tắt",
        "created_time": "2026-12-01T10:00:00+0000",
    }
    comment.update(change)
    with repairing(datetime(2026, 12, 6, tzinfo=UTC)) as notes:
        try:
            comment_record(comment, page_id="111", unit_id="a", post_id="111_1")
        except PayloadError as exc:
            notes.append(str(exc))
    assert notes, change
    assert reason_kind("; ".join(notes)) == kind, notes

"""Tracking codes: unguessable, issued once, and given to the citizen in one answer per item."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.replies import create_reply, mark_failed
from storage.tables import TrackingCode
from storage.tracking import (
    ALPHABET,
    LENGTH,
    claim_line,
    code_of,
    find,
    issue,
    normalise,
    shown,
    tracking_line,
    without_line,
)
from tests.storage.queue_world import NOW, People, add_item

URL = "https://pakn.xa-a.gov.vn"


def test_a_code_is_eight_symbols_without_look_alikes_and_reads_back_however_typed(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    codes = {issue(session, add_item(session, f"Đường thôn {n} tối"), NOW).code for n in range(60)}
    assert len(codes) == 60
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert not set("01IO") & set(ALPHABET)
    code = next(iter(codes))
    for typed in (code, code.lower(), shown(code), f" {code[:4]} {code[4:]} "):
        assert normalise(typed) == code
    assert normalise("0O1I0O1I") is None and normalise("ABC") is None
    assert tracking_line("AB7K2QXD", URL + "/") == (
        f"Mã theo dõi: AB7K-2QXD — tra cứu tại {URL}/tra-cuu/AB7K2QXD"
    )
    answer = f"Đã xử lý.\n\n{tracking_line('AB7K2QXD', URL)}"
    assert without_line(answer) == "Đã xử lý."


def test_an_item_keeps_its_code_and_the_code_finds_the_item(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    item = add_item(session, "Đèn đường thôn 2 hỏng")
    assert code_of(session, item.id) is None  # issued only when needed
    first = issue(session, item, NOW).code
    assert issue(session, item, NOW + timedelta(days=1)).code == first
    assert find(session, first) is item
    assert find(session, "ZZZZZZZZ") is None


def test_the_first_answer_carries_the_code_and_the_next_ones_do_not(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Đèn đường thôn 2 hỏng")
    first = create_reply(
        session,
        item,
        "public_comment",
        "Xã đã tiếp nhận.",
        people.officer_a,
        NOW,
        tracking_url=URL,
    )
    code = code_of(session, item.id)
    assert code is not None
    assert first.text == f"Xã đã tiếp nhận.\n\n{tracking_line(code, URL)}"
    second = create_reply(
        session,
        item,
        "private_reply",
        "Chiều nay điện lực đến sửa.",
        people.officer_a,
        NOW,
        tracking_url=URL,
    )
    assert second.text == "Chiều nay điện lực đến sửa."
    found = session.get(TrackingCode, item.id)
    assert found is not None and found.given_reply_id == first.id


def test_a_public_comment_on_a_denunciation_never_carries_the_code_a_private_reply_does(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Cán bộ địa chính đòi tiền mới làm sổ")
    assert item.category == "to_cao"
    public = create_reply(
        session,
        item,
        "public_comment",
        "Xã đã nhận, sẽ liên hệ riêng.",
        people.leader_a,
        NOW,
        tracking_url=URL,
    )
    assert "Mã theo dõi" not in public.text
    assert code_of(session, item.id) is None
    private = create_reply(
        session,
        item,
        "private_reply",
        "Xin anh/chị giữ liên lạc.",
        people.leader_a,
        NOW,
        tracking_url=URL,
    )
    assert "Mã theo dõi" in private.text


def test_a_failed_answer_hands_the_code_to_the_next_one(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Đèn đường thôn 2 hỏng")
    first = create_reply(
        session,
        item,
        "public_comment",
        "Xã đã tiếp nhận.",
        people.officer_a,
        NOW,
        tracking_url=URL,
    )
    mark_failed(session, first, "(#100) bình luận đã bị xoá", NOW)
    again = create_reply(
        session,
        item,
        "private_reply",
        "Xã đã tiếp nhận.",
        people.officer_a,
        NOW,
        tracking_url=URL,
    )
    assert "Mã theo dõi" in again.text


def test_an_answer_that_lost_the_race_for_the_code_does_not_carry_it(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    item = add_item(session, "Đèn đường thôn 2 hỏng")
    row = issue(session, item, NOW)
    # Another officer's request claimed the code meanwhile (its version is ahead of ours).
    session.execute(
        update(TrackingCode)
        .where(TrackingCode.item_id == item.id)
        .values(version=TrackingCode.version + 1)
        .execution_options(synchronize_session=False)
    )
    assert row.version == 0  # what this request read
    assert claim_line(session, item, "public_comment", URL, NOW) is None

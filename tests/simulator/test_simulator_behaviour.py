"""The switches for what Meta leaves open: each default and its other answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator import Behaviour, World
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, GraphClient

PAGE = CAM_GIANG[0]
TIME = "%Y-%m-%dT%H:%M:%S+0000"


def _updated(graph: GraphClient, object_id: str) -> str:
    body = graph.get(object_id, fields="updated_time").json()
    value: str = body["updated_time"]
    return value


def _commented_post(world: World, clock: Clock) -> tuple[str, str]:
    post = world.add_post(PAGE, "Lịch tiếp công dân", created_time=clock.now - timedelta(days=3))
    comment = world.add_comment(post, AN, "thứ mấy ạ", clock.now - timedelta(days=2))
    return post, comment


def test_default_behaviour_is_the_contracts_answer() -> None:
    assert Behaviour() == Behaviour(
        reply_bumps_post=False,
        edit_bumps_post=False,
        photo_comment_bumps_album=False,
        stream_honours_order=False,
        missing_id_fails_request=True,
    )


@pytest.mark.parametrize(
    "behaviour", [Behaviour(), Behaviour(reply_bumps_post=True)], ids=["default", "bumps"]
)
def test_a_reply_moves_the_posts_updated_time_only_when_switched_on(
    behaviour: Behaviour, sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    post, comment = _commented_post(sim_world, sim_clock)
    before = _updated(graph, post)
    sim_world.add_comment(comment, BINH, "thứ Năm bạn ơi")
    after = _updated(graph, post)
    if behaviour.reply_bumps_post:
        assert after == sim_clock.now.strftime(TIME)
    else:
        assert after == before
    sim_world.add_comment(post, BINH, "bình luận mới")
    assert _updated(graph, post) == sim_clock.now.strftime(TIME), "a comment always does"


@pytest.mark.parametrize(
    "behaviour", [Behaviour(), Behaviour(edit_bumps_post=True)], ids=["default", "bumps"]
)
def test_an_edit_moves_the_posts_updated_time_only_when_switched_on(
    behaviour: Behaviour, sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    post, comment = _commented_post(sim_world, sim_clock)
    before = _updated(graph, post)
    sim_world.edit_comment(comment, "thứ mấy ạ? (đã sửa)")
    after = _updated(graph, post)
    assert after == (sim_clock.now.strftime(TIME) if behaviour.edit_bumps_post else before)
    assert graph.get(comment, fields="message").json()["message"] == "thứ mấy ạ? (đã sửa)"


@pytest.mark.parametrize(
    "behaviour", [Behaviour(), Behaviour(photo_comment_bumps_album=True)], ids=["default", "bumps"]
)
def test_a_photo_comment_moves_the_album_post_only_when_switched_on(
    behaviour: Behaviour, sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    created = sim_clock.now - timedelta(days=10)
    album = sim_world.add_album_post(PAGE, "Ảnh ngày hội", photos=2, created_time=created)
    photo = sim_world.photo_ids(album)[0]
    sim_world.add_comment(photo, AN, "ảnh đẹp quá")
    assert _updated(graph, photo) == sim_clock.now.strftime(TIME), "the photo always moves"
    expected = sim_clock.now if behaviour.photo_comment_bumps_album else created
    assert _updated(graph, album) == expected.strftime(TIME)


@pytest.mark.parametrize(
    "behaviour", [Behaviour(), Behaviour(stream_honours_order=True)], ids=["default", "honours"]
)
def test_stream_reverse_order_is_ignored_unless_switched_on(
    behaviour: Behaviour, sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    post, comment = _commented_post(sim_world, sim_clock)
    reply = sim_world.add_comment(comment, BINH, "thứ Năm", sim_clock.now - timedelta(days=1))
    last = sim_world.add_comment(post, BINH, "cảm ơn")
    body = graph.get(
        f"{post}/comments", filter="stream", order="reverse_chronological", summary="true"
    ).json()
    served = [c["id"] for c in body["data"]]
    if behaviour.stream_honours_order:
        assert served == [last, reply, comment]
        assert body["summary"]["order"] == "reverse_chronological"
    else:
        assert served == [comment, reply, last]
        assert body["summary"]["order"] == "chronological"


def test_behaviour_can_be_switched_on_a_running_world(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    post, comment = _commented_post(sim_world, sim_clock)
    before = _updated(graph, post)
    sim_world.add_comment(comment, BINH, "một")
    assert _updated(graph, post) == before
    sim_clock.advance(minutes=5)
    sim_world.behaviour = Behaviour(reply_bumps_post=True)
    sim_world.add_comment(comment, BINH, "hai")
    assert _updated(graph, post) == sim_clock.now.strftime(TIME)

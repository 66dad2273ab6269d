"""Multi-id reads `GET /?ids=...` with comment summaries in the field expansion."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from simulator import Behaviour, GraphSimulator, World
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, DONG_HOA, GraphClient, error_of

PAGE = CAM_GIANG[0]
SUMMARY = "id,updated_time,comments.limit(0).summary(true)"
STREAM_SUMMARY = "id,updated_time,comments.filter(stream).limit(0).summary(true)"


def _two_posts(world: World, clock: Clock) -> tuple[str, str]:
    """A post with 2 top-level comments and 2 replies (one hidden), and a quiet post."""
    start = clock.now - timedelta(days=2)
    busy = world.add_post(PAGE, "Lịch cắt điện", created_time=start)
    first = world.add_comment(busy, AN, "mấy giờ ạ", start + timedelta(hours=1))
    world.add_comment(first, None, "Dạ 8 giờ ạ", start + timedelta(hours=2))
    hidden = world.add_comment(first, BINH, "quảng cáo vay tiền", start + timedelta(hours=3))
    world.add_comment(busy, BINH, "cả thôn 3 à", start + timedelta(hours=4))
    world.hide_comment(hidden)
    quiet = world.add_post(PAGE, "Thông báo họp dân", created_time=start)
    return busy, quiet


def test_ids_read_answers_each_object_keyed_by_its_id(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    busy, quiet = _two_posts(sim_world, sim_clock)
    body = graph.get("", ids=f"{busy},{quiet}", fields=SUMMARY).json()
    assert set(body) == {busy, quiet}
    assert body[busy]["comments"] == {
        "data": [],
        "summary": {"order": "ranked", "total_count": 2, "can_comment": True},
    }
    assert body[quiet]["comments"]["summary"]["total_count"] == 0
    last_comment = sim_clock.now - timedelta(days=2) + timedelta(hours=4)
    assert body[busy]["updated_time"] == last_comment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def test_stream_filter_in_the_expansion_counts_replies_but_not_hidden_ones(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    busy, _ = _two_posts(sim_world, sim_clock)
    body = graph.get("", ids=busy, fields=STREAM_SUMMARY).json()
    summary = body[busy]["comments"]["summary"]
    assert (summary["total_count"], summary["order"]) == (3, "chronological")


def test_each_id_costs_one_call(
    sim_world: World, sim_clock: Clock, simulator: GraphSimulator, graph: GraphClient
) -> None:
    busy, quiet = _two_posts(sim_world, sim_clock)
    sim_world.set_budget(PAGE, 10, 3600)
    response = graph.get("", ids=f"{busy},{quiet},{PAGE}", fields="id")
    assert response.status_code == 200, response.text
    stats = simulator.stats.snapshot()
    assert (stats["http_requests"], stats["graph_calls"]) == (1, 3)
    usage = json.loads(response.headers["X-Business-Use-Case-Usage"])[PAGE][0]
    assert (usage["type"], usage["call_count"]) == ("pages", 30)


@pytest.mark.parametrize(
    "behaviour",
    [Behaviour(), Behaviour(missing_id_fails_request=False)],
    ids=["fails", "omits"],
)
def test_a_deleted_or_foreign_id_fails_the_read_or_is_left_out(
    behaviour: Behaviour, sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    busy, quiet = _two_posts(sim_world, sim_clock)
    foreign = sim_world.add_post(DONG_HOA[0], "Thông báo của phường")
    sim_world.delete_post(quiet)
    response = graph.get("", ids=f"{busy},{quiet},{foreign}", fields="id")
    if behaviour.missing_id_fails_request:
        error = error_of(response)
        assert (response.status_code, error["code"]) == (400, 100)
        assert quiet in error["message"] and foreign in error["message"]
    else:
        assert response.status_code == 200
        assert response.json() == {busy: {"id": busy}}


def test_more_than_50_ids_are_refused(sim_world: World, graph: GraphClient) -> None:
    posts = [sim_world.add_post(PAGE, f"bài {i}") for i in range(51)]
    response = graph.get("", ids=",".join(posts), fields="id")
    assert (response.status_code, error_of(response)["code"]) == (400, 100)
    assert graph.get("", ids=",".join(posts[:50]), fields="id").status_code == 200


def test_a_summary_only_expansion_works_on_the_comments_edge_too(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    busy, _ = _two_posts(sim_world, sim_clock)
    body = graph.get(f"{busy}/comments", filter="stream", limit=0, summary="true").json()
    assert body["data"] == []
    assert body["summary"]["total_count"] == 3

"""The simulated comments edge: filters, order, cursors, since, deletions, hidden comments."""

from __future__ import annotations

from datetime import timedelta

from simulator import GraphSimulator, World
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, GraphClient, error_of, walk

PAGE = CAM_GIANG[0]


def _thread(world: World, clock: Clock) -> dict[str, str]:
    """A post with two top-level comments, a Page reply and a reply to that reply."""
    start = clock.now - timedelta(hours=5)
    post = world.add_post(PAGE, "Lịch tiếp công dân tháng 12", created_time=start)
    first = world.add_comment(post, AN, "Cho hỏi thứ mấy ạ?", start + timedelta(minutes=1))
    page_reply = world.add_comment(first, None, "Dạ thứ Năm ạ", start + timedelta(minutes=2))
    deep = world.add_comment(page_reply, BINH, "cảm ơn ad", start + timedelta(minutes=3))
    second = world.add_comment(post, BINH, "Đường thôn 4 hỏng", start + timedelta(minutes=4))
    return {"post": post, "first": first, "page_reply": page_reply, "deep": deep, "second": second}


def _ids(response_json: dict[str, object]) -> list[str]:
    data = response_json["data"]
    assert isinstance(data, list)
    return [item["id"] for item in data]


def test_toplevel_is_the_default_filter_and_hides_replies(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    default = graph.get(f"{t['post']}/comments").json()
    explicit = graph.get(f"{t['post']}/comments", filter="toplevel").json()
    assert _ids(default) == [t["first"], t["second"]]
    assert _ids(explicit) == _ids(default)


def test_stream_filter_returns_every_reply_flattened_oldest_first(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    body = graph.get(f"{t['post']}/comments", filter="stream", fields="id,parent{id}").json()
    assert _ids(body) == [t["first"], t["page_reply"], t["deep"], t["second"]]
    parents = {item["id"]: item.get("parent", {}).get("id") for item in body["data"]}
    assert parents[t["first"]] is None
    assert parents[t["deep"]] == t["page_reply"]


def test_comment_edge_lists_direct_replies_and_stream_lists_the_whole_subtree(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    assert _ids(graph.get(f"{t['first']}/comments").json()) == [t["page_reply"]]
    stream = graph.get(f"{t['first']}/comments", filter="stream").json()
    assert _ids(stream) == [t["page_reply"], t["deep"]]


def test_reply_to_a_reply_keeps_its_parent_but_links_to_the_top_level_thread(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    deep = graph.get(t["deep"], fields="parent{id},permalink_url").json()
    first_object = t["first"].split("_")[1]
    deep_object = t["deep"].split("_")[1]
    assert deep["parent"]["id"] == t["page_reply"]
    assert f"comment_id={first_object}&reply_comment_id={deep_object}" in deep["permalink_url"]


def test_reverse_order_and_cursors_visit_every_comment_exactly_once(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, "Thông báo cúp điện")
    created = [
        sim_world.add_comment(post, AN, f"bình luận {i}", sim_clock.now + timedelta(seconds=i))
        for i in range(11)
    ]
    first = graph.get(f"{post}/comments", order="reverse_chronological", limit=4)
    seen = [item["id"] for item in walk(graph, first)]
    assert seen == created[::-1]
    page_two = graph.follow(first.json()["paging"]["next"]).json()
    back = graph.get(
        f"{post}/comments",
        order="reverse_chronological",
        limit=4,
        before=page_two["paging"]["cursors"]["before"],
    ).json()
    assert _ids(back) == _ids(first.json())


def test_since_accepts_unix_time_and_iso_dates(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    cutoff = sim_clock.now - timedelta(hours=5) + timedelta(minutes=2)
    by_unix = graph.get(f"{t['post']}/comments", filter="stream", since=int(cutoff.timestamp()))
    by_iso = graph.get(f"{t['post']}/comments", filter="stream", since=cutoff.isoformat())
    assert _ids(by_unix.json()) == [t["page_reply"], t["deep"], t["second"]]
    assert _ids(by_iso.json()) == _ids(by_unix.json())


def test_stream_is_served_oldest_first_whatever_order_asks(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    for order in ("reverse_chronological", "chronological", "ranked"):
        body = graph.get(f"{t['post']}/comments", filter="stream", order=order, summary="true")
        assert _ids(body.json()) == [t["first"], t["page_reply"], t["deep"], t["second"]], order
        assert body.json()["summary"]["order"] == "chronological"


def test_summary_reports_order_and_total_count(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    body = graph.get(f"{t['post']}/comments", filter="stream", summary="true", limit=1).json()
    assert body["summary"] == {"order": "chronological", "total_count": 4, "can_comment": True}
    toplevel = graph.get(f"{t['post']}/comments", summary="true").json()["summary"]
    assert (toplevel["order"], toplevel["total_count"]) == ("ranked", 2)


def test_summary_does_not_count_hidden_or_deleted_comments(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    sim_world.hide_comment(t["second"])
    sim_world.delete_comment(t["deep"])
    body = graph.get(f"{t['post']}/comments", filter="stream", summary="true").json()
    assert body["summary"]["total_count"] == 2
    assert t["second"] in _ids(body)


def test_deleted_comment_node_answers_code_100_subcode_33(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    sim_world.delete_comment(t["second"])
    response = graph.get(t["second"])
    error = error_of(response)
    assert response.status_code == 400
    assert (error["code"], error["error_subcode"], error["type"]) == (
        100,
        33,
        "GraphMethodException",
    )
    assert f"Object with ID '{t['second']}' does not exist" in error["message"]
    assert t["second"] not in _ids(graph.get(f"{t['post']}/comments").json())


def test_deleting_a_comment_removes_its_replies_too(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    sim_world.delete_comment(t["first"])
    assert _ids(graph.get(f"{t['post']}/comments", filter="stream").json()) == [t["second"]]
    assert error_of(graph.get(t["deep"]))["error_subcode"] == 33


def test_cursor_pointing_at_a_deleted_comment_is_refused(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    first_page = graph.get(f"{t['post']}/comments", limit=1).json()
    sim_world.delete_comment(t["first"])
    response = graph.get(
        f"{t['post']}/comments", limit=1, after=first_page["paging"]["cursors"]["after"]
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == 100
    assert "cursor" in error["message"]


def test_hidden_comments_are_still_listed_with_is_hidden(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    sim_world.hide_comment(t["second"])
    body = graph.get(f"{t['post']}/comments", fields="id,is_hidden").json()
    assert {item["id"]: item["is_hidden"] for item in body["data"]} == {
        t["first"]: False,
        t["second"]: True,
    }


def test_limit_over_100_is_refused(sim_world: World, sim_clock: Clock, graph: GraphClient) -> None:
    t = _thread(sim_world, sim_clock)
    assert graph.get(f"{t['post']}/comments", limit=100).status_code == 200
    response = graph.get(f"{t['post']}/comments", limit=101)
    assert response.status_code == 400
    assert error_of(response)["code"] == 100


def test_empty_page_fault_keeps_next_and_resumes_without_losing_comments(
    sim_world: World, sim_clock: Clock, simulator: GraphSimulator, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, "Tiêm chủng mở rộng")
    created = [sim_world.add_comment(post, AN, f"hỏi {i}") for i in range(9)]
    simulator.faults.set(empty_page_rate=0.5)
    pages = []
    response = graph.get(f"{post}/comments", limit=2)
    for _ in range(100):
        body = response.json()
        pages.append(body)
        if "next" not in body.get("paging", {}):
            break
        response = graph.follow(body["paging"]["next"])
    empty = [page for page in pages if not page["data"]]
    assert empty, "with a 50 % rate some page should have come back empty"
    assert all("next" in page["paging"] for page in empty)
    assert [item["id"] for page in pages for item in page["data"]] == created


def test_a_cursor_deeper_than_the_posts_cursor_limit_fails_with_code_100(
    sim_world: World, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, "Lấy ý kiến dự thảo")
    for i in range(6):
        sim_world.add_comment(post, AN, f"ý kiến {i}")
    sim_world.set_cursor_limit(post, 4)
    first = graph.get(f"{post}/comments", limit=2).json()
    second = graph.follow(first["paging"]["next"])
    assert second.status_code == 200
    third = graph.follow(second.json()["paging"]["next"])
    error = error_of(third)
    assert (third.status_code, error["code"]) == (400, 100)
    assert "After Cursor specified exceeds the max limit" in error["message"]
    summary = graph.get(f"{post}/comments", limit=0, summary="true").json()["summary"]
    assert summary["total_count"] == 6, "a summary still counts the whole thread"


def test_a_page_without_advanced_access_gets_citizens_comments_without_from(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    t = _thread(sim_world, sim_clock)
    sim_world.set_from_hidden(PAGE)
    fields = "id,from,message,parent{id,from}"
    body = graph.get(f"{t['post']}/comments", filter="stream", fields=fields).json()
    by_id = {item["id"]: item for item in body["data"]}
    assert "from" not in by_id[t["first"]]
    assert "from" not in by_id[t["deep"]]
    assert by_id[t["page_reply"]]["from"]["id"] == PAGE, "the Page's own comments keep from"
    assert by_id[t["deep"]]["parent"] == {
        "id": t["page_reply"],
        "from": by_id[t["page_reply"]]["from"],
    }
    assert by_id[t["page_reply"]]["parent"] == {"id": t["first"]}
    assert "from" not in graph.get(t["second"]).json()
    assert ("facebook_comment", t["first"]) in sim_world.citizen_items(PAGE)
    sim_world.set_from_hidden(PAGE, False)
    assert graph.get(t["second"], fields="from").json()["from"]["id"] == BINH[0]


def test_from_hidden_can_be_set_when_the_page_is_added(sim_clock: Clock) -> None:
    world = World(clock=sim_clock)
    world.add_page(*CAM_GIANG, from_hidden=True)
    post = world.add_post(PAGE, "Thông báo")
    comment = world.add_comment(post, AN, "hỏi")
    with GraphSimulator(world) as sim:
        body = GraphClient(sim.base_url, CAM_GIANG[2]).get(comment, fields="id,from").json()
    assert body == {"id": comment}

"""The simulated Page feed, node reads, field expansion and versioned paths."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from simulator import GraphSimulator, World
from simulator.errors import GraphError
from simulator.fields import fields_text, parse_fields
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, GraphClient, error_of, walk

PAGE = CAM_GIANG[0]
TIME = "%Y-%m-%dT%H:%M:%S+0000"


def test_feed_lists_page_visitor_and_photo_only_posts(sim_world: World, graph: GraphClient) -> None:
    own = sim_world.add_post(PAGE, "Hướng dẫn kích hoạt VNeID mức 2")
    visitor = sim_world.add_post(PAGE, "Đường thôn 4 ngập sâu", author=AN)
    photo = sim_world.add_post(PAGE, None, attachment=True)
    fields = "id,message,from{id,name},status_type,attachments,is_published,permalink_url"
    posts = {p["id"]: p for p in walk(graph, graph.get(f"{PAGE}/feed", fields=fields, limit=1))}
    assert set(posts) == {own, visitor, photo}
    assert posts[visitor]["from"] == {"id": AN[0], "name": AN[1]}
    assert posts[own]["from"]["id"] == PAGE
    assert "message" not in posts[photo]
    assert posts[photo]["attachments"]["data"][0]["type"] == "photo"
    assert all(p["is_published"] for p in posts.values())


def _week_of_posts(world: World, clock: Clock) -> list[str]:
    """Seven Page posts, one a day, oldest first."""
    start = clock.now - timedelta(days=7)
    return [
        world.add_post(PAGE, f"thông báo ngày {i}", created_time=start + timedelta(days=i))
        for i in range(7)
    ]


def test_feed_lists_posts_newest_created_first(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    posts = _week_of_posts(sim_world, sim_clock)
    body = graph.get(f"{PAGE}/feed", fields="id,created_time").json()
    assert [p["id"] for p in body["data"]] == posts[::-1]
    created = [p["created_time"] for p in body["data"]]
    assert created == sorted(created, reverse=True)


def test_a_comment_on_an_old_post_bumps_only_its_updated_time_and_never_moves_it(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    posts = _week_of_posts(sim_world, sim_clock)
    fields = "id,created_time,updated_time"
    before = graph.get(f"{PAGE}/feed", fields=fields).json()["data"]
    for i in range(30):
        sim_world.add_comment(posts[0], AN, f"cúp điện hoài {i}")
    after = graph.get(f"{PAGE}/feed", fields=fields).json()["data"]
    assert [p["id"] for p in after] == [p["id"] for p in before]
    pairs = zip(before, after, strict=True)
    bumped = [(b["id"], b["updated_time"], a["updated_time"]) for b, a in pairs if b != a]
    assert bumped == [(posts[0], before[-1]["updated_time"], sim_clock.now.strftime(TIME))]
    assert [p["created_time"] for p in after] == [p["created_time"] for p in before]
    updated = [p["updated_time"] for p in after]
    assert updated != sorted(updated, reverse=True), "updated_time is not the feed's order"


def test_feed_paging_visits_every_post_once_while_old_posts_get_comments(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    posts = _week_of_posts(sim_world, sim_clock)
    seen: list[str] = []
    response = graph.get(f"{PAGE}/feed", fields="id", limit=2)
    while True:
        body = response.json()
        seen.extend(p["id"] for p in body["data"])
        # Activity on the oldest post between two pages must not reorder the walk.
        sim_world.add_comment(posts[0], BINH, "còn ai không")
        if "next" not in body["paging"]:
            break
        response = graph.follow(body["paging"]["next"])
    assert seen == posts[::-1]


def test_feed_limit_is_at_most_100(sim_world: World, sim_clock: Clock, graph: GraphClient) -> None:
    _week_of_posts(sim_world, sim_clock)
    assert len(graph.get(f"{PAGE}/feed", limit=100).json()["data"]) == 7
    response = graph.get(f"{PAGE}/feed", limit=101)
    assert (response.status_code, error_of(response)["code"]) == (400, 100)
    assert "100" in error_of(response)["message"]


def test_unpublished_posts_are_in_the_feed_with_is_published_false_only(
    sim_world: World, graph: GraphClient
) -> None:
    shown = sim_world.add_post(PAGE, "Lịch tiếp dân")
    draft = sim_world.add_post(PAGE, "Bản nháp kế hoạch", published=False)
    feed = graph.get(f"{PAGE}/feed", fields="id,is_published").json()["data"]
    assert {p["id"]: p["is_published"] for p in feed} == {shown: True, draft: False}
    published = graph.get(f"{PAGE}/published_posts", fields="id").json()["data"]
    assert [p["id"] for p in published] == [shown]


def test_field_expansion_nests_comments_with_edge_modifiers(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, "Tiêm chủng")
    first = sim_world.add_comment(post, AN, "mấy giờ ạ", sim_clock.now)
    reply = sim_world.add_comment(first, BINH, "7h bạn ơi", sim_clock.now + timedelta(minutes=1))
    silent = sim_world.add_post(PAGE, "Bài không có bình luận")
    fields = (
        "id,updated_time,comments.filter(stream).order(reverse_chronological).limit(50)"
        ".summary(true){id,message,from{id,name},parent{id}}"
    )
    body = graph.get(f"{PAGE}/feed", fields=fields).json()
    by_id = {p["id"]: p for p in body["data"]}
    comments = by_id[post]["comments"]
    # A stream is served oldest first even when reverse order is asked for.
    assert [c["id"] for c in comments["data"]] == [first, reply]
    assert comments["summary"]["order"] == "chronological"
    assert comments["data"][1] == {
        "id": reply,
        "message": "7h bạn ơi",
        "from": {"id": BINH[0], "name": BINH[1]},
        "parent": {"id": first},
    }
    assert comments["summary"]["total_count"] == 2
    assert "cursors" in comments["paging"]
    assert by_id[silent]["comments"]["data"] == []
    without_summary = graph.get(silent, fields="id,comments{id}").json()
    assert "comments" not in without_summary


def test_nested_edge_next_link_is_a_full_url_that_continues_the_edge(
    sim_world: World, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, "Góp ý quy hoạch")
    created = [sim_world.add_comment(post, AN, f"ý kiến {i}") for i in range(5)]
    body = graph.get(post, fields="comments.limit(2){id,message}").json()
    nested = body["comments"]
    url = urlsplit(nested["paging"]["next"])
    assert url.path.endswith(f"/{post}/comments")
    assert parse_qs(url.query)["fields"] == ["id,message"]
    rest = walk(graph, graph.follow(nested["paging"]["next"]))
    assert [c["id"] for c in nested["data"] + rest] == created


def test_only_requested_fields_come_back_plus_id(sim_world: World, graph: GraphClient) -> None:
    post = sim_world.add_post(PAGE, "Lịch trực")
    comment = sim_world.add_comment(post, AN, "cảm ơn")
    assert graph.get(comment, fields="message").json() == {"message": "cảm ơn", "id": comment}
    default = graph.get(comment).json()
    assert set(default) == {"created_time", "from", "message", "id"}


def test_unknown_field_is_refused_with_code_100_naming_the_node_type(
    sim_world: World, graph: GraphClient
) -> None:
    response = graph.get(PAGE, fields="id,first_name")
    error = error_of(response)
    assert response.status_code == 400
    assert error["code"] == 100
    assert "(first_name) on node type (Page)" in error["message"]
    assert response.headers["WWW-Authenticate"].startswith('OAuth "Facebook Platform"')


def test_fields_parser_reads_modifiers_aliases_and_nesting() -> None:
    text = "id,comments.filter(stream).limit(5){id,from{name}},feed.as(posts){id}"
    specs = parse_fields(text)
    assert [s.name for s in specs] == ["id", "comments", "feed"]
    assert specs[1].modifiers == {"filter": "stream", "limit": "5"}
    assert specs[1].children is not None
    assert specs[1].children[1].children is not None
    assert specs[2].key == "posts"
    assert fields_text(specs) == text


@pytest.mark.parametrize("broken", ["id,comments{id", "id,}", "comments.limit(5"])
def test_fields_parser_reports_syntax_errors(broken: str) -> None:
    with pytest.raises(GraphError, match="Syntax error"):
        parse_fields(broken)


def test_versioned_and_unversioned_paths_echo_the_version(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    unversioned = GraphClient(simulator.base_url, CAM_GIANG[2], version="")
    v26 = GraphClient(simulator.base_url, CAM_GIANG[2], version="v26.0")
    assert unversioned.get(PAGE).headers["facebook-api-version"] == "v25.0"
    assert v26.get(PAGE).headers["facebook-api-version"] == "v26.0"
    response = graph.get(PAGE, fields="id,name")
    assert response.json() == {"id": PAGE, "name": CAM_GIANG[1]}
    assert response.headers["Content-Type"].startswith("application/json")


def test_paging_links_carry_the_token_only_when_it_was_a_parameter(
    sim_world: World, simulator: GraphSimulator, graph: GraphClient
) -> None:
    for i in range(3):
        sim_world.add_post(PAGE, f"bài {i}")
    by_header = graph.get(f"{PAGE}/feed", limit=1).json()["paging"]["next"]
    assert "access_token" not in parse_qs(urlsplit(by_header).query)
    by_param = requests.get(
        f"{simulator.base_url}/v25.0/{PAGE}/feed",
        params={"access_token": CAM_GIANG[2], "limit": "1"},
        timeout=10,
    ).json()["paging"]["next"]
    query = parse_qs(urlsplit(by_param).query)
    assert query["access_token"] == [CAM_GIANG[2]]
    assert by_param.startswith(f"{simulator.base_url}/v25.0/{PAGE}/feed?")
    assert requests.get(by_param, timeout=10).status_code == 200


def test_photo_attachments_are_served_by_the_simulator_itself(
    sim_world: World, simulator: GraphSimulator, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, None, attachment=True)
    comment = sim_world.add_comment(post, AN, "", attachment=True)
    src = graph.get(comment, fields="attachment").json()["attachment"]["media"]["image"]["src"]
    assert src.startswith(simulator.base_url)
    image = requests.get(src, timeout=10)
    assert image.headers["Content-Type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")


def test_deleted_post_leaves_the_feed_and_its_node_answers_100_33(
    sim_world: World, graph: GraphClient
) -> None:
    visitor = sim_world.add_post(PAGE, "Phản ánh rác thải", author=AN)
    comment = sim_world.add_comment(visitor, BINH, "đúng vậy")
    sim_world.delete_post(visitor)
    error = error_of(graph.get(visitor))
    assert (error["code"], error["error_subcode"]) == (100, 33)
    assert graph.get(f"{PAGE}/feed").json()["data"] == []
    assert error_of(graph.get(comment))["error_subcode"] == 33
    assert sim_world.citizen_items(PAGE) == set()

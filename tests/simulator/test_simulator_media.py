"""Reels (`/video_reels`, never in `/feed`) and album posts whose photos have own threads."""

from __future__ import annotations

from datetime import timedelta

from simulator import World
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, DONG_HOA, GraphClient, error_of, walk

PAGE = CAM_GIANG[0]
TIME = "%Y-%m-%dT%H:%M:%S+0000"
SUBATTACHMENTS = "id,attachments{type,subattachments{target{id}}}"


def _ids(items: list[dict[str, str]]) -> list[str]:
    return [item["id"] for item in items]


# reels ------------------------------------------------------------------------------------
def test_reels_are_listed_by_video_reels_newest_first_and_never_by_the_feed(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    start = sim_clock.now - timedelta(days=3)
    post = sim_world.add_post(PAGE, "Thông báo lịch tiêm", created_time=start)
    old = sim_world.add_reel(PAGE, "Ra quân dọn vệ sinh", created_time=start + timedelta(days=1))
    new = sim_world.add_reel(PAGE, "Hội diễn văn nghệ", created_time=start + timedelta(days=2))
    for edge in ("feed", "published_posts", "posts"):
        assert _ids(graph.get(f"{PAGE}/{edge}").json()["data"]) == [post], edge
    fields = "id,created_time,updated_time,description"
    reels = walk(graph, graph.get(f"{PAGE}/video_reels", fields=fields, limit=1))
    assert _ids(reels) == [new, old]
    assert reels[1] == {
        "id": old,
        "created_time": (start + timedelta(days=1)).strftime(TIME),
        "updated_time": (start + timedelta(days=1)).strftime(TIME),
        "description": "Ra quân dọn vệ sinh",
    }


def test_comments_on_a_reel_behave_like_a_posts_and_bump_only_the_reel(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    reel = sim_world.add_reel(PAGE, "Hội diễn", created_time=sim_clock.now - timedelta(days=40))
    first = sim_world.add_reel(PAGE, "Mới hơn", created_time=sim_clock.now - timedelta(days=1))
    comment = sim_world.add_comment(reel, AN, "hay quá ạ")
    reply = sim_world.add_comment(comment, BINH, "đồng ý")
    stream = graph.get(f"{reel}/comments", filter="stream", fields="id,parent{id},permalink_url")
    data = stream.json()["data"]
    assert _ids(data) == [comment, reply]
    assert data[1]["parent"] == {"id": comment}
    assert data[0]["permalink_url"].endswith(f"/reel/{reel}/?comment_id={comment.split('_')[1]}")
    reels = graph.get(f"{PAGE}/video_reels", fields="id,updated_time").json()["data"]
    assert _ids(reels) == [first, reel], "a comment does not move a reel either"
    assert reels[1]["updated_time"] == sim_clock.now.strftime(TIME)
    summary = graph.get("", ids=reel, fields="comments.filter(stream).limit(0).summary(true)")
    assert summary.json()[reel]["comments"]["summary"]["total_count"] == 2
    assert {("facebook_comment", comment), ("facebook_comment", reply)} <= sim_world.citizen_items()


def test_another_pages_reel_is_not_readable(sim_world: World, graph: GraphClient) -> None:
    reel = sim_world.add_reel(DONG_HOA[0], "Phường Đông Hòa ra quân")
    assert error_of(graph.get(f"{reel}/comments"))["code"] == 200
    assert error_of(graph.get(f"{DONG_HOA[0]}/video_reels"))["code"] == 200


# album posts ------------------------------------------------------------------------------
def test_album_post_carries_its_photos_as_subattachments(
    sim_world: World, graph: GraphClient
) -> None:
    post = sim_world.add_album_post(PAGE, "Hình ảnh hội nghị tiếp xúc cử tri", photos=4)
    photos = sim_world.photo_ids(post)
    assert len(photos) == 4
    body = graph.get(post, fields=SUBATTACHMENTS).json()
    album = body["attachments"]["data"][0]
    assert album["type"] == "album"
    assert [s["target"]["id"] for s in album["subattachments"]["data"]] == photos
    feed = graph.get(f"{PAGE}/feed", fields=SUBATTACHMENTS).json()["data"]
    assert _ids(feed) == [post], "photos are not feed posts"
    photo = graph.get(photos[0], fields="id,created_time,updated_time,link").json()
    assert photo["link"].endswith(f"photo.php?fbid={photos[0]}")


def test_photo_comments_stay_on_the_photo_and_off_the_album_posts_thread(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    created = sim_clock.now - timedelta(days=20)
    post = sim_world.add_album_post(PAGE, "Ảnh lũ lụt thôn 3", photos=2, created_time=created)
    photo = sim_world.photo_ids(post)[1]
    on_post = sim_world.add_comment(post, AN, "cả xóm ngập")
    sim_clock.advance(hours=1)
    on_photo = sim_world.add_comment(photo, BINH, "nhà em ở góc ảnh này")
    reply = sim_world.add_comment(on_photo, AN, "bác ơi nhà em cũng vậy")
    assert _ids(graph.get(f"{post}/comments", filter="stream").json()["data"]) == [on_post]
    assert _ids(graph.get(f"{photo}/comments", filter="stream").json()["data"]) == [
        on_photo,
        reply,
    ]
    link = graph.get(on_photo, fields="permalink_url").json()["permalink_url"]
    assert f"photo.php?fbid={photo}&comment_id=" in link
    assert graph.get(photo, fields="updated_time").json()["updated_time"] == sim_clock.now.strftime(
        TIME
    )
    truth = sim_world.citizen_items(PAGE)
    assert {("facebook_comment", on_photo), ("facebook_comment", reply)} <= truth
    assert not {key for key in truth if key[0] == "facebook_post"}, "photos are not posts"


def test_deleting_an_album_post_takes_its_photos_and_their_comments(
    sim_world: World, graph: GraphClient
) -> None:
    post = sim_world.add_album_post(PAGE, "Ảnh hội nghị", photos=2)
    photo = sim_world.photo_ids(post)[0]
    comment = sim_world.add_comment(photo, AN, "ảnh đẹp")
    sim_world.delete_post(post)
    assert error_of(graph.get(photo))["error_subcode"] == 33
    assert error_of(graph.get(comment))["error_subcode"] == 33
    assert sim_world.citizen_items(PAGE) == set()


def test_a_visitor_album_is_one_citizen_post(sim_world: World, graph: GraphClient) -> None:
    post = sim_world.add_album_post(PAGE, "Rác đổ trộm ven đê", photos=3, author=AN)
    assert sim_world.citizen_items(PAGE) == {("facebook_post", post)}
    photo = graph.get(sim_world.photo_ids(post)[0], fields="from").json()
    assert photo["from"] == {"id": AN[0], "name": AN[1]}

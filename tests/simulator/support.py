"""Helpers for the Graph API simulator tests: page fixtures and a tiny HTTP client."""

from __future__ import annotations

from typing import Any

import requests

CAM_GIANG = ("100000000000001", "Xã Cẩm Giàng", "tok-camgiang")
DONG_HOA = ("100000000000002", "Phường Đông Hòa", "tok-donghoa")
AN = ("5100000000000001", "Nguyễn Văn An")
BINH = ("5100000000000002", "Trần Thị Bình")


class GraphClient:
    """Just enough HTTP client for the tests: base URL, a Page token, JSON in and out."""

    def __init__(self, base_url: str, token: str | None, version: str = "v25.0") -> None:
        self.base_url = base_url
        self.version = version
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        prefix = f"/{self.version}" if self.version else ""
        return f"{self.base_url}{prefix}/{path.lstrip('/')}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.url(path), params=params, timeout=10)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), timeout=10, **kwargs)

    def follow(self, url: str) -> requests.Response:
        return self.session.get(url, timeout=10)


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert "error" in body, body
    error: dict[str, Any] = body["error"]
    return error


def walk(client: GraphClient, response: requests.Response) -> list[dict[str, Any]]:
    """Every item of a listing, following `paging.next` to the end."""
    items: list[dict[str, Any]] = []
    for _ in range(1000):
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["data"])
        next_url = body.get("paging", {}).get("next")
        if not next_url:
            return items
        response = client.follow(next_url)
    raise AssertionError("paging never ended")


def read_everything(client: GraphClient, page_id: str) -> set[tuple[str, str]]:
    """Every citizen item a Page token can read: visitor posts and comments on feed posts,
    album photos and reels (replies included), and messages in every inbox folder.

    Anything without `from`, or from someone other than the Page, is a citizen's.
    """

    def citizen(item: dict[str, Any]) -> bool:
        return item.get("from", {}).get("id") != page_id

    found: set[tuple[str, str]] = set()
    fields = "id,from,attachments{subattachments{target{id}}}"
    posts = walk(client, client.get(f"{page_id}/feed", fields=fields, limit=100))
    reels = walk(client, client.get(f"{page_id}/video_reels", fields="id", limit=100))
    threads = [post["id"] for post in posts + reels]
    for post in posts:
        found |= {("facebook_post", post["id"])} if citizen(post) else set()
        for attachment in post.get("attachments", {}).get("data", []):
            subattachments = attachment.get("subattachments", {}).get("data", [])
            threads.extend(sub["target"]["id"] for sub in subattachments)
    for thread in threads:
        listing = client.get(f"{thread}/comments", filter="stream", fields="id,from", limit=100)
        found |= {("facebook_comment", c["id"]) for c in walk(client, listing) if citizen(c)}
    for folder in ("inbox", "other", "page_done", "spam"):
        listing = client.get(f"{page_id}/conversations", folder=folder, fields="id", limit=100)
        for conversation in walk(client, listing):
            messages = client.get(f"{conversation['id']}/messages", fields="id,from", limit=100)
            found |= {("facebook_message", m["id"]) for m in walk(client, messages) if citizen(m)}
    return found

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

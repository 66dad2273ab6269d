"""The Graph client against recorded-shape payloads (responses fakes the one HTTP seam)."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    ProtocolError,
)

from config.schema import Secret
from config.settings import GraphSettings
from monitor.errors import GraphError, redact
from monitor.graph import BatchOp, GraphClient, appsecret_proof

BASE = "https://graph.example.test"
TOKEN = "EAAGtoken123456"


def client(**kw: object) -> tuple[GraphClient, list[float]]:
    slept: list[float] = []
    options: dict[str, object] = {"max_retries": 3, **kw}
    settings = GraphSettings(base_url=BASE, **options)  # type: ignore[arg-type]
    return GraphClient(settings, sleep=slept.append), slept


def error_body(code: int, subcode: int | None = None, transient: bool = False) -> dict[str, object]:
    err: dict[str, object] = {
        "message": f"(#{code}) boom",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbC",
    }
    if subcode is not None:
        err["error_subcode"] = subcode
    if transient:
        err["is_transient"] = True
    return {"error": err}


@responses.activate
def test_the_token_travels_in_the_authorization_header_never_in_the_url() -> None:
    responses.get(f"{BASE}/v25.0/123/feed", json={"data": []})
    c, _ = client()
    c.get("123/feed", TOKEN, {"limit": 25})
    call = responses.calls[0].request
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in (call.url or "")


@responses.activate
def test_appsecret_proof_is_the_hmac_of_the_token_with_the_app_secret() -> None:
    responses.get(f"{BASE}/v25.0/123/feed", json={"data": []})
    c, _ = client(app_secret=Secret("shh"))
    c.get("123/feed", TOKEN)
    query = parse_qs(urlsplit(responses.calls[0].request.url or "").query)
    assert query["appsecret_proof"] == [appsecret_proof(TOKEN, "shh")]
    assert len(query["appsecret_proof"][0]) == 64


@pytest.mark.parametrize(
    ("code", "subcode", "kind"),
    [
        (1, 99, "transient"),
        (2, None, "transient"),
        (4, None, "throttled"),
        (32, None, "throttled"),
        (80001, None, "throttled"),
        (368, None, "throttled"),
        (190, 460, "token"),
        (190, 492, "token"),
        (102, None, "token"),
        (100, 33, "permanent"),
        (10, 2018278, "permanent"),
        (200, None, "permanent"),
    ],
)
@responses.activate
def test_errors_are_sorted_by_code_and_subcode(code: int, subcode: int | None, kind: str) -> None:
    responses.get(f"{BASE}/v25.0/x", status=400, json=error_body(code, subcode))
    c, _ = client(max_retries=0)
    with pytest.raises(GraphError) as info:
        c.get("x", TOKEN)
    assert info.value.kind == kind
    assert info.value.code == code
    assert info.value.fbtrace_id == "AbC"


@responses.activate
def test_transient_errors_and_html_502_are_retried_with_growing_jittered_waits() -> None:
    url = f"{BASE}/v25.0/x"
    responses.get(url, status=500, json=error_body(2, transient=True))
    responses.get(
        url, status=502, body="<html><body>Bad Gateway</body></html>", content_type="text/html"
    )
    responses.get(url, status=503, body="")
    responses.get(url, json={"id": "x"})
    c, slept = client(backoff_base_seconds=1.0)
    assert c.get("x", TOKEN).data == {"id": "x"}
    assert len(slept) == 3
    assert 0.5 <= slept[0] <= 1.0
    assert 1.0 <= slept[1] <= 2.0
    assert 2.0 <= slept[2] <= 4.0


@responses.activate
def test_permanent_and_token_errors_are_not_retried() -> None:
    responses.get(f"{BASE}/v25.0/x", status=400, json=error_body(190, 460))
    c, slept = client()
    with pytest.raises(GraphError):
        c.get("x", TOKEN)
    assert slept == []
    assert len(responses.calls) == 1


@responses.activate
def test_retries_stop_after_the_configured_number() -> None:
    responses.get(f"{BASE}/v25.0/x", status=500, json=error_body(2, transient=True))
    c, _ = client(max_retries=2)
    with pytest.raises(GraphError) as info:
        c.get("x", TOKEN)
    assert info.value.kind == "transient"
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    "failure",
    [
        requests.ConnectionError("reset"),
        requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError())),
        requests.ReadTimeout("read timed out"),
    ],
    ids=["reset", "aborted", "read-timeout"],
)
@responses.activate
def test_a_write_whose_connection_broke_after_sending_is_never_retried(
    failure: Exception,
) -> None:
    responses.post(f"{BASE}/v25.0/c1/comments", body=failure)
    responses.post(f"{BASE}/v25.0/c1/comments", json={"id": "c1_2"})
    c, slept = client()
    with pytest.raises(GraphError) as info:
        c.post("c1/comments", TOKEN, data={"message": "Xã đã tiếp nhận"})
    assert info.value.maybe_sent
    assert "maybe sent" in str(info.value)
    assert len(responses.calls) == 1
    assert slept == []


def _answer(kind: str) -> dict[str, Any]:
    """Answers that may come after Meta applied the write (a gateway timed out waiting)."""
    html = "<html><body>Bad Gateway</body></html>"
    return {
        "500-is-transient": {"status": 500, "json": error_body(2, transient=True)},
        "500-code-1": {"status": 500, "json": error_body(1, subcode=99)},
        "400-is-transient": {"status": 400, "json": error_body(100, transient=True)},
        "502-html": {"status": 502, "body": html, "content_type": "text/html"},
        "504-empty": {"status": 504, "body": ""},
        "200-not-json": {"status": 200, "body": "<html>ok</html>", "content_type": "text/html"},
    }[kind]


@pytest.mark.parametrize(
    "kind",
    ["500-is-transient", "500-code-1", "400-is-transient", "502-html", "504-empty", "200-not-json"],
)
@responses.activate
def test_a_write_answered_with_an_error_that_may_follow_success_is_not_retried(kind: str) -> None:
    # Once a 504 then a retried 200 gave two identical public comments: the 504 came after
    # Meta had posted the first one.
    url = f"{BASE}/v25.0/c1/comments"
    responses.post(url, **_answer(kind))
    responses.post(url, json={"id": "c1_2"})
    c, slept = client()
    with pytest.raises(GraphError) as info:
        c.post("c1/comments", TOKEN, data={"message": "Xã đã tiếp nhận"})
    assert info.value.maybe_sent
    assert "maybe sent" in str(info.value)
    assert "Không rõ Facebook đã nhận hay chưa" in info.value.reason_vi()
    assert len(responses.calls) == 1
    assert slept == []


@pytest.mark.parametrize(("code", "subcode"), [(190, 460), (100, 33), (368, None), (4, None)])
@responses.activate
def test_a_write_meta_refused_is_not_retried_and_certainly_not_sent(
    code: int, subcode: int | None
) -> None:
    responses.post(f"{BASE}/v25.0/c1/comments", status=400, json=error_body(code, subcode))
    c, slept = client()
    with pytest.raises(GraphError) as info:
        c.post("c1/comments", TOKEN, data={"message": "Xã đã tiếp nhận"})
    assert not info.value.maybe_sent
    assert len(responses.calls) == 1
    assert slept == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_write_to_a_refused_connection_is_retried_because_nothing_was_sent() -> None:
    settings = GraphSettings(base_url=f"http://127.0.0.1:{_closed_port()}", max_retries=2)
    slept: list[float] = []
    c = GraphClient(settings, sleep=slept.append)
    with pytest.raises(GraphError) as info:
        c.post("c1/comments", TOKEN, data={"message": "Xã đã tiếp nhận"})
    assert not info.value.maybe_sent
    assert info.value.kind == "transient"
    assert c.http_requests == 3
    assert len(slept) == 2


def _never_connected(which: str) -> Exception:
    url = f"{BASE}/v25.0/c1/comments"
    if which == "dns":
        gai = socket.gaierror(-2, "Name or service not known")
        reason: Exception = NameResolutionError("graph.example.test", None, gai)  # type: ignore[arg-type]
        return requests.ConnectionError(MaxRetryError(None, url, reason))  # type: ignore[arg-type]
    reason = ConnectTimeoutError(None, "connect timed out")
    return requests.ConnectTimeout(MaxRetryError(None, url, reason))  # type: ignore[arg-type]


@pytest.mark.parametrize("which", ["dns", "connect-timeout"])
@responses.activate
def test_a_write_that_never_connected_is_retried_and_sent_once(which: str) -> None:
    url = f"{BASE}/v25.0/c1/comments"
    responses.post(url, body=_never_connected(which))
    responses.post(url, json={"id": "c1_2"})
    c, slept = client()
    assert c.post("c1/comments", TOKEN, data={"message": "Xã đã tiếp nhận"}).data == {"id": "c1_2"}
    assert len(responses.calls) == 2
    assert len(slept) == 1


@responses.activate
def test_reads_still_retry_a_broken_connection_and_a_504() -> None:
    url = f"{BASE}/v25.0/x"
    responses.get(url, body=requests.ConnectionError("reset"))
    responses.get(url, status=504, body="")
    responses.get(url, json={"id": "x"})
    c, slept = client()
    assert c.get("x", TOKEN).data == {"id": "x"}
    assert len(slept) == 2


@responses.activate
def test_paging_next_urls_lose_their_embedded_token_and_stay_on_the_graph_host() -> None:
    next_url = f"{BASE}/v25.0/1_2/comments?access_token=LEAKED&limit=10&after=QVFI"
    responses.get(f"{BASE}/v25.0/1_2/comments", json={"data": []})
    c, _ = client()
    c.follow(next_url, TOKEN)
    sent = responses.calls[0].request
    assert "LEAKED" not in (sent.url or "")
    assert parse_qs(urlsplit(sent.url or "").query)["after"] == ["QVFI"]
    with pytest.raises(GraphError, match="another host"):
        c.follow("https://evil.example/v25.0/x?access_token=LEAKED", TOKEN)


@responses.activate
def test_iterate_does_not_stop_on_an_empty_page_that_still_has_next() -> None:
    first = {"data": [], "paging": {"next": f"{BASE}/v25.0/p/comments?after=A"}}
    responses.get(f"{BASE}/v25.0/p/comments", json={"data": [{"id": "p_1"}]})
    c, _ = client()
    from monitor.graph import GraphResponse

    pages = list(c.iterate(GraphResponse(first), TOKEN, 10))
    assert [p.data["data"] for p in pages] == [[], [{"id": "p_1"}]]


@responses.activate
def test_batch_sends_each_operation_with_its_own_token_and_returns_errors_per_operation() -> None:
    ok = {"code": 200, "headers": [], "body": json.dumps({"data": [{"id": "1_1"}]})}
    failed = {"code": 400, "headers": [], "body": json.dumps(error_body(190, 460))}
    responses.post(f"{BASE}/v25.0/", json=[ok, failed])
    c, _ = client()
    results = c.batch(
        [BatchOp("1/feed?limit=25", "tok-one"), BatchOp("2/feed?limit=25", "tok-two")], "tok-one"
    )
    assert not isinstance(results[0], GraphError)
    assert results[0].data["data"] == [{"id": "1_1"}]
    assert isinstance(results[1], GraphError)
    assert results[1].kind == "token"
    form = parse_qs(responses.calls[0].request.body or "")
    ops = json.loads(form["batch"][0])
    assert "access_token=tok-one" in ops[0]["relative_url"]
    assert "access_token=tok-two" in ops[1]["relative_url"]
    assert c.calls == 2
    assert c.http_requests == 1


@responses.activate
def test_null_batch_operations_are_retried_alone() -> None:
    ok = {"code": 200, "headers": [], "body": json.dumps({"data": []})}
    responses.post(f"{BASE}/v25.0/", json=[ok, None])
    responses.post(f"{BASE}/v25.0/", json=[ok])
    c, _ = client()
    results = c.batch([BatchOp("1/feed", "a"), BatchOp("2/feed", "b")], "a")
    assert all(not isinstance(r, GraphError) for r in results)
    second = json.loads(parse_qs(responses.calls[1].request.body or "")["batch"][0])
    assert len(second) == 1
    assert second[0]["relative_url"].startswith("v25.0/2/feed")


@responses.activate
def test_usage_headers_reach_the_governor_and_a_served_version_mismatch_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    usage = {
        "123": [
            {
                "type": "pages",
                "call_count": 61,
                "total_cputime": 5,
                "total_time": 7,
                "estimated_time_to_regain_access": 0,
            }
        ]
    }
    headers = {"X-Business-Use-Case-Usage": json.dumps(usage), "facebook-api-version": "v26.0"}
    responses.get(f"{BASE}/v25.0/123/feed", json={"data": []}, headers=headers)
    seen: list[dict[str, str]] = []
    c, _ = client()
    c.on_usage = lambda h: seen.append(dict(h))
    with caplog.at_level(logging.WARNING, logger="pakn.monitor"):
        c.get("123/feed", TOKEN)
    assert json.loads(seen[0]["X-Business-Use-Case-Usage"])["123"][0]["call_count"] == 61
    assert "v26.0" in caplog.text


def test_redaction_removes_tokens_from_urls_headers_and_messages() -> None:
    text = (
        "GET https://g/v25.0/x?access_token=EAAB123&appsecret_proof=abc&after=Q "
        "Authorization: Bearer EAAB123"
    )
    cleaned = redact(text)
    assert "EAAB123" not in cleaned
    assert "abc" not in cleaned.split("appsecret_proof=")[1][:3]
    assert "after=Q" in cleaned


@responses.activate
def test_error_messages_never_carry_the_token() -> None:
    body = {
        "error": {
            "message": f"Invalid OAuth access token {TOKEN}? see ?access_token={TOKEN}",
            "type": "OAuthException",
            "code": 190,
            "fbtrace_id": "x",
        }
    }
    responses.get(f"{BASE}/v25.0/x", status=400, json=body)
    c, _ = client()
    with pytest.raises(GraphError) as info:
        c.get("x", TOKEN)
    assert f"access_token={TOKEN}" not in str(info.value)

"""The receiver of Meta's webhooks: verify, store verbatim, answer. Nothing else.

It runs as its own small process (``pakn webhook``) rather than inside the officers' web UI:
the callback must be reachable from Meta's servers over the internet, while the officers' UI
belongs on the committee's network; the receiver needs the app secret (to check signatures) but
no page token, no login and no CSRF; and a flood of deliveries cannot slow the officers down.

- ``GET`` with ``hub.mode=subscribe`` and the configured verify token answers the challenge.
- ``POST`` bodies must carry ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the exact
  bytes received keyed with the app secret (Meta signs the escaped-unicode form: never
  re-serialise). Missing or wrong: 403 and nothing stored. Too large: 413 and nothing read past
  the limit. Accepted: written to ``webhook_deliveries`` in its own transaction, then 200.
  The daemon turns stored deliveries into reads (``monitor/webhook_consumer.py``); Graph is never
  called from here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy.orm import Session, sessionmaker

from storage.webhooks import record_delivery

log = logging.getLogger("pakn.monitor")

PATH = "/webhooks/facebook"
DEFAULT_MAX_BODY = 512 * 1024
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def signature_of(body: bytes, app_secret: str) -> str:
    """The header value Meta sends for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(signature_of(body, app_secret), header.strip().lower())


class Receiver:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        app_secret: str,
        verify_token: str,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not app_secret or not verify_token:
            raise ValueError("the webhook receiver needs the app secret and a verify token")
        self.sessions = sessions
        self.app_secret, self.verify_token = app_secret, verify_token
        self.max_body_bytes = max_body_bytes
        self.clock = clock or (lambda: datetime.now(UTC))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method == "GET":
            return _answer(start_response, "200 OK", b"ok")
        if path.rstrip("/") != PATH:
            return _answer(start_response, "404 Not Found", b"not found")
        if method == "GET":
            return self._handshake(environ, start_response)
        if method == "POST":
            return self._delivery(environ, start_response)
        return _answer(start_response, "405 Method Not Allowed", b"method not allowed")

    def _handshake(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        mode = query.get("hub.mode", [""])[0]
        token = query.get("hub.verify_token", [""])[0]
        challenge = query.get("hub.challenge", [""])[0]
        if mode == "subscribe" and hmac.compare_digest(token.encode(), self.verify_token.encode()):
            log.info("Meta đã xác minh địa chỉ nhận webhook")
            return _answer(start_response, "200 OK", challenge.encode())
        log.warning("yêu cầu xác minh webhook sai verify_token hoặc hub.mode; đã từ chối")
        return _answer(start_response, "403 Forbidden", b"forbidden")

    def _delivery(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        body = _read_body(environ, self.max_body_bytes)
        if body is None:
            log.warning("webhook quá lớn (trên %s byte); đã từ chối", self.max_body_bytes)
            return _answer(start_response, "413 Payload Too Large", b"too large")
        header = environ.get("HTTP_X_HUB_SIGNATURE_256")
        if not signature_ok(body, header, self.app_secret):
            log.warning("webhook không có chữ ký hoặc chữ ký sai; đã từ chối, không lưu")
            return _answer(start_response, "403 Forbidden", b"forbidden")
        try:
            with self.sessions.begin() as session:
                record_delivery(session, body, self.clock())
        except Exception:
            # Meta retries a delivery that did not get 200: better than acknowledging a loss.
            log.exception("không lưu được webhook; Meta sẽ gửi lại")
            return _answer(start_response, "500 Internal Server Error", b"retry later")
        return _answer(start_response, "200 OK", b"EVENT_RECEIVED")


def _read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The raw body, or None when it is larger than ``limit`` (read no further than that)."""
    try:
        declared = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        declared = -1
    if declared > limit:
        return None
    stream = environ["wsgi.input"]
    body: bytes = stream.read(declared if declared >= 0 else limit + 1)
    return None if len(body) > limit else body


def _answer(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]

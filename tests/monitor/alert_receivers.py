"""Local notification receivers on 127.0.0.1: an SMTP server and a JSON webhook."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


class _Controller(Controller):
    """aiosmtpd's controller on port 0: the port the OS picked is read back before use."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class LocalSMTP:
    """A plain SMTP server (no TLS, no login) that keeps every message it accepts."""

    def __init__(self) -> None:
        self.inbox = _Inbox()
        self._controller = _Controller(self.inbox, hostname="127.0.0.1", port=0)

    def __enter__(self) -> LocalSMTP:
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def url(self, to: str) -> str:
        """Apprise's form for a plain local SMTP server without TLS."""
        return (
            f"mailto://pakn.example.vn?smtp=127.0.0.1&port={self.port}&mode=insecure"
            f"&from=pakn@pakn.example.vn&to={to}"
        )

    @property
    def messages(self) -> list[EmailMessage]:
        return list(self.inbox.messages)


class Webhook:
    """An HTTP server that records every JSON body POSTed to it, per path."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append((self.path, json.loads(self.rfile.read(length) or b"{}")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Webhook:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self._server.server_address[1]}/{path.lstrip('/')}"

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for got, body in self.received if got == "/" + path.lstrip("/")]


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

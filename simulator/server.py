"""The HTTP face of the simulator: a ThreadingHTTPServer speaking the Graph API's dialect."""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from simulator.batch import run_batch
from simulator.errors import GraphError, transient_failure
from simulator.faults import Faults
from simulator.malformed import Malformed, dumps
from simulator.router import DEFAULT_VERSION, GraphRequest, GraphResponse, GraphRouter
from simulator.stats import Stats
from simulator.uploads import Upload, parse
from simulator.world import World

log = logging.getLogger("pakn.monitor")
VERSION = re.compile(r"^v\d+\.\d+$")
JSON_TYPE = "application/json; charset=UTF-8"
BAD_GATEWAY = (
    b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)
# A 1x1 grey JPEG served for every attachment URL, so clients never reach a real CDN.
PIXEL = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP////////////////////////////////////////////////////"
    "//////////////////////////////////wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQ"
    "AQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z"
)


class GraphSimulator:
    """Serve a World over HTTP on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(
        self, world: World, host: str = "127.0.0.1", port: int = 0, faults: Faults | None = None
    ) -> None:
        self.world = world
        self.host = host
        self.port = port
        self.faults = faults or Faults()
        self.stats = Stats()
        self.router = GraphRouter(world, self.faults, self.stats)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def malformed(self) -> Malformed:
        """Broken objects and fields to serve (simulator/malformed.py)."""
        return self.router.malformed

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> GraphSimulator:
        self._server = _Server((self.host, self.port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> GraphSimulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], simulator: GraphSimulator
    ) -> None:
        self.simulator = simulator
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or drop the connection are expected here (slow/drop faults);
        # the default handler would print a traceback for each of them.
        log.debug("simulator: connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle plus delayed ACKs
    # add ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True
    server: _Server
    # Idle keep-alive connections must not pin a thread forever.
    timeout = 30

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        # The default log line holds the query string, and with it access tokens.
        log.debug("simulator: %s %s", self.command, urlsplit(self.path).path)

    def _serve(self, method: str) -> None:
        simulator = self.server.simulator
        url = urlsplit(self.path)
        raw = self._body()
        if url.path.startswith("/_sim/"):
            self._control(method, url.path, raw)
            return
        parts = [p for p in url.path.split("/") if p]
        version = DEFAULT_VERSION
        if parts and VERSION.match(parts[0]):
            version, parts = parts[0], parts[1:]
        path = "/" + "/".join(parts)
        simulator.stats.count_http(path)
        if self._fault(simulator.faults, version):
            return
        request = self._graph_request(method, path, version, url.query, raw)
        try:
            if method == "POST" and path == "/" and "batch" in request.params:
                response = run_batch(simulator.router, request)
            else:
                response = simulator.router.handle(request)
        except Exception:
            # A bug in the simulator must still produce an answer, not a hung client.
            log.exception("simulator: unexpected error on %s %s", method, path)
            error = GraphError("An unknown error occurred", 1, subcode=99, status=500)
            response = GraphResponse(500, error.envelope(), {"facebook-api-version": version})
        self._send_json(response)

    def _fault(self, faults: Faults, version: str) -> bool:
        """Apply the transport-level faults; True when the request has been dealt with."""
        if faults.roll("drop_rate"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if faults.roll("slow_rate"):
            time.sleep(faults.slow_seconds)
        if faults.roll("html_502_rate"):
            self._send(502, BAD_GATEWAY, {"Content-Type": "text/html"})
            return True
        if faults.roll("http_500_rate"):
            error = transient_failure()
            headers = {
                "facebook-api-version": version,
                "WWW-Authenticate": error.www_authenticate(),
            }
            self._send_json(GraphResponse(error.status, error.envelope(), headers))
            return True
        return False

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _graph_request(
        self, method: str, path: str, version: str, query: str, raw: bytes
    ) -> GraphRequest:
        params = dict(parse_qsl(query, keep_blank_values=True))
        json_body: dict[str, Any] | None = None
        uploads: dict[str, Upload] = {}
        content_type = self.headers.get("Content-Type", "")
        if raw and content_type.startswith("multipart/form-data"):
            fields, uploads = parse(content_type, raw)
            params.update(fields)
        elif raw and "json" in content_type:
            try:
                loaded = json.loads(raw)
            except ValueError:
                loaded = None
            json_body = loaded if isinstance(loaded, dict) else None
            if json_body and isinstance(json_body.get("access_token"), str):
                params.setdefault("access_token", json_body["access_token"])
        elif raw:
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        header_token = None
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() in ("bearer", "oauth") and value.strip():
            header_token = value.strip()
        host = self.headers.get("Host") or f"{self.server.simulator.host}:{self.server.server_port}"
        return GraphRequest(
            method, path, version, params, json_body, header_token, f"http://{host}", uploads
        )

    def _control(self, method: str, path: str, raw: bytes) -> None:
        """`/_sim/...`: fault switches and counters for other processes, attachment media."""
        simulator = self.server.simulator
        if path.startswith("/_sim/media/"):
            self._send(200, PIXEL, {"Content-Type": "image/jpeg"})
            return
        try:
            if path == "/_sim/faults" and method == "POST":
                simulator.faults.set(**(json.loads(raw) if raw else {}))
            elif path == "/_sim/faults/clear" and method == "POST":
                simulator.faults.clear()
            elif path == "/_sim/stats/reset" and method == "POST":
                simulator.stats.reset()
            body: Any = {
                "faults": simulator.faults.snapshot(),
                "stats": simulator.stats.snapshot(),
            }
            status = 200
        except (ValueError, TypeError) as error:
            status, body = 400, GraphError(str(error), 100).envelope()
        self._send_json(GraphResponse(status, body, {}))

    def _send_json(self, response: GraphResponse) -> None:
        payload = dumps(response.body).encode()
        self._send(response.status, payload, {"Content-Type": JSON_TYPE, **response.headers})

    def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

"""One Graph API call: authentication, budgets, then the node, edge or write it names."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulator import outbound
from simulator.diagnostics import Diagnostics
from simulator.edges import list_edge
from simulator.errors import (
    GraphError,
    app_throttled,
    conversations_throttled,
    missing_object,
    page_limit_reached,
    page_throttled,
    permission_denied,
    proof_invalid,
    proof_missing,
    token_invalidated,
    token_missing,
    token_unparsable,
)
from simulator.faults import Faults
from simulator.fields import FieldSpec, parse_fields
from simulator.malformed import Malformed
from simulator.multi_read import read_ids, requested_ids
from simulator.payloads import render
from simulator.records import CommentRecord, GraphRecord, MessageRecord
from simulator.stats import Stats
from simulator.uploads import Upload
from simulator.view import View
from simulator.webhooks import subscribed_apps
from simulator.world import World

DEFAULT_VERSION = "v25.0"
_CARRIED = ("access_token", "appsecret_proof")


@dataclass
class GraphRequest:
    method: str
    path: str
    version: str = DEFAULT_VERSION
    params: dict[str, str] = field(default_factory=dict)
    json_body: dict[str, Any] | None = None
    header_token: str | None = None
    base_url: str = ""
    # Files of a multipart body (simulator/uploads.py), by form field.
    uploads: dict[str, Upload] = field(default_factory=dict)


@dataclass
class GraphResponse:
    status: int
    body: Any
    headers: dict[str, str]


def appsecret_proof(app_secret: str, token: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def usage_kind(path: str, params: dict[str, str] | None = None) -> str:
    """Business-use-case type of a call: Messenger endpoints count apart from Pages ones."""
    parts = [p for p in path.split("/") if p]
    if not parts and params and "ids" in params:
        parts = [params["ids"].strip()]
    messenger = any(p in ("conversations", "messages") for p in parts)
    return "messenger" if messenger or (parts and parts[0][:2] in ("t_", "m_")) else "pages"


def _timed_throttle(scope: str, kind: str, until: datetime, now: datetime) -> GraphError:
    """The error a timed throttle answers with; a BUC one states the whole minutes left."""
    if scope == "app":
        return app_throttled()
    if scope == "page":
        return page_limit_reached()
    return page_throttled(kind, max(1, math.ceil((until - now).total_seconds() / 60)))


def record_page(world: World, record: GraphRecord) -> str:
    if isinstance(record, MessageRecord):
        return world.conversations[record.conversation_id].page_id
    return record.page_id


class GraphRouter:
    def __init__(self, world: World, faults: Faults, stats: Stats) -> None:
        self.world = world
        self.faults = faults
        self.stats = stats
        # Broken objects a test puts into the answers (simulator/malformed.py).
        self.malformed = Malformed()
        self.diagnostics = Diagnostics(world)  # debug_token, permissions, subscribed_apps

    def handle(self, request: GraphRequest) -> GraphResponse:
        self.stats.count_call()
        kind = usage_kind(request.path, request.params)
        headers = {"facebook-api-version": request.version}
        page_id: str | None = None
        regain: int | None = None
        with self.world.lock:
            now = self.world.now()
            try:
                if request.path.rstrip("/") == "/debug_token":
                    answer = self.diagnostics.debug_token(
                        request.params, request.header_token, self.authenticate
                    )
                    return GraphResponse(200, answer, headers)
                page_id = self.authenticate(request.params, request.header_token)
                self.stats.count_page(page_id)
                self._admit(page_id, kind, now, request.method)
                body = self._route(request, page_id, kind, now)
                parts = [p for p in request.path.split("/") if p]
                status, body = 200, self.malformed.apply(parts, request.params, body)
            except GraphError as error:
                status, body, regain = error.status, error.envelope(), error.regain_minutes
                headers["WWW-Authenticate"] = error.www_authenticate()
                page_id = page_id if error.usage_header else None
            headers.update(self.usage_headers(page_id, kind, now, regain))
        return GraphResponse(status, body, headers)

    # authentication and budgets -----------------------------------------------------------
    def authenticate(self, params: dict[str, str], header_token: str | None) -> str:
        """The page id a call acts for; raises the Graph error for a bad token or proof."""
        token = params.get("access_token") or header_token
        if not token:
            raise token_missing()
        owner = self.world.token_owner(token)
        if owner is None:
            raise token_unparsable()
        page_id, live = owner
        if not live:
            raise token_invalidated()
        self.diagnostics.check_expiry(token, self.world.now())
        secret = self.world.app_secret
        if secret is not None:
            proof = params.get("appsecret_proof")
            if not proof:
                raise proof_missing()
            if not hmac.compare_digest(proof, appsecret_proof(secret, token)):
                raise proof_invalid()
        return page_id

    def _admit(self, page_id: str, kind: str, now: datetime, method: str) -> None:
        if self.faults.app_throttle:
            raise app_throttled()
        timed = self.faults.throttled_until(page_id, kind, now)
        if timed is not None:
            raise _timed_throttle(timed[0], kind, timed[1], now)
        if self.faults.page_throttled(page_id, kind):
            raise page_throttled(kind, 5)
        meter = self.world.meter
        usage = meter.page_usage(page_id, kind, now)
        if usage.exhausted:
            raise page_throttled(kind, usage.regain_minutes)
        # Reading threads and messages is the Conversations API, limited per second too.
        reads_threads = kind == "messenger" and method.upper() == "GET"
        busy = meter.conversations_busy(page_id, now) if reads_threads else None
        if busy is not None:
            raise conversations_throttled(busy)
        meter.record(page_id, kind, now)
        if reads_threads:
            meter.record_conversations(page_id, now)

    def usage_headers(
        self, page_id: str | None, kind: str, now: datetime, regain: int | None = None
    ) -> dict[str, str]:
        app = self.world.meter.app_usage(now)
        limited = self.faults.app_throttle or self.faults.throttled_until(None, kind, now)
        app_pct = 100 if limited else app.call_count
        headers = {
            "X-App-Usage": json.dumps(
                {"call_count": app_pct, "total_cputime": app.total_cputime, "total_time": app_pct}
            )
        }
        if page_id is None:
            return headers
        usage = self.world.meter.page_usage(page_id, kind, now)
        pct, minutes = usage.call_count, usage.regain_minutes
        if regain is not None:
            pct, minutes = 100, max(regain, minutes)
        entry = {
            "type": kind,
            "call_count": pct,
            "total_cputime": usage.total_cputime,
            "total_time": max(usage.total_time, pct if regain is not None else 0),
            "estimated_time_to_regain_access": minutes,
        }
        headers["X-Business-Use-Case-Usage"] = json.dumps({page_id: [entry]})
        return headers

    # routing ------------------------------------------------------------------------------
    def _resolve(self, object_id: str, page_id: str, method: str) -> GraphRecord:
        if object_id == "me":
            object_id = page_id
        record = self.world.lookup(object_id)
        if record is None:
            raise missing_object(object_id, method.lower())
        if record_page(self.world, record) != page_id:
            raise permission_denied()
        return record

    def _route(self, request: GraphRequest, page_id: str, kind: str, now: datetime) -> Any:
        parts = [p for p in request.path.split("/") if p]
        method = request.method.upper()
        if not parts and method == "GET" and "ids" in request.params:
            return self._read_ids(request, page_id, kind, now)
        if not parts or len(parts) > 2:
            raise missing_object(request.path.strip("/") or "/", method.lower())
        target = self._resolve(parts[0], page_id, method)
        if method == "GET":
            return self._read(request, target, parts[1:], now)
        if parts[1:] == ["subscribed_apps"] and method in ("POST", "DELETE"):
            token = request.params.get("access_token") or request.header_token or ""
            return subscribed_apps(self.diagnostics, target, method, request.params, token)
        if method == "POST" and len(parts) == 2:
            return outbound.create(
                self.world,
                target,
                parts[1],
                request.params,
                request.json_body,
                now,
                request.uploads,
            )
        if method == "POST" and isinstance(target, CommentRecord):
            return outbound.moderate(self.world, target, request.params)
        if method == "DELETE" and isinstance(target, CommentRecord):
            self.world.delete_comment(target.id)
            return {"success": True}
        raise missing_object(parts[0], method.lower())

    def _view(self, request: GraphRequest, now: datetime) -> View:
        carried = {k: request.params[k] for k in _CARRIED if k in request.params}
        view = View(self.world, now, request.base_url, request.version, carried)
        view.edge_lister = lambda rec, name, mods, children: list_edge(
            rec, name, mods, children, view
        )
        return view

    def _read_ids(self, request: GraphRequest, page_id: str, kind: str, now: datetime) -> Any:
        ids = requested_ids(request.params)
        # `?ids=a,b,c` costs one call per id; the first was counted on the way in.
        for _ in ids[1:]:
            self.stats.count_call()
            self.stats.count_page(page_id)
            self._admit(page_id, kind, now, "GET")
        fields = request.params.get("fields")
        return read_ids(
            ids,
            lambda object_id: self._resolve(object_id, page_id, "GET"),
            parse_fields(fields) if fields is not None else None,
            self._view(request, now),
            self.world.behaviour.missing_id_fails_request,
        )

    def _read(
        self, request: GraphRequest, target: GraphRecord, edge: list[str], now: datetime
    ) -> Any:
        params = request.params
        answer = self.diagnostics.read(target, edge, params, request.header_token)
        if answer is not None:
            return answer
        specs: list[FieldSpec] | None = (
            parse_fields(params["fields"]) if "fields" in params else None
        )
        view = self._view(request, now)
        if not edge:
            return render(target, specs, view)
        return list_edge(
            target,
            edge[0],
            params,
            specs,
            view,
            empty_page=lambda: self.faults.roll("empty_page_rate"),
        )

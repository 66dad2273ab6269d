"""A thin Meta Graph API client on requests (the only module that imports requests).

Why not facebook-sdk: abandoned in 2018, it accepts only API versions up to 3.1 and hides the
rate-limit headers this client needs. What this client adds over raw requests: a pinned version,
the token in the Authorization header, appsecret_proof, errors sorted into transient / throttled
/ token / permanent, jittered retries for transient errors, usage headers handed to the rate
governor, batch requests with per-operation tokens, and redaction of tokens everywhere.

Writes (POST, DELETE) happen at most once. A 5xx, an HTML 502 or an ``is_transient`` answer to a
write may come after Meta applied it (a 504 then a retried 200 once gave two identical public
comments), and so may a connection that broke after the request went out. Such a write is never
retried: it raises a GraphError with ``maybe_sent`` set, and a person checks the Page. Only a
failure that certainly happened before anything was sent (connection refused, DNS, connect
timeout) is retried. GETs keep retrying every transient failure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from config.settings import GraphSettings
from monitor.errors import ErrorKind, GraphError, classify_error, header, redact

log = logging.getLogger("pakn.monitor")

UsageHook = Callable[[Mapping[str, str]], None]
FileUpload = tuple[str, bytes, str]  # file name, content, content type


@dataclass(frozen=True)
class BatchOp:
    relative_url: str
    token: str
    method: str = "GET"


@dataclass
class GraphResponse:
    data: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


class GraphClient:
    def __init__(
        self,
        settings: GraphSettings,
        *,
        http: requests.Session | None = None,
        on_usage: UsageHook | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.http = http or requests.Session()
        self.on_usage = on_usage
        self.sleep = sleep
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.base = settings.base_url.rstrip("/")
        self.calls = 0
        self.http_requests = 0
        self._version_warned = False
        self.served_version: str | None = None  # what Meta actually answered with, last seen

    # -- public API -------------------------------------------------------------------------
    def get(self, path: str, token: str, params: Mapping[str, Any] | None = None) -> GraphResponse:
        url = f"{self.base}/{self.settings.version}/{path.lstrip('/')}"
        return self._request("GET", url, token, params=dict(params or {}), calls=1)

    def follow(self, next_url: str, token: str) -> GraphResponse:
        """Fetch a ``paging.next`` URL; its embedded token (if any) is replaced by ours."""
        parts = urlsplit(next_url)
        base = urlsplit(self.base)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            raise GraphError(
                "permanent", message=f"paging URL points at another host: {redact(next_url)}"
            )
        query = [(k, v) for k, v in parse_qsl(parts.query) if not _secret_param(k)]
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return self._request("GET", url, token, params=dict(query), calls=1)

    def post(
        self,
        path: str,
        token: str,
        *,
        data: Mapping[str, Any] | None = None,
        json_body: Mapping[str, Any] | None = None,
        files: Mapping[str, FileUpload] | None = None,
    ) -> GraphResponse:
        """A write (reply, message). Never retried once it may have reached Meta: an error that
        came after the request may have been sent raises a GraphError with ``maybe_sent``.
        With ``files`` (field -> (name, bytes, type)) the body is multipart/form-data."""
        url = f"{self.base}/{self.settings.version}/{path.lstrip('/')}"
        return self._request(
            "POST",
            url,
            token,
            data=dict(data or {}),
            json_body=json_body,
            files=files,
            calls=1,
            idempotent=False,
        )

    def batch(self, ops: Sequence[BatchOp], token: str) -> list[GraphResponse | GraphError]:
        """Run up to 50 GETs in one HTTP request; each op is its own call with its own token.

        A ``null`` op (Meta ran out of time) is retried alone; per-op errors come back as
        GraphError values, never raised, so one page's failure stays that page's.
        """
        results: list[GraphResponse | GraphError | None] = [None] * len(ops)
        pending = list(range(len(ops)))
        for _attempt in range(self.settings.max_retries + 1):
            if not pending:
                break
            chunk_results = self._batch_once([ops[i] for i in pending], token)
            still: list[int] = []
            for index, res in zip(pending, chunk_results, strict=True):
                transient = res is None or (isinstance(res, GraphError) and res.kind == "transient")
                if transient and _idempotent(ops[index].method):
                    still.append(index)
                results[index] = res
            pending = still
        out: list[GraphResponse | GraphError] = []
        for op, res in zip(ops, results, strict=True):
            # A null write operation may have run before Meta ran out of time.
            maybe_sent = not _idempotent(op.method)
            null = GraphError("transient", message="batch op null", maybe_sent=maybe_sent)
            out.append(res if res is not None else null)
        return out

    def iterate(self, first: GraphResponse, token: str, max_pages: int) -> Iterator[GraphResponse]:
        """Yield the first page and its successors; an empty page with ``next`` is not the end."""
        page: GraphResponse | None = first
        count = 0
        while page is not None and count < max_pages:
            yield page
            count += 1
            next_url = page.data.get("paging", {}).get("next")
            page = self.follow(next_url, token) if isinstance(next_url, str) else None

    # -- internals --------------------------------------------------------------------------
    def _auth(self, token: str, params: dict[str, Any]) -> dict[str, str]:
        secret = self.settings.app_secret
        if secret:
            params["appsecret_proof"] = appsecret_proof(token, secret.reveal())
        return {"Authorization": f"Bearer {token}"}

    def _batch_once(
        self, ops: Sequence[BatchOp], token: str
    ) -> list[GraphResponse | GraphError | None]:
        payload = [{"method": op.method, "relative_url": self._op_url(op)} for op in ops]
        url = f"{self.base}/{self.settings.version}/"
        resp = self._request(
            "POST",
            url,
            token,
            data={"batch": json.dumps(payload), "include_headers": "true"},
            calls=len(ops),
            idempotent=all(_idempotent(op.method) for op in ops),
        )
        body = resp.data.get("_batch")
        if not isinstance(body, list) or len(body) != len(ops):
            raise GraphError("transient", message="batch response has the wrong shape")
        return [self._op_result(item) for item in body]

    def _op_url(self, op: BatchOp) -> str:
        path, _, query = op.relative_url.partition("?")
        params = [(k, v) for k, v in parse_qsl(query) if not _secret_param(k)]
        params.append(("access_token", op.token))
        secret = self.settings.app_secret
        if secret:
            params.append(("appsecret_proof", appsecret_proof(op.token, secret.reveal())))
        return f"{self.settings.version}/{path.lstrip('/')}?{urlencode(params)}"

    def _op_result(self, item: Any) -> GraphResponse | GraphError | None:
        if item is None:
            return None
        headers = {h.get("name", ""): h.get("value", "") for h in item.get("headers") or []}
        self._observe(headers)
        try:
            data = loads(item.get("body") or "null")
        except (TypeError, ValueError):
            return GraphError("transient", message="batch op body is not JSON")
        status = int(item.get("code") or 0)
        if status >= 400 or (isinstance(data, dict) and "error" in data):
            return classify_error(status, data, headers)
        if not isinstance(data, dict):
            return GraphError("permanent", message="batch op body is not an object")
        return GraphResponse(data, headers)

    def _request(
        self,
        method: str,
        url: str,
        token: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        json_body: Mapping[str, Any] | None = None,
        files: Mapping[str, FileUpload] | None = None,
        calls: int,
        idempotent: bool = True,
    ) -> GraphResponse:
        params = dict(params or {})
        headers = self._auth(token, params)
        attempt = 0
        while True:
            try:
                return self._send(
                    method,
                    url,
                    headers,
                    params,
                    data,
                    json_body,
                    calls,
                    idempotent=idempotent,
                    files=files,
                )
            except GraphError as err:
                # A write is retried only when no answer came back and nothing was sent.
                unsent = err.http_status is None and not err.maybe_sent
                retry = err.kind == "transient" and (idempotent or unsent)
                if not retry or attempt >= self.settings.max_retries:
                    raise
                delay = self._backoff(attempt)
                log.warning("lỗi tạm thời (%s), thử lại sau %.1fs", err.short(), delay)
                self.sleep(delay)
                attempt += 1

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: dict[str, Any],
        data: dict[str, Any] | None,
        json_body: Mapping[str, Any] | None,
        calls: int,
        *,
        idempotent: bool,
        files: Mapping[str, FileUpload] | None = None,
    ) -> GraphResponse:
        self.http_requests += 1
        self.calls += calls
        try:
            resp = self.http.request(
                method,
                url,
                params=params,
                data=data,
                json=json_body,
                files=dict(files) if files else None,
                headers=headers,
                timeout=self.settings.timeout_seconds,
            )
        except requests.RequestException as exc:
            # Only a connection that was never made certainly sent nothing; a reset, a read
            # timeout or a broken pipe may come after Meta received (and applied) the request.
            raise GraphError(
                "transient",
                message=f"network: {type(exc).__name__}",
                maybe_sent=not _never_sent(exc) and not idempotent,
            ) from None
        self._observe(resp.headers)
        return self._parse(resp, idempotent=idempotent)

    def _parse(self, resp: requests.Response, *, idempotent: bool = True) -> GraphResponse:
        try:
            body = loads(resp.content.decode("utf-8", "replace"))
        except ValueError:
            kind: ErrorKind = (
                "transient" if resp.status_code >= 500 or resp.status_code == 429 else "permanent"
            )
            # An HTML page from a proxy says nothing about whether Meta applied a write.
            raise GraphError(
                kind,
                http_status=resp.status_code,
                message=f"HTTP {resp.status_code}, not JSON",
                maybe_sent=not idempotent,
            ) from None
        if resp.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            err = classify_error(resp.status_code, body, resp.headers)
            # Meta's own refusal (token, throttled, permanent) means not applied; a transient
            # answer (5xx, codes 1 and 2, is_transient) may come after the write was applied.
            err.maybe_sent = not idempotent and err.kind == "transient"
            raise err
        if isinstance(body, list):
            return GraphResponse({"_batch": body}, resp.headers)
        if not isinstance(body, dict):
            # A success status with an odd body: a write was most likely applied.
            raise GraphError(
                "permanent", message="response is not a JSON object", maybe_sent=not idempotent
            )
        return GraphResponse(body, resp.headers)

    def _observe(self, headers: Mapping[str, str]) -> None:
        served = header(headers, "facebook-api-version")
        if served:
            self.served_version = served
        if served and served != self.settings.version and not self._version_warned:
            self._version_warned = True
            log.warning(
                "Meta trả lời bằng phiên bản %s, không phải %s đã cấu hình",
                served,
                self.settings.version,
            )
        if self.on_usage is not None:
            self.on_usage(headers)

    def _backoff(self, attempt: int) -> float:
        cap = min(
            self.settings.backoff_max_seconds, self.settings.backoff_base_seconds * 2**attempt
        )
        return self.rng.uniform(cap / 2, cap)  # "equal jitter": spread retries of many daemons


def _secret_param(name: str) -> bool:
    return name in ("access_token", "appsecret_proof")


def _idempotent(method: str) -> bool:
    return method.upper() in ("GET", "HEAD", "OPTIONS")


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly never left: no connection was made (refused, DNS, connect
    timeout). requests wraps urllib3's MaxRetryError whose reason says which step failed."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ProxyError):
        return False  # the proxy may have forwarded the request before it failed
    if not isinstance(exc, requests.ConnectionError):
        return False
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


# Graph objects nest a handful of levels; deeper values (a malformed object nested thousands of
# levels, which Python's parser refuses with RecursionError) are cut at this depth, so the one
# object is set aside by monitor/normalize.py and the rest of the answer is read.
MAX_JSON_DEPTH = 100


def loads(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        return json.loads(_flattened(text, MAX_JSON_DEPTH))


def _flattened(text: str, limit: int) -> str:
    """``text`` with every array or object deeper than ``limit`` replaced by ``null``."""
    out: list[str] = []
    depth, start, in_string, escaped = 0, 0, False, False
    cut_from: int | None = None
    for pos, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth == limit + 1 and cut_from is None:
                cut_from = pos
        elif char in "]}":
            depth -= 1
            if depth == limit and cut_from is not None:
                out.append(text[start:cut_from] + "null")
                start, cut_from = pos + 1, None
    out.append(text[start:])
    return "".join(out)

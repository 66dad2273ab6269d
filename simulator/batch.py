"""Batch requests: `POST /` with `batch=[{"method","relative_url"}, ...]`, one call per op."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from simulator.errors import GraphError, bad_parameter
from simulator.malformed import dumps
from simulator.router import GraphRequest, GraphResponse, GraphRouter

MAX_OPERATIONS = 50
VERSION = re.compile(r"^v\d+\.\d+$")


def run_batch(router: GraphRouter, request: GraphRequest) -> GraphResponse:
    headers = {"facebook-api-version": request.version}
    try:
        # The top-level token is required even when every operation carries its own.
        with router.world.lock:
            page_id: str | None = router.authenticate(request.params, request.header_token)
        operations = parse_operations(request.params.get("batch", ""))
    except GraphError as error:
        headers["WWW-Authenticate"] = error.www_authenticate()
        return GraphResponse(error.status, error.envelope(), headers)
    include_headers = request.params.get("include_headers", "true").lower() != "false"
    results: list[dict[str, Any] | None] = []
    for operation in operations:
        if router.faults.roll("batch_null_rate"):
            # An operation the platform did not finish comes back as null; retry it alone.
            results.append(None)
            continue
        response = router.handle(operation_request(operation, request))
        item: dict[str, Any] = {"code": response.status}
        if include_headers:
            item["headers"] = [{"name": k, "value": v} for k, v in response.headers.items()]
        item["body"] = dumps(response.body)
        results.append(item)
    with router.world.lock:
        headers.update(router.usage_headers(page_id, "pages", router.world.now()))
    return GraphResponse(200, results, headers)


def parse_operations(text: str) -> list[dict[str, Any]]:
    try:
        operations = json.loads(text)
    except ValueError as error:
        raise bad_parameter("The parameter batch must be a JSON array") from error
    if not isinstance(operations, list) or not operations:
        raise bad_parameter("The parameter batch must be a non-empty JSON array")
    if len(operations) > MAX_OPERATIONS:
        raise bad_parameter(
            f"Too many requests in batch message. Maximum batch size is {MAX_OPERATIONS}"
        )
    for operation in operations:
        if not isinstance(operation, dict) or not operation.get("relative_url"):
            raise bad_parameter("Each batch operation needs a method and a relative_url")
    return operations


def operation_request(operation: dict[str, Any], outer: GraphRequest) -> GraphRequest:
    """The call one operation stands for; its own access_token wins over the top-level one."""
    url = urlsplit("/" + str(operation["relative_url"]).lstrip("/"))
    params = dict(parse_qsl(url.query, keep_blank_values=True))
    body = operation.get("body")
    if isinstance(body, str):
        params.update(parse_qsl(body, keep_blank_values=True))
    parts = [p for p in url.path.split("/") if p]
    version = outer.version
    if parts and VERSION.match(parts[0]):
        version, parts = parts[0], parts[1:]
    fallback_token = outer.params.get("access_token") or outer.header_token
    if "access_token" not in params and "appsecret_proof" in outer.params:
        params["appsecret_proof"] = outer.params["appsecret_proof"]
    return GraphRequest(
        method=str(operation.get("method", "GET")).upper(),
        path="/" + "/".join(parts),
        version=version,
        params=params,
        header_token=fallback_token,
        base_url=outer.base_url,
    )

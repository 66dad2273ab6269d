"""Multi-id reads: `GET /?ids=a,b,c&fields=...` answers `{id: object}`, one call per id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator.errors import GraphError, bad_parameter
from simulator.fields import FieldSpec
from simulator.payloads import render
from simulator.records import GraphRecord
from simulator.view import View

MAX_IDS = 50
Resolve = Callable[[str], GraphRecord]


def requested_ids(params: dict[str, str]) -> list[str]:
    ids = [part.strip() for part in params.get("ids", "").split(",") if part.strip()]
    if not ids:
        raise bad_parameter("The parameter ids is required and must list at least one id")
    if len(ids) > MAX_IDS:
        raise bad_parameter(f"Too many IDs. Maximum: {MAX_IDS}. Split the ids into smaller reads")
    # A repeated id is answered once, as on the real platform.
    return list(dict.fromkeys(ids))


def missing_aliases(ids: list[str]) -> GraphError:
    return bad_parameter(f"Some of the aliases you requested do not exist: {','.join(ids)}")


def read_ids(
    ids: list[str],
    resolve: Resolve,
    specs: list[FieldSpec] | None,
    view: View,
    fail_on_missing: bool,
) -> dict[str, Any]:
    """Each id rendered with the same fields. An id that is gone or belongs to another Page
    fails the whole read (code 100) or is left out, as the behaviour switch says."""
    found: dict[str, GraphRecord] = {}
    missing: list[str] = []
    for object_id in ids:
        try:
            found[object_id] = resolve(object_id)
        except GraphError:
            missing.append(object_id)
    if missing and fail_on_missing:
        raise missing_aliases(missing)
    return {object_id: render(record, specs, view) for object_id, record in found.items()}

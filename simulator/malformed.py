"""Broken objects in Graph's answers, the way a probe or a platform bug serves them.

A test puts a raw object (anything JSON, or a ``RawJson`` text no encoder would write, such as
10,000 levels of nesting) into the first page of one listing (a page's feed or conversations, a
post's, reel's or photo's comments, a conversation's messages), reshapes that listing (``data``
not a list, ``paging.next`` off-host), or overrides a field of a real object wherever it is
rendered (a far-future ``updated_time``). Batched operations go through the same router, so a
batched first page carries the same objects.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Listing = dict[str, Any]


@dataclass(frozen=True)
class RawJson:
    """JSON text spliced into the answer verbatim."""

    text: str


@dataclass(frozen=True)
class Injection:
    owner: str  # the page, post, reel, photo or conversation whose listing is changed
    edge: str  # "feed", "video_reels", "comments", "conversations", "messages"
    objects: tuple[Any, ...] = ()  # put into the listing's first page at ``index``
    index: int = 0
    reshape: Callable[[Listing], Any] | None = None  # applied to that first page after


class Malformed:
    """The injections and overrides in force; safe to change from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._injections: list[Injection] = []
        self._overrides: dict[str, dict[str, Any]] = {}

    def inject(
        self,
        owner: str,
        edge: str,
        *objects: Any,
        index: int = 0,
        reshape: Callable[[Listing], Any] | None = None,
    ) -> None:
        with self._lock:
            self._injections.append(Injection(owner, edge, objects, index, reshape))

    def override(self, object_id: str, **fields: Any) -> None:
        """Wherever ``object_id`` is rendered, these of its fields read as given."""
        with self._lock:
            self._overrides.setdefault(object_id, {}).update(fields)

    def clear(self) -> None:
        with self._lock:
            self._injections.clear()
            self._overrides.clear()

    def apply(self, parts: list[str], params: dict[str, str], body: Any) -> Any:
        """The answer to ``GET /{parts}`` with the injections and overrides in force."""
        with self._lock:
            injections, overrides = list(self._injections), dict(self._overrides)
        if not injections and not overrides:
            return body
        if overrides:
            _override(body, overrides)
        first_page = "after" not in params and "before" not in params
        if len(parts) == 2 and first_page:
            return _listing(body, parts[0], parts[1], injections)
        if len(parts) == 1 and isinstance(body, dict):
            return _node(body, parts[0], injections)
        if not parts and isinstance(body, dict):  # ?ids=a,b: one node per id
            return {key: _node(node, key, injections) for key, node in body.items()}
        return body


def _node(node: Any, owner: str, injections: list[Injection]) -> Any:
    if not isinstance(node, dict):
        return node
    return {key: _listing(value, owner, key, injections) for key, value in node.items()}


def _listing(body: Any, owner: str, edge: str, injections: list[Injection]) -> Any:
    for injection in injections:
        if (injection.owner, injection.edge) != (owner, edge):
            continue
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            continue
        data = list(body["data"])
        data[injection.index : injection.index] = injection.objects
        body = {**body, "data": data}
        if injection.reshape is not None:
            body = injection.reshape(body)
    return body


def _override(value: Any, overrides: dict[str, dict[str, Any]]) -> None:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            fields = overrides.get(str(current.get("id")))
            for key in fields or ():
                if key in current:
                    current[key] = fields[key]  # type: ignore[index]
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def dumps(body: Any) -> str:
    """``json.dumps`` that splices ``RawJson`` texts in verbatim."""
    raws: list[str] = []

    def placeholder(value: Any) -> str:
        if isinstance(value, RawJson):
            raws.append(value.text)
            return f"\x00raw-json-{len(raws) - 1}\x00"
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    text = json.dumps(body, default=placeholder)
    for number, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x00raw-json-{number}\x00"), raw, 1)
    return text

"""Meta's webhooks, sent by the simulated world to a callback URL (pakn's receiver).

`WebhookSender(world, url, diagnostics)` watches the world (`World.subscribe`) and turns every
comment, reply, edit, deletion, hide, post and message into a change in Meta's shape
(webhook_payloads.py), for the Pages subscribed to the app with the fields they subscribed
(`/{page}/subscribed_apps`, kept by `Diagnostics`). Changes are queued under the world's lock
and POSTed by `tick()` / `flush()` (tests) or by a background thread (`start()`, the demo), never
while the world is locked.

As Meta does (graph-api.md §7.3, §7.6): several changes per POST, escaped-unicode JSON signed
with `X-Hub-Signature-256` over the exact bytes; a delivery that does not get a 200 is retried
at once, then less and less often, until a horizon (36 h for `feed`), then given up. Time is the
world's clock. Seeded faults: duplicate a delivery, reorder deliveries, drop one outright (never
sent: only polling can find what it carried) and delay one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simulator.diagnostics import Diagnostics
from simulator.errors import GraphError, bad_parameter, missing_object, permission_denied
from simulator.records import GraphRecord, PageRecord
from simulator.state import WorldEvent
from simulator.webhook_payloads import Change, change_for, unix, unix_ms
from simulator.world import World

log = logging.getLogger("pakn.simulator")

# Seconds before each retry: twice at once, then less and less often (Meta: "immediately, then
# with decreasing frequency"); the last value repeats until the horizon.
RETRY_DELAYS = (0.0, 0.0, 10.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0)
FEED_HORIZON = timedelta(hours=36)
# Fields the simulator sends; a Page may subscribe to others (Meta's enum has ~100), never sent.
SENT_FIELDS = ("feed", "messages", "message_echoes", "message_edits")
KNOWN_FIELDS = frozenset(
    {
        *SENT_FIELDS,
        *("mention", "message_reactions", "message_reads", "message_deliveries", "standby"),
        *("messaging_postbacks", "messaging_optins", "messaging_referrals", "ratings"),
    }
)


@dataclass
class WebhookFaults:
    """Seeded delivery faults, each a probability per delivery."""

    seed: int = 0
    duplicate_rate: float = 0.0  # delivered, then delivered again (same bytes)
    reorder_rate: float = 0.0  # swapped with the delivery due after it
    drop_rate: float = 0.0  # never sent at all
    delay_rate: float = 0.0  # first sent `delay` later
    delay: timedelta = timedelta(seconds=30)


@dataclass(frozen=True)
class Attempt:
    """One POST: the HTTP status (None when no answer came) or the connection error."""

    delivery_id: int
    at: datetime
    status: int | None
    error: str | None = None
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Delivery:
    """One POST body and its fate: pending, delivered, failed (gave up) or dropped (fault)."""

    id: int
    body: bytes
    changes: tuple[Change, ...]
    created: datetime
    due: datetime
    state: str = "pending"
    attempts: list[Attempt] = field(default_factory=list)


class WebhookSender:
    def __init__(
        self,
        world: World,
        url: str,
        diagnostics: Diagnostics,
        *,
        app_secret: str | None = None,
        batch_size: int = 50,
        horizon: timedelta = FEED_HORIZON,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        faults: WebhookFaults | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        secret = app_secret if app_secret is not None else world.app_secret
        if not secret:
            raise ValueError("webhooks are signed with the app secret: give World an app_secret")
        if batch_size < 1 or not retry_delays or retry_delays[-1] <= 0:
            # The last delay repeats: zero would retry forever while the clock stands still.
            raise ValueError("batch_size must be at least 1 and the last retry delay above 0")
        self.world, self.url, self.diagnostics = world, url, diagnostics
        self.secret, self.batch_size, self.horizon = secret, batch_size, horizon
        self.retry_delays = tuple(retry_delays)
        self.faults = faults or WebhookFaults()
        self.timeout = timeout_seconds
        self._rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()  # the queues; taken under the world's lock, never around it
        self._sending = threading.Lock()  # one tick at a time
        self._pending: list[Change] = []
        self.deliveries: list[Delivery] = []
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._detach = world.subscribe(self._observe)

    # what the world tells us ----------------------------------------------------------------
    def _observe(self, event: WorldEvent) -> None:
        """Under the world's lock: build the change now, queue it if the Page subscribed."""
        fields = self.diagnostics.subscriptions.get(event["page_id"], ())
        if not fields:
            return
        change = change_for(self.world, event)
        if change is None or change.field not in fields:
            return
        with self._lock:
            self._pending.append(change)
        self._wake.set()

    # sending ----------------------------------------------------------------------------------
    def tick(self) -> list[Attempt]:
        """Package queued changes into deliveries and POST every delivery due now."""
        with self._sending:
            now = self.world.now()
            self._package(now)
            with self._lock:
                due = [d for d in self.deliveries if d.state == "pending" and d.due <= now]
            attempts: list[Attempt] = []
            for delivery in self._reordered(sorted(due, key=lambda d: (d.due, d.id))):
                attempts.extend(self._send(delivery))
            return attempts

    def flush(self) -> list[Attempt]:
        """Tick until nothing more is due now (immediate retries included)."""
        attempts: list[Attempt] = []
        while made := self.tick():
            attempts.extend(made)
        return attempts

    def _package(self, now: datetime) -> None:
        with self._lock:
            changes, self._pending = self._pending, []
            for start in range(0, len(changes), self.batch_size):
                batch = tuple(changes[start : start + self.batch_size])
                delivery = Delivery(
                    len(self.deliveries) + 1, self._body(batch, now), batch, now, now
                )
                if self._roll(self.faults.drop_rate):
                    delivery.state = "dropped"
                elif self._roll(self.faults.delay_rate):
                    delivery.due = now + self.faults.delay
                self.deliveries.append(delivery)

    def _body(self, changes: tuple[Change, ...], now: datetime) -> bytes:
        """`{"object": "page", "entry": [...]}`: one entry per run of changes of one Page."""
        entries: list[dict[str, Any]] = []
        for change in changes:
            key = "messaging" if change.messaging else "changes"
            item = change.value if change.messaging else {"field": "feed", "value": change.value}
            last = entries[-1] if entries else None
            if last is not None and last["id"] == change.page_id and key in last:
                last[key].append(item)
                continue
            moment = unix_ms(now) if change.messaging else unix(now)
            entries.append({"id": change.page_id, "time": moment, key: [item]})
        # Compact, ASCII-only JSON: Meta escapes non-ASCII as \uXXXX and signs those bytes.
        return json.dumps({"object": "page", "entry": entries}, separators=(",", ":")).encode()

    def _reordered(self, due: list[Delivery]) -> list[Delivery]:
        order = list(due)
        index = 0
        while index < len(order) - 1:
            if self._roll(self.faults.reorder_rate):
                order[index], order[index + 1] = order[index + 1], order[index]
                index += 1
            index += 1
        return order

    def _send(self, delivery: Delivery) -> list[Attempt]:
        attempt = self._post(delivery, duplicate=False)
        attempts = [attempt]
        if attempt.ok and self._roll(self.faults.duplicate_rate):
            attempts.append(self._post(delivery, duplicate=True))
        with self._lock:
            delivery.attempts.extend(attempts)
            if attempt.ok:
                delivery.state = "delivered"
            else:
                self._retry_later(delivery, attempt.at)
        return attempts

    def _retry_later(self, delivery: Delivery, at: datetime) -> None:
        failures = sum(1 for a in delivery.attempts if not a.ok and not a.duplicate)
        wait = self.retry_delays[min(failures - 1, len(self.retry_delays) - 1)]
        due = at + timedelta(seconds=wait)
        if due - delivery.created > self.horizon:
            delivery.state = "failed"  # Meta drops the update; there is no replay
            log.info(
                "simulator: webhook delivery %s given up after %s tries", delivery.id, failures
            )
        else:
            delivery.due = due

    def _post(self, delivery: Delivery, *, duplicate: bool) -> Attempt:
        signature = hmac.new(self.secret.encode(), delivery.body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(  # noqa: S310 - the URL is the test's or the demo's
            self.url,
            data=delivery.body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": f"sha256={signature}",
                "User-Agent": "facebookexternalua",
            },
        )
        at = self.world.now()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                answer.read()
                return Attempt(delivery.id, at, answer.status, None, duplicate)
        except urllib.error.HTTPError as error:
            error.read()
            return Attempt(delivery.id, at, error.code, f"HTTP {error.code}", duplicate)
        except OSError as error:
            return Attempt(delivery.id, at, None, f"{type(error).__name__}: {error}", duplicate)

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    # what tests read --------------------------------------------------------------------------
    def by_state(self, state: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.state == state]

    def attempts(self) -> list[Attempt]:
        with self._lock:
            return [a for d in self.deliveries for a in d.attempts]

    # background thread (the demo) ---------------------------------------------------------------
    def start(self, interval_seconds: float = 1.0) -> WebhookSender:
        """Send from a thread: at once after each change, and every interval for retries."""
        self._thread = threading.Thread(
            target=self._run, args=(interval_seconds,), name="sim-webhooks", daemon=True
        )
        self._thread.start()
        return self

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.flush()
            except Exception:
                log.exception("simulator: sending webhooks failed")

    def close(self) -> None:
        """Stop watching the world and stop the thread; queued changes are not sent."""
        self._detach()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def verify_callback(url: str, verify_token: str, timeout_seconds: float = 10.0) -> bool:
    """Meta's check when the callback URL is set: a GET the callback must answer with the
    challenge, and only for the right verify token."""
    challenge = str(secrets.randbelow(10**9))
    query = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    target = f"{url}?{urllib.parse.urlencode(query)}"
    try:
        with urllib.request.urlopen(target, timeout=timeout_seconds) as answer:  # noqa: S310
            return bool(answer.status == 200 and answer.read() == challenge.encode())
    except OSError:
        return False


def subscribed_apps(
    diagnostics: Diagnostics, target: GraphRecord, method: str, params: dict[str, str], token: str
) -> dict[str, Any]:
    """`POST /{page}/subscribed_apps?subscribed_fields=feed,messages` installs the app on the
    Page for those fields (replacing the previous list); `DELETE` removes it. Meta's reference:
    the Page token needs pages_manage_metadata and pages_show_list, and pages_messaging for the
    Messenger fields."""
    if not isinstance(target, PageRecord):
        raise missing_object(getattr(target, "id", ""), method.lower())
    scopes = diagnostics.grant_of(token).scopes
    if not {"pages_manage_metadata", "pages_show_list"} <= set(scopes):
        raise permission_denied()
    if method == "DELETE":
        diagnostics.unsubscribe(target.page_id)
        return {"success": True}
    fields = _fields(params.get("subscribed_fields", "").split(","))
    messenger = [f for f in fields if f.startswith(("messag", "standby"))]
    if messenger and "pages_messaging" not in scopes:
        raise GraphError(
            f"(#200) To subscribe to the {messenger[0]} field, one of these permissions is "
            "needed: pages_messaging",
            200,
        )
    diagnostics.subscribe(target.page_id, fields)
    return {"success": True}


def _fields(raw: Iterable[str]) -> tuple[str, ...]:
    fields = tuple(dict.fromkeys(f.strip() for f in raw if f.strip()))
    if not fields:
        raise bad_parameter("The parameter subscribed_fields is required.")
    for index, name in enumerate(fields):
        if name not in KNOWN_FIELDS:
            known = ", ".join(sorted(KNOWN_FIELDS))
            raise bad_parameter(
                f'Param subscribed_fields[{index}] must be one of {{{known}}} - got "{name}"'
            )
    return fields

"""What `pakn doctor` asks about a token and a Page: `GET /debug_token`, `/me/permissions`
and `/{page}/subscribed_apps`.

The world knows which tokens live; this module adds what each token was granted and until
when, and which apps each Page has subscribed to webhooks. Tests set them through
`GraphSimulator.router.diagnostics`. A token past its `expires_at` is refused everywhere with
190/463, as Meta does; `data_access_expires_at` is only reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulator.errors import GraphError, permission_denied, token_missing, token_unparsable
from simulator.outbound import GRANTED_SCOPES
from simulator.records import GraphRecord, PageRecord, as_utc
from simulator.world import World

APP_ID = "100000000000000"
APP_NAME = "pakn"
USER_ID = "100000000000099"
# Scopes that Meta grants per Page: debug_token lists the Pages in `granular_scopes`.
PAGE_SCOPES = frozenset(GRANTED_SCOPES) - {"pages_show_list"}

Authenticate = Callable[[dict[str, str], str | None], str]


def token_expired(expired_at: datetime) -> GraphError:
    return GraphError(
        "Error validating access token: Session has expired on "
        f"{expired_at:%A, %d-%b-%y %H:%M:%S} UTC.",
        190,
        subcode=463,
    )


@dataclass
class TokenGrant:
    """What a token carries; None for an expiry means it does not expire (Meta sends 0)."""

    expires_at: datetime | None = None
    data_access_expires_at: datetime | None = None
    scopes: tuple[str, ...] = GRANTED_SCOPES
    # Scopes granted for other Pages only (the person left this Page out when connecting).
    other_pages_only: tuple[str, ...] = ()


@dataclass
class Diagnostics:
    world: World
    grants: dict[str, TokenGrant] = field(default_factory=dict)
    subscriptions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    # set up by tests ------------------------------------------------------------------------
    def grant(
        self,
        token: str,
        *,
        expires_at: datetime | None = None,
        data_access_expires_at: datetime | None = None,
        scopes: Iterable[str] | None = None,
        other_pages_only: Iterable[str] = (),
    ) -> None:
        with self.world.lock:
            self.grants[token] = TokenGrant(
                None if expires_at is None else as_utc(expires_at),
                None if data_access_expires_at is None else as_utc(data_access_expires_at),
                GRANTED_SCOPES if scopes is None else tuple(scopes),
                tuple(other_pages_only),
            )

    def subscribe(self, page_id: str, fields: Iterable[str] = ("feed", "messages")) -> None:
        with self.world.lock:
            self.subscriptions[page_id] = tuple(fields)

    def unsubscribe(self, page_id: str) -> None:
        with self.world.lock:
            self.subscriptions.pop(page_id, None)

    def grant_of(self, token: str) -> TokenGrant:
        with self.world.lock:
            return self.grants.get(token) or TokenGrant()

    # answers ----------------------------------------------------------------------------------
    def check_expiry(self, token: str, now: datetime) -> None:
        """Raise 190/463 for a token past its `expires_at`."""
        expires = self.grant_of(token).expires_at
        if expires is not None and now >= expires:
            raise token_expired(expires)

    def debug_token(
        self, params: dict[str, str], header_token: str | None, authenticate: Authenticate
    ) -> dict[str, Any]:
        """`GET /debug_token?input_token=...`, asked with an app token (`app_id|secret`) or
        with a live Page token (the token may inspect itself)."""
        caller = params.get("access_token") or header_token
        if not caller:
            raise token_missing()
        if "|" in caller:
            secret = self.world.app_secret
            if secret is not None and caller.partition("|")[2] != secret:
                raise token_unparsable()
        else:
            authenticate(params, header_token)
        token = params.get("input_token", "")
        owner = self.world.token_owner(token)
        if owner is None:
            raise token_unparsable()
        return {"data": self._token_data(token, *owner)}

    def _token_data(self, token: str, page_id: str, live: bool) -> dict[str, Any]:
        grant = self.grant_of(token)
        now = self.world.now()
        expired = grant.expires_at is not None and now >= grant.expires_at
        data: dict[str, Any] = {
            "app_id": APP_ID,
            "type": "PAGE",
            "application": APP_NAME,
            "data_access_expires_at": _unix(grant.data_access_expires_at),
            "expires_at": _unix(grant.expires_at),
            "is_valid": live and not expired,
            "issued_at": int(now.timestamp()) - 86_400,
            "profile_id": page_id,
            "scopes": list(grant.scopes),
            "granular_scopes": _granular(grant, page_id),
            "user_id": USER_ID,
        }
        if expired and grant.expires_at is not None:
            error = token_expired(grant.expires_at)
            data["error"] = {"code": 190, "message": error.message, "subcode": 463}
        elif not live:
            data["error"] = {
                "code": 190,
                "message": "The session has been invalidated because the user changed their "
                "password or Facebook has changed the session for security reasons.",
                "subcode": 460,
            }
        return data

    def read(
        self,
        target: GraphRecord,
        edge: list[str],
        params: dict[str, str],
        header_token: str | None,
    ) -> dict[str, Any] | None:
        """`/me/permissions` and `/{page}/subscribed_apps` for a Page token; None otherwise."""
        if not isinstance(target, PageRecord) or len(edge) != 1:
            return None
        token = params.get("access_token") or header_token or ""
        scopes = self.grant_of(token).scopes
        if edge[0] == "permissions":
            return {"data": [{"permission": s, "status": "granted"} for s in scopes]}
        if edge[0] == "subscribed_apps":
            # Meta's reference: reading the subscriptions needs pages_show_list.
            if "pages_show_list" not in scopes:
                raise permission_denied()
            fields = self.subscriptions.get(target.page_id)
            if fields is None:
                return {"data": []}
            app = {"id": APP_ID, "name": APP_NAME, "subscribed_fields": list(fields)}
            return {"data": [app]}
        return None


def _unix(moment: datetime | None) -> int:
    return 0 if moment is None else int(moment.timestamp())


def _granular(grant: TokenGrant, page_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for scope in grant.scopes:
        if scope not in PAGE_SCOPES:
            out.append({"scope": scope})
            continue
        target = "199999999999999" if scope in grant.other_pages_only else page_id
        out.append({"scope": scope, "target_ids": [target]})
    return out

"""Graph API error envelopes, with the messages the real platform sends."""

from __future__ import annotations

import secrets
from typing import Any

DOCS_URL = "https://developers.facebook.com/docs/graph-api"


class GraphError(Exception):
    """An error the simulator answers with the standard `{"error": {...}}` envelope."""

    def __init__(
        self,
        message: str,
        code: int,
        *,
        kind: str = "OAuthException",
        subcode: int | None = None,
        status: int = 400,
        transient: bool | None = None,
        regain_minutes: int | None = None,
        usage_header: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind
        self.subcode = subcode
        self.status = status
        self.transient = transient
        # Throttle errors set this so the usage header can show when access returns.
        self.regain_minutes = regain_minutes
        # False for a page-level limit that comes without a usage header (#32).
        self.usage_header = usage_header

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient is not None:
            error["is_transient"] = self.transient
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)[:22]
        return {"error": error}

    def www_authenticate(self) -> str:
        reason = "invalid_token" if self.code in (102, 104, 190) else "invalid_request"
        # Header values must be Latin-1; the messages are English, but guard anyway.
        text = self.message.replace('"', "'").encode("ascii", "backslashreplace").decode()
        return f'OAuth "Facebook Platform" "{reason}" "{text}"'


def missing_object(object_id: str, method: str = "get") -> GraphError:
    return GraphError(
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read the "
        f"Graph API documentation at {DOCS_URL}",
        100,
        kind="GraphMethodException",
        subcode=33,
    )


def bad_parameter(message: str) -> GraphError:
    return GraphError(f"(#100) {message}", 100)


def nonexisting_field(name: str, node_type: str) -> GraphError:
    return bad_parameter(f"Tried accessing nonexisting field ({name}) on node type ({node_type})")


def invalid_cursor(which: str) -> GraphError:
    return bad_parameter(
        f"The {which} cursor is invalid: the object it points to no longer exists or does not "
        "belong to this list. Start again from the first page"
    )


def cursor_too_deep() -> GraphError:
    # Meta's words; the way out is a narrower read (`since`, or a summary) not a deeper one.
    return bad_parameter(
        "The After Cursor specified exceeds the max limit supported by this endpoint"
    )


def token_missing() -> GraphError:
    return GraphError("An access token is required to request this resource.", 104)


def token_unparsable() -> GraphError:
    return GraphError("Invalid OAuth access token - Cannot parse access token", 190, subcode=467)


def token_invalidated() -> GraphError:
    return GraphError(
        "Error validating access token: The session has been invalidated because the user "
        "changed their password or Facebook has changed the session for security reasons.",
        190,
        subcode=460,
    )


def proof_missing() -> GraphError:
    return bad_parameter("API calls from the server require an appsecret_proof argument")


def proof_invalid() -> GraphError:
    return GraphError("Invalid appsecret_proof provided in the API argument", 100)


def permission_denied() -> GraphError:
    return GraphError("(#200) Permissions error", 200)


def page_throttled(kind: str, minutes: int) -> GraphError:
    if kind == "messenger":
        message = "There have been too many messenger api calls to this Page account."
        return GraphError(f"{message} Wait a bit and try again.", 80006, regain_minutes=minutes)
    message = "There have been too many calls to this Page account. Wait a bit and try again."
    return GraphError(message, 80001, regain_minutes=minutes)


def conversations_throttled(minutes: int) -> GraphError:
    return GraphError(
        "(#613) Calls to this api have exceeded the rate limit.",
        613,
        regain_minutes=minutes,
    )


def app_throttled(code: int = 4) -> GraphError:
    """The app's platform limit (#4), or the user-level one (#17): Meta's error reference."""
    if code == 17:
        return GraphError("(#17) User request limit reached", 17, transient=True)
    return GraphError("(#4) Application request limit reached", 4, transient=True)


def page_limit_reached() -> GraphError:
    """(#32), Meta's sample body in the rate-limiting guide; it names no usage type."""
    return GraphError("(#32) Page request limit reached", 32, usage_header=False)


def transient_failure() -> GraphError:
    return GraphError(
        "An unexpected error has occurred. Please retry your request later.",
        2,
        status=500,
        transient=True,
    )


def outside_window() -> GraphError:
    return GraphError(
        "(#10) This message is sent outside of allowed window. Learn more about the new policy "
        "here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
        10,
        subcode=2018278,
    )

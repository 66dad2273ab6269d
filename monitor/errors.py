"""Graph errors sorted at the edge: transient, throttled, token, permanent.

Codes follow Meta's error reference (see README, "Graph API errors"). We branch on ``code`` and
``error_subcode``, never on ``type`` or the message text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from config.schema import TOKEN_SHAPE, URL_CREDENTIALS
from config.settings import Settings

ErrorKind = Literal["transient", "throttled", "token", "permanent"]

TRANSIENT_CODES = frozenset({1, 2})
THROTTLE_CODES = frozenset({4, 17, 32, 341, 368, 613, 80001, 80006})
TOKEN_CODES = frozenset({102, 190, 492})
_SECRET_QUERY = re.compile(
    r"((?:access_token|appsecret_proof|client_secret|fb_exchange_token)=)[^&\s\"']+"
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._|\-]+")

# Plain-language reasons for officers and IT staff, Vietnamese first.
_REASONS_VI: dict[ErrorKind, str] = {
    "transient": "Facebook tạm thời không trả lời (lỗi mạng hoặc máy chủ); sẽ tự thử lại",
    "throttled": "Facebook đang giới hạn số lần gọi cho trang này; tạm dừng rồi tự tiếp tục",
    "token": "Mã truy cập trang không còn hiệu lực; quản trị viên trang phải kết nối lại và "
    "cập nhật access_token",
    "permanent": "Facebook từ chối yêu cầu (thiếu quyền hoặc yêu cầu không hợp lệ)",
}
_MAYBE_SENT_VI = (
    "Không rõ Facebook đã nhận hay chưa (máy chủ báo lỗi hoặc mất kết nối sau khi yêu cầu có "
    "thể đã tới nơi); không tự gửi lại để tránh đăng hai lần. Kiểm tra trên trang Facebook"
)


# The configured secrets (page tokens, app secret, web key, notification URLs), masked
# literally wherever they appear. Shorter values are not masked: they would mangle ordinary
# words and a secret that short protects nothing anyway.
_MIN_SECRET_LENGTH = 8
_registered: tuple[str, ...] = ()


def register_secrets(settings: Settings) -> None:
    """Mask every secret of ``settings`` in whatever ``redact`` cleans from now on.

    Called once where a process reads its settings (the ``pakn`` command's ``App.settings``),
    so that the daemon, the web and every command are covered, whoever built the message.
    """
    found: list[str] = [p.access_token.reveal() for p in settings.pages]
    found += [s.reveal() for s in (settings.graph.app_secret, settings.web.secret_key) if s]
    alerts = settings.alerts
    targets = [*alerts.admin_targets, *(t for ts in alerts.unit_targets.values() for t in ts)]
    found += [t.url.reveal() for t in targets]
    found += [c for url in (settings.database_url, *found) for c in _credentials(url)]
    _add_secrets(found)


def _add_secrets(values: Iterable[str]) -> None:
    global _registered
    known = set(_registered) | {v for v in values if len(v) >= _MIN_SECRET_LENGTH}
    # Longest first: a secret that contains another is masked whole.
    _registered = tuple(sorted(known, key=len, reverse=True))


def _credentials(url: str) -> list[str]:
    found = URL_CREDENTIALS.match(url)
    if found is None:
        return []
    userinfo = found.group(0)[len(found.group(1)) : -1]
    return [userinfo, *userinfo.split(":", 1)[1:]]


def redact(text: str) -> str:
    """Remove tokens and secrets from URLs, headers and messages before they reach a log, the
    database, a page or a notification: token query parameters, bearer headers, anything shaped
    like a Meta token (Meta echoes a malformed token in its error message) and every secret
    registered by ``register_secrets``."""
    out = TOKEN_SHAPE.sub("***", _BEARER.sub(r"\1***", _SECRET_QUERY.sub(r"\1***", text)))
    for secret in _registered:
        out = out.replace(secret, "***")
    return out


class GraphError(Exception):
    def __init__(
        self,
        kind: ErrorKind,
        *,
        code: int | None = None,
        subcode: int | None = None,
        message: str = "",
        fbtrace_id: str | None = None,
        http_status: int | None = None,
        retry_after_seconds: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        self.kind: ErrorKind = kind
        self.code = code
        self.subcode = subcode
        self.message = redact(message)
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.retry_after_seconds = retry_after_seconds
        # A write (POST, DELETE) whose outcome is unknown: Meta may have applied it although
        # it answered with an error or the connection broke. Never retried automatically.
        self.maybe_sent = maybe_sent
        super().__init__(self.short())

    def __str__(self) -> str:
        return self.short()  # follows maybe_sent when the client sets it after sorting

    @property
    def object_missing(self) -> bool:
        """100/33: the object is gone, or we may not see it (so confirm before acting)."""
        return self.code == 100 and self.subcode == 33

    def short(self) -> str:
        code = f" #{self.code}" if self.code is not None else ""
        sub = f"/{self.subcode}" if self.subcode is not None else ""
        trace = f" fbtrace_id={self.fbtrace_id}" if self.fbtrace_id else ""
        maybe = " (maybe sent)" if self.maybe_sent else ""
        return f"{self.kind}{code}{sub}: {self.message}{trace}{maybe}"

    def reason_vi(self) -> str:
        reason = _MAYBE_SENT_VI if self.maybe_sent else _REASONS_VI[self.kind]
        return f"{reason} ({self.short()})"


def kind_of(code: int | None, subcode: int | None, transient_flag: bool, status: int) -> ErrorKind:
    if code in TOKEN_CODES or subcode == 492:
        return "token"
    if code in THROTTLE_CODES:
        return "throttled"
    if transient_flag or code in TRANSIENT_CODES or status >= 500:
        return "transient"
    return "permanent"


def classify_error(status: int, body: Any, headers: Mapping[str, str]) -> GraphError:
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        kind: ErrorKind = "transient" if status >= 500 else "permanent"
        return GraphError(kind, http_status=status, message=f"HTTP {status} without error body")
    code = _int(err.get("code"))
    subcode = _int(err.get("error_subcode"))
    kind = kind_of(code, subcode, bool(err.get("is_transient")), status)
    return GraphError(
        kind,
        code=code,
        subcode=subcode,
        message=str(err.get("message", "")),
        fbtrace_id=err.get("fbtrace_id"),
        http_status=status,
        retry_after_seconds=regain_seconds(headers) if kind == "throttled" else None,
    )


def regain_seconds(headers: Mapping[str, str]) -> float | None:
    """Longest ``estimated_time_to_regain_access`` (minutes) in the usage headers, in seconds."""
    minutes = [u.get("estimated_time_to_regain_access", 0) for u in buc_entries(headers)]
    longest = max((m for m in minutes if isinstance(m, int | float)), default=0)
    return float(longest) * 60 if longest else None


def buc_entries(headers: Mapping[str, str]) -> list[dict[str, Any]]:
    """Flatten ``X-Business-Use-Case-Usage`` into entries carrying their business id."""
    raw = header(headers, "x-business-use-case-usage")
    if not raw:
        return []
    try:
        parsed = json.loads(raw)
    except ValueError:
        return []
    out: list[dict[str, Any]] = []
    if isinstance(parsed, dict):
        for business_id, entries in parsed.items():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    out.append({**entry, "business_id": str(business_id)})
    return out


def header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

"""``pakn doctor``: a read-only live check of a real page with its configured token.

Each probe reads the Graph API with GETs only and ends in a ``Finding`` (ok, warning, error or
skipped) that says what to do. What decides is a pure function of what was read, so each check
is tested on both answers to what Meta leaves open (comment order, ``from``, reels in the feed).
The daemon runs the token part daily (``monitor/token_watch.py``).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from config.settings import PageSettings
from monitor.alert_texts import when
from monitor.errors import GraphError, buc_entries, header
from monitor.graph import GraphClient
from monitor.normalize import PayloadError, parse_time

Status = Literal["ok", "warning", "error", "skipped"]
STATUS_VI: dict[Status, str] = {
    "ok": "ok",
    "warning": "cảnh báo",
    "error": "lỗi",
    "skipped": "bỏ qua",
}
EXPIRY_NOTICE = timedelta(days=7)
FOLDERS = ("inbox", "other", "page_done", "spam")
# Meta allows 2 Conversations API calls per second per Page; more gives error 613.
CONVERSATIONS_PAUSE = 0.6
SAMPLE_POSTS = 5
USAGE_WARNING = 75.0
COMMENT_PROBE = {
    "filter": "stream",
    "order": "reverse_chronological",
    "summary": "true",
    "limit": 25,
    "fields": "id,created_time,from{id,name}",
}
# The permissions pakn needs, and what stops working without each.
REQUIRED_PERMISSIONS: dict[str, str] = {
    "pages_read_engagement": "không đọc được bài đăng và bình luận của trang",
    "pages_read_user_content": "không đọc được bài, bình luận của người dân (hoặc mất tên "
    "người gửi)",
    "pages_manage_engagement": "cán bộ không trả lời công khai được dưới bình luận",
    "pages_messaging": "không đọc được tin nhắn Messenger, không trả lời riêng và không trả "
    "lời tin nhắn được",
    "pages_show_list": "không kiểm tra được đăng ký webhook của trang (subscribed_apps)",
    "pages_manage_metadata": "không đọc được hộp thư Messenger (Conversations API), không "
    "đăng ký webhook được",
}
CONNECTING = "README, mục “Connecting real fanpages”"
FIX_NEW_TOKEN = (
    f"Quản trị viên trang lấy mã truy cập trang mới ({CONNECTING}, bước 3), đặt vào biến môi "
    "trường mà access_token của trang trỏ tới, khởi động lại pakn rồi chạy lại pakn doctor."
)
FIX_DATA_ACCESS = (
    "Một quản trị viên trang đăng nhập lại ứng dụng bằng Facebook để gia hạn quyền truy cập dữ "
    "liệu thêm 90 ngày; lâu dài, dùng mã của người dùng hệ thống trong Business Manager "
    f"({CONNECTING}, bước 3)."
)
FIX_ASK_AS_APP = (
    "Chạy lại với --app-id ID_ỨNG_DỤNG (cùng graph.app_secret trong cấu hình) để hỏi "
    "debug_token bằng mã ứng dụng."
)
FIX_APP_ID = (
    "Kiểm tra --app-id và graph.app_secret: mã ứng dụng là app_id|app_secret của chính ứng "
    "dụng đã cấp mã trang (developers.facebook.com, Settings > Basic)."
)


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    title: str
    detail: str = ""
    fix: str = ""


@dataclass(frozen=True)
class TokenInfo:
    """What ``debug_token`` says; an expiry of None means none (Meta sends 0)."""

    is_valid: bool
    expires_at: datetime | None
    data_access_expires_at: datetime | None
    scopes: frozenset[str] | None
    error: str = ""


@dataclass
class CommentSample:
    """Recent comments of recent posts, and per post with two or more comments the times in
    the order served with ``summary.order``."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    orders: list[tuple[list[datetime], str | None]] = field(default_factory=list)


def pause(seconds: float) -> None:
    """Wait between Conversations API calls (the tests move their clock instead)."""
    time.sleep(seconds)


class Reader:
    """GETs for one page with its token; keeps every answer's headers for the usage check."""

    def __init__(
        self, client: GraphClient, page: PageSettings, sleep: Callable[[float], None] | None = None
    ) -> None:
        self.client, self.page = client, page
        self.token = page.access_token.reveal()
        self.headers: list[Mapping[str, str]] = []
        self.sleep = sleep or pause

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        resp = self.client.get(path, token or self.token, params)
        self.headers.append(resp.headers)
        return resp.data


def diagnose(
    client: GraphClient,
    page: PageSettings,
    now: datetime,
    *,
    app_token: str | None = None,
    sleep: Callable[[float], None] | None = None,
) -> list[Finding]:
    """Every check of one page, in the order of the report."""
    r = Reader(client, page, sleep)
    identity = check_identity(r)
    if identity.status == "error":
        # Nothing else can be read; an app token may still learn from Meta why.
        if not app_token:
            return [identity]
        return [identity, *token_findings(read_token(r, app_token), now, as_app=True)]
    token = read_token(r, app_token)
    scopes = token.scopes if isinstance(token, TokenInfo) and token.scopes is not None else None
    sample = read_comments(r)
    return [
        identity,
        *token_findings(token, now, as_app=app_token is not None),
        check_permissions(scopes if scopes is not None else read_permissions(r), page),
        check_from(sample, page.id),
        check_order(sample),
        probe_reels(r),
        probe_folders(r),
        probe_webhooks(r),
        check_usage(r.headers, page.id),
        check_version(client.served_version, client.settings.version),
    ]


# -- the token ------------------------------------------------------------------------------
def check_identity(r: Reader) -> Finding:
    try:
        me = r.get("me", {"fields": "id,name"})
    except GraphError as err:
        if err.kind == "token":
            title = "Mã truy cập của trang không dùng được"
            return Finding("token", "error", title, err.short(), FIX_NEW_TOKEN)
        return Finding("token", "error", "Không gọi được Graph API", err.reason_vi(), _fix_for(err))
    if str(me.get("id")) != r.page.id:
        detail = f"Mã trả về {me.get('name')} ({me.get('id')}); cấu hình ghi trang {r.page.id}."
        fix = "Lấy đúng mã của trang này từ GET /me/accounts (mã trang, không phải mã người dùng)."
        return Finding("token", "error", "Mã truy cập không phải của trang này", detail, fix)
    return Finding("token", "ok", f"Mã truy cập dùng được cho trang {me.get('name')}")


def read_token(r: Reader, app_token: str | None) -> TokenInfo | GraphError:
    """``debug_token`` asked with the app token when there is one, else with the page token."""
    try:
        data = r.get("debug_token", {"input_token": r.token}, token=app_token).get("data")
    except GraphError as err:
        return err
    if not isinstance(data, dict):
        return GraphError("permanent", message="debug_token: câu trả lời không có data")
    scopes = data.get("scopes")
    return TokenInfo(
        is_valid=data.get("is_valid") is True,
        expires_at=_unix(data.get("expires_at")),
        data_access_expires_at=_unix(data.get("data_access_expires_at")),
        scopes=_page_scopes(data, r.page.id) if isinstance(scopes, list) else None,
        error=str((data.get("error") or {}).get("message") or ""),
    )


def token_findings(info: TokenInfo | GraphError, now: datetime, *, as_app: bool) -> list[Finding]:
    if isinstance(info, GraphError):
        title = "Không đọc được hạn của mã truy cập (debug_token)"
        fix = FIX_APP_ID if as_app else FIX_ASK_AS_APP
        return [Finding("token_expiry", "warning", title, info.short(), fix)]
    return [check_token(info, now), check_data_access(info, now)]


def check_token(info: TokenInfo, now: datetime) -> Finding:
    if not info.is_valid:
        title = "Meta báo mã truy cập không còn hiệu lực"
        if info.expires_at is not None and info.expires_at <= now:
            title = f"Mã truy cập đã hết hạn lúc {when(info.expires_at)}"
        return Finding("token_expiry", "error", title, info.error, FIX_NEW_TOKEN)
    if info.expires_at is None:
        detail = (
            "Mã trang lấy từ mã người dùng dài hạn (hoặc của người dùng hệ thống) chỉ mất hiệu "
            "lực khi quản trị viên đổi mật khẩu hoặc mất quyền trên trang."
        )
        return Finding("token_expiry", "ok", "Mã truy cập không hết hạn theo thời gian", detail)
    return _expiry("token_expiry", "Mã truy cập", info.expires_at, now, FIX_NEW_TOKEN)


def check_data_access(info: TokenInfo, now: datetime) -> Finding:
    if info.data_access_expires_at is None:
        return Finding("data_access", "ok", "Quyền truy cập dữ liệu không có thời hạn")
    what = "Quyền truy cập dữ liệu"
    return _expiry("data_access", what, info.data_access_expires_at, now, FIX_DATA_ACCESS)


def _expiry(check: str, what: str, moment: datetime, now: datetime, fix: str) -> Finding:
    if moment <= now:
        return Finding(check, "error", f"{what} đã hết hạn lúc {when(moment)}", fix=fix)
    days = days_left(moment, now)
    if moment - now <= EXPIRY_NOTICE:
        return Finding(
            check, "warning", f"{what} hết hạn sau {days} ngày ({when(moment)})", fix=fix
        )
    detail = f"pakn báo quản trị viên {EXPIRY_NOTICE.days} ngày trước khi hết hạn."
    return Finding(check, "ok", f"{what} còn hạn đến {when(moment)} ({days} ngày)", detail)


def days_left(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now) / timedelta(days=1)))


def read_permissions(r: Reader) -> frozenset[str] | GraphError:
    try:
        rows = r.get("me/permissions").get("data") or []
    except GraphError as err:
        return err
    return frozenset(
        str(p.get("permission"))
        for p in rows
        if isinstance(p, dict) and p.get("status") == "granted"
    )


def check_permissions(scopes: frozenset[str] | GraphError, page: PageSettings) -> Finding:
    if isinstance(scopes, GraphError):
        title = "Không đọc được danh sách quyền đã cấp"
        return Finding("permissions", "warning", title, scopes.short(), FIX_ASK_AS_APP)
    missing = [p for p in REQUIRED_PERMISSIONS if p not in scopes]
    if not missing:
        detail = (
            "Mức truy cập (Standard hay Advanced) không đọc được qua API: kiểm tra “người gửi "
            "bình luận” bên dưới cho biết ứng dụng đã có Advanced Access chưa."
        )
        title = f"Đủ {len(REQUIRED_PERMISSIONS)} quyền pakn cần"
        return Finding("permissions", "ok", title, detail)
    optional = {"pages_messaging"} if not page.messenger else set()
    status: Status = "warning" if set(missing) <= optional else "error"
    detail = "\n".join(f"- {p}: {REQUIRED_PERMISSIONS[p]}" for p in missing)
    fix = (
        f"Quản trị viên trang kết nối lại ứng dụng và cấp đủ quyền ({CONNECTING}, bước 2), "
        "lấy mã trang mới rồi cập nhật access_token."
    )
    return Finding("permissions", status, f"Thiếu quyền: {', '.join(missing)}", detail, fix)


def _page_scopes(data: dict[str, Any], page_id: str) -> frozenset[str]:
    """Scopes that hold for this page: ``granular_scopes`` names the pages a scope covers."""
    scopes = {str(s) for s in data.get("scopes") or []}
    for entry in data.get("granular_scopes") or []:
        targets = entry.get("target_ids") if isinstance(entry, dict) else None
        if isinstance(targets, list) and page_id not in {str(t) for t in targets}:
            scopes.discard(str(entry.get("scope")))
    return frozenset(scopes)


# -- comments -------------------------------------------------------------------------------
def read_comments(r: Reader) -> CommentSample | GraphError:
    sample = CommentSample()
    try:
        feed = r.get(f"{r.page.id}/feed", {"fields": "id,created_time", "limit": 10})
        for post in (feed.get("data") or [])[:SAMPLE_POSTS]:
            page = r.get(f"{post['id']}/comments", COMMENT_PROBE)
            items = [c for c in page.get("data") or [] if isinstance(c, dict)]
            sample.comments += items
            times = _times(items)
            if len(set(times)) >= 2:
                sample.orders.append((times, (page.get("summary") or {}).get("order")))
    except GraphError as err:
        return err
    return sample


def _times(items: Sequence[dict[str, Any]]) -> list[datetime]:
    try:
        return [parse_time(c.get("created_time")) for c in items]
    except PayloadError:
        return []


def check_from(sample: CommentSample | GraphError, page_id: str) -> Finding:
    if isinstance(sample, GraphError):
        fix = "Kiểm tra quyền pages_read_engagement và pages_read_user_content ở trên."
        return Finding("from", "error", "Không đọc được bình luận", sample.short(), fix)
    citizens = [c for c in sample.comments if _sender(c) != page_id]
    hidden = [c for c in citizens if _sender(c) is None]
    if not citizens:
        title = f"Chưa có bình luận của người dân trong {SAMPLE_POSTS} bài gần nhất để kiểm tra"
        return Finding("from", "skipped", title)
    if not hidden:
        title = "Bình luận của người dân có người gửi (from)"
        return Finding("from", "ok", title, f"{len(citizens)} bình luận đã đọc đều có người gửi.")
    detail = f"{len(hidden)}/{len(citizens)} bình luận của người dân không có trường from."
    if len(hidden) < len(citizens):
        detail += " Các bình luận khác có: có thể là tài khoản đã khoá hoặc ẩn."
        return Finding("from", "ok", "Phần lớn bình luận có người gửi (from)", detail)
    detail += " pakn vẫn nhận bình luận nhưng ghi người gửi là “không rõ”."
    fix = (
        "Xin Advanced Access cho pages_read_engagement và pages_read_user_content qua App Review "
        "(kèm Business Verification); trước đó chỉ người có vai trò trong ứng dụng hiện tên."
    )
    title = "Bình luận không có người gửi: ứng dụng chưa có Advanced Access"
    return Finding("from", "warning", title, detail, fix)


def _sender(comment: dict[str, Any]) -> str | None:
    sender = comment.get("from")
    return str(sender.get("id")) if isinstance(sender, dict) and sender.get("id") else None


ORDER_VI = {
    "reverse_chronological": "mới trước",
    "chronological": "cũ trước",
    "ranked": "xếp hạng (không theo thời gian)",
}


def served_order(times: Sequence[datetime]) -> str:
    if list(times) == sorted(times, reverse=True):
        return "reverse_chronological"
    if list(times) == sorted(times):
        return "chronological"
    return "ranked"


def check_order(sample: CommentSample | GraphError) -> Finding:
    if isinstance(sample, GraphError) or not sample.orders:
        return Finding("order", "skipped", "Chưa có bài nào có từ 2 bình luận để xem thứ tự")
    times, summary = sample.orders[0]
    served = served_order(times)
    detail = (
        f"Đã xin order=reverse_chronological (filter=stream); Meta trả {ORDER_VI[served]}, "
        f"summary.order = {summary}."
    )
    if served == "ranked" or summary not in (None, served):
        fix = (
            "Không cần sửa gì trên trang. Gửi kết quả (pakn doctor --json) cho người vận hành "
            "pakn: cách đọc bài nhiều bình luận dựa vào thứ tự này."
        )
        title = "Thứ tự bình luận Meta trả không khớp với summary.order"
        return Finding("order", "warning", title, detail, fix)
    honoured = "tôn trọng" if served == "reverse_chronological" else "bỏ qua"
    return Finding("order", "ok", f"Trang {honoured} order=reverse_chronological", detail)


# -- reels, inbox folders, webhooks ----------------------------------------------------------
def probe_reels(r: Reader) -> Finding:
    try:
        reels = r.get(f"{r.page.id}/video_reels", {"fields": "id,created_time", "limit": 25})
        feed = r.get(f"{r.page.id}/feed", {"fields": "id,created_time", "limit": 100})
    except GraphError as err:
        return Finding("reels", "skipped", "Không đọc được /video_reels hoặc /feed", err.short())
    return check_reels(reels.get("data") or [], feed.get("data") or [])


def check_reels(reels: Sequence[dict[str, Any]], feed: Sequence[dict[str, Any]]) -> Finding:
    if not reels:
        return Finding("reels", "ok", "Trang chưa có reels")
    # Feed ids are "{page}_{object}"; a reel's id is the object id.
    in_feed = {str(p.get("id")).rpartition("_")[2] for p in feed} | {str(p.get("id")) for p in feed}
    oldest = min(_times(feed), default=None)
    # Only reels newer than the oldest post read can be expected in that part of the feed.
    recent = [x for x in reels if oldest is None or _times([x]) >= [oldest]]
    missing = [str(x.get("id")) for x in recent if str(x.get("id")) not in in_feed]
    if not missing:
        return Finding("reels", "ok", "Reels có trong /feed", f"{len(recent)} reels gần nhất.")
    detail = (
        f"{len(missing)}/{len(recent)} reels gần nhất không có trong /feed: bình luận trên reels "
        "chỉ đọc được qua /video_reels."
    )
    fix = (
        "Không cần sửa gì trên trang. Nếu bản pakn đang chạy chưa đọc /video_reels, bình luận "
        "trên reels bị sót: báo người vận hành pakn."
    )
    return Finding("reels", "warning", "Reels không có trong /feed", detail, fix)


def probe_folders(r: Reader) -> Finding:
    if not r.page.messenger:
        return Finding("folders", "skipped", "Trang không bật đọc Messenger (messenger: false)")
    counts: dict[str, int] = {}
    failed: dict[str, str] = {}
    for n, folder in enumerate(FOLDERS):
        if n:
            r.sleep(CONVERSATIONS_PAUSE)
        params = {"platform": "messenger", "folder": folder, "fields": "id", "limit": 25}
        try:
            counts[folder] = len(r.get(f"{r.page.id}/conversations", params).get("data") or [])
        except GraphError as err:
            failed[folder] = err.short()
    detail = "\n".join(
        [f"- {f}: {n} cuộc trò chuyện ở trang đầu" for f, n in counts.items()]
        + [f"- {f}: {e}" for f, e in failed.items()]
    )
    fix = "Cần quyền pages_messaging và pages_manage_metadata; người cấp mã phải có quyền nhắn tin."
    if "inbox" in failed:
        return Finding("folders", "error", "Không đọc được hộp thư Messenger", detail, fix)
    if failed:
        title = f"Thư mục hội thoại không trả lời: {', '.join(failed)}"
        return Finding("folders", "warning", title, detail, fix)
    return Finding("folders", "ok", f"Cả {len(FOLDERS)} thư mục hội thoại đều trả lời", detail)


def probe_webhooks(r: Reader) -> Finding:
    try:
        apps = r.get(f"{r.page.id}/subscribed_apps").get("data") or []
    except GraphError as err:
        fix = "Cần quyền pages_show_list và pages_manage_metadata."
        title = "Không đọc được đăng ký webhook (subscribed_apps)"
        return Finding("webhooks", "warning", title, err.short(), fix)
    if not apps:
        detail = "pakn đọc định kỳ nên vẫn đủ; webhook chỉ giúp nhận nhanh hơn."
        return Finding("webhooks", "ok", "Trang chưa đăng ký webhook cho ứng dụng nào", detail)
    detail = "\n".join(
        f"- {a.get('name')} ({a.get('id')}): {', '.join(a.get('subscribed_fields') or []) or '—'}"
        for a in apps
        if isinstance(a, dict)
    )
    return Finding("webhooks", "ok", f"Trang đã đăng ký webhook cho {len(apps)} ứng dụng", detail)


# -- usage and version ----------------------------------------------------------------------
def check_usage(headers: Sequence[Mapping[str, str]], page_id: str) -> Finding:
    """The latest figure of each budget the answers carried; none seen means unknown."""
    usage: dict[str, float] = {}
    for h in headers:
        for entry in buc_entries(h):
            if entry["business_id"] == page_id and entry.get("type") in ("pages", "messenger"):
                usage[str(entry["type"])] = _percent(entry)
        app = header(h, "x-app-usage")
        if app:
            with contextlib.suppress(ValueError, AttributeError):
                usage["ứng dụng"] = _percent(json.loads(app))
    names = ("pages", "messenger", "ứng dụng")
    title = "Mức dùng API: " + ", ".join(
        f"{n} {usage[n]:.0f} %" if n in usage else f"{n} chưa có số liệu" for n in names
    )
    if max(usage.values(), default=0.0) < USAGE_WARNING:
        return Finding("usage", "ok", title)
    fix = (
        "pakn tự giãn nhịp đọc khi mức dùng cao. Nếu kéo dài, kiểm tra các công cụ khác dùng "
        "cùng trang (đăng bài hẹn giờ, chatbot): hạn mức của trang dùng chung."
    )
    return Finding("usage", "warning", title, fix=fix)


def _percent(entry: Mapping[str, Any]) -> float:
    keys = ("call_count", "total_cputime", "total_time")
    return max(float(entry.get(k) or 0) for k in keys)


def check_version(served: str | None, pinned: str) -> Finding:
    if served is None:
        return Finding("version", "skipped", "Meta không cho biết phiên bản đã trả lời")
    if served == pinned:
        return Finding("version", "ok", f"Meta trả lời bằng {served}, đúng phiên bản đã ghim")
    detail = "Phiên bản ghim có thể đã hết hạn: Meta tự chuyển sang phiên bản cũ nhất còn dùng."
    fix = "Đặt graph.version thành phiên bản Meta còn hỗ trợ (README, mục Configuration)."
    title = f"Meta trả lời bằng {served}, không phải {pinned} đã ghim"
    return Finding("version", "warning", title, detail, fix)


def _fix_for(err: GraphError) -> str:
    if err.kind == "throttled":
        return "Facebook đang giới hạn số lần gọi của trang: chờ vài phút rồi chạy lại."
    if err.kind == "transient":
        return "Kiểm tra kết nối Internet của máy chủ tới graph.facebook.com rồi chạy lại."
    return (
        "Kiểm tra id trang và graph.app_secret trong cấu hình (Meta kiểm appsecret_proof bằng "
        "khoá này), và quyền của mã truy cập."
    )


def _unix(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value, UTC)

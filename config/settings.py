"""pakn settings: one YAML file plus environment overrides, parsed strictly.

``${VAR}`` in the file is read from the environment; when ``VAR`` is unset but ``VAR_FILE`` names
a file, the secret is read from that file (systemd credentials, Docker secrets). The environment
variables ``PAKN_CONFIG`` (path of the file), ``PAKN_DATABASE_URL`` and ``PAKN_GRAPH_URL`` override
the file.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from config.schema import ConfigError, Secret, build, mask_credentials, secret_values

DEFAULT_CONFIG_NAME = "pakn.yaml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class GraphSettings:
    base_url: str = "https://graph.facebook.com"
    version: str = "v25.0"
    app_secret: Secret | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 4
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    batch: bool = True


@dataclass(frozen=True)
class UnitSettings:
    id: str
    name: str
    kind: Literal["xa", "phuong", "dac_khu", "thanh_pho"] = "xa"


@dataclass(frozen=True)
class PageSettings:
    id: str
    name: str
    unit: str
    access_token: Secret
    messenger: bool = True
    comments: bool = True


@dataclass(frozen=True)
class PollSettings:
    overlap_minutes: int = 15
    sweep_interval_minutes: int = 360
    sweep_window_days: int = 90
    feed_page_limit: int = 25
    max_feed_pages: int = 8
    comments_page_limit: int = 100
    max_conversation_pages: int = 8
    lease_seconds: int = 300
    # The feed is ordered by creation: every post, reel and album photo younger than
    # watch_days is checked for new comments on its own schedule, by age.
    watch_days: int = 365
    hot_days: int = 7
    warm_days: int = 30
    warm_check_minutes: int = 10
    cold_check_minutes: int = 60
    conversation_sweep_minutes: int = 60
    messenger_calls_per_second: float = 2.0


@dataclass(frozen=True)
class ClassifierSettings:
    models_dir: str = ""
    review_below_confidence: float = 0.6


@dataclass(frozen=True)
class QueueSettings:
    # Items the classifier calls "khac" (small talk: "Vâng ạ", "cảm ơn ad") at least this sure
    # get no deadline and wait in the "không cần xử lý" view, swept in one action.
    small_talk_confidence: float = 0.8


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    secret_key: Secret | None = None
    secure_cookies: bool = False
    default_language: Literal["vi", "en"] = "vi"
    # Reverse proxies in front (nginx = 1) whose X-Forwarded-For/-Proto headers are trusted.
    trusted_proxies: int = 0
    # Requests served at once; each holds one database connection while it runs.
    threads: int = 8
    # How often an open page asks the server what changed (the live queue, review/live_views.py).
    live_poll_seconds: int = 10


@dataclass(frozen=True)
class WebhookSettings:
    # Meta's webhooks (``pakn webhook``): a low-latency complement, never a replacement, for
    # polling. Off without a public HTTPS address; graph.app_secret signs every delivery.
    enabled: bool = False
    verify_token: Secret | None = None
    host: str = "127.0.0.1"
    port: int = 8090
    max_body_bytes: int = 512 * 1024
    # While a page's webhooks are healthy (an event within the last 30 minutes), reconciliation
    # checks its objects this many times less often; 1 keeps the normal intervals. Polling never
    # stops: the first feed page is read every cycle and silence restores the intervals at once.
    reconcile_slowdown: int = 4


@dataclass(frozen=True)
class NotificationTarget:
    url: Secret
    events: list[str] = field(default_factory=lambda: ["urgent"])
    name: str = ""


# What a notification target can subscribe to; "page_down" also brings the "recovered" message.
ALERT_EVENTS = ("urgent", "digest", "page_down", "reply_failed")


@dataclass(frozen=True)
class AlertSettings:
    digest_time: str = "07:30"
    stale_poll_minutes: int = 30
    failures_before_alert: int = 3
    admin_targets: list[NotificationTarget] = field(default_factory=list)
    unit_targets: dict[str, list[NotificationTarget]] = field(default_factory=dict)
    # Thông tư 02/2021/TT-TTCP: quarterly and annual report data is cut off on the 14th of the
    # last month (Q1 runs 15/12 of the previous year to 14/3).
    report_quarter_cutoff_day: int = 14


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///pakn.db"
    data_dir: str = ""
    poll_interval_seconds: int = 60
    graph: GraphSettings = field(default_factory=GraphSettings)
    poll: PollSettings = field(default_factory=PollSettings)
    units: list[UnitSettings] = field(default_factory=list)
    pages: list[PageSettings] = field(default_factory=list)
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    web: WebSettings = field(default_factory=WebSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    deadlines_file: str = ""
    routing: dict[str, str] = field(default_factory=dict)
    # Where these settings were read from; not a setting itself.
    source: str = field(default="", metadata={"internal": True})

    def unit_ids(self) -> list[str]:
        ids = [u.id for u in self.units]
        ids += [p.unit for p in self.pages if p.unit not in ids]
        return ids

    def page(self, page_id: str) -> PageSettings | None:
        return next((p for p in self.pages if p.id == page_id), None)


def expand_env(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """Replace ``${VAR}`` in every string of a parsed YAML document.

    Every unset variable is reported at once, so a newcomer fixes them all in one go.
    """
    problems: list[ConfigError] = []
    expanded = _expand(value, env, path, problems)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConfigError(
            f"{len(problems)} biến môi trường chưa được đặt:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )
    return expanded


def _expand(value: Any, env: Mapping[str, str], path: str, problems: list[ConfigError]) -> Any:
    if isinstance(value, dict):
        return {
            k: _expand(v, env, f"{path}.{k}" if path else str(k), problems)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_expand(v, env, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            try:
                return _lookup(match.group(1), env, path)
            except ConfigError as exc:
                problems.append(exc)
                return ""

        return _VAR.sub(lookup, value)
    return value


def _lookup(name: str, env: Mapping[str, str], path: str) -> str:
    if name in env:
        return env[name]
    file_var = f"{name}_FILE"
    if file_var in env:
        try:
            return Path(env[file_var]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"{path}: không đọc được tệp bí mật {env[file_var]} ({file_var}): "
                f"{exc.strerror}. Kiểm tra đường dẫn và quyền đọc."
            ) from exc
    raise ConfigError(
        f"{path}: biến môi trường ${{{name}}} chưa được đặt (environment variable not set). "
        f"Đặt {name}=... hoặc {file_var}=/đường/dẫn/tệp trước khi chạy pakn."
    )


def parse(text: str, *, env: Mapping[str, str] | None = None, source: str = "") -> Settings:
    """Parse a YAML document into Settings, applying environment overrides.

    No error message quotes a secret of the document (config.schema.shown, then every secret
    value found in the document masked in whatever message comes out).
    """
    env = os.environ if env is None else env
    document = read_yaml(text, source) or {}
    raw = expand_env(document, env)
    if not isinstance(raw, dict):
        raise ConfigError(f"{source or 'cấu hình'}: tệp phải là một bảng khoá: giá trị (mapping).")
    raw = _apply_overrides(raw, env)
    try:
        settings = build(Settings, raw)
        _validate(settings)
    except ConfigError as exc:
        hidden = {*secret_values(raw), *_from_environment(document, raw)}
        # "from None": a traceback must not print the unmasked message of the original.
        raise ConfigError(_masked(str(exc), hidden)) from None
    return dataclasses.replace(settings, source=source)


def _from_environment(document: Any, expanded: Any) -> Iterator[str]:
    """The values that ``${VAR}`` brought in: secrets, as a rule, wherever they landed."""
    if isinstance(document, dict) and isinstance(expanded, dict):
        for key, value in document.items():
            yield from _from_environment(value, expanded.get(key))
    elif isinstance(document, list) and isinstance(expanded, list):
        for value, found in zip(document, expanded, strict=False):
            yield from _from_environment(value, found)
    elif isinstance(document, str) and "${" in document and isinstance(expanded, str):
        yield expanded


def _masked(message: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # shorter ones would mangle the message and protect nothing
            message = message.replace(secret, "***")
    return mask_credentials(message)


# A pakn.yaml is a few kilobytes; a bigger file is a mistake (or an attack on the parser).
MAX_CONFIG_BYTES = 1024 * 1024
# Nesting of pakn's own settings goes three levels deep; the margin is for comments' sake.
MAX_CONFIG_DEPTH = 20


class _ConfigLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader without aliases and with a nesting limit.

    pakn's settings need no ``&anchor``/``*alias`` (nor ``<<:`` merges, which use them), and
    aliases are what a "billion laughs" document multiplies: refusing every alias makes such a
    file fail at its first ``*`` instead of expanding. An anchor alone is harmless and allowed.
    """

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _RefusedYAML(f"tham chiếu *{event.anchor} (YAML alias)", event.start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_CONFIG_DEPTH:
                raise _RefusedYAML(f"lồng sâu quá {MAX_CONFIG_DEPTH} cấp", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _RefusedYAML(yaml.MarkedYAMLError):
    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


def read_yaml(text: str, source: str = "") -> Any:
    """The YAML document in ``text``, parsed safely: at most ``MAX_CONFIG_BYTES``, no aliases."""
    name = source or "cấu hình"
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES:
        raise _too_big(name)
    try:
        return yaml.load(text, Loader=_ConfigLoader)  # noqa: S506 - a SafeLoader subclass
    except _RefusedYAML as exc:
        raise ConfigError(
            f"{name}: {_where(exc)}: {exc.problem} không được hỗ trợ trong pakn.yaml. "
            "Viết đầy đủ giá trị ở từng chỗ thay vì dùng &neo / *tham chiếu (anchor/alias), "
            "và bớt lồng nhau."
        ) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(
            f"{name}: YAML không hợp lệ ở {_where(exc)}: {problem}. "
            "Kiểm tra thụt lề (dùng dấu cách, không dùng tab) và dấu hai chấm."
        ) from None


def _too_big(name: str) -> ConfigError:
    return ConfigError(
        f"{name}: tệp cấu hình lớn hơn {MAX_CONFIG_BYTES // 1024} KB, trong khi pakn.yaml chỉ "
        "cần vài KB. Kiểm tra xem có dán nhầm nội dung khác vào tệp không."
    )


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"dòng {mark.line + 1}, cột {mark.column + 1}" if mark else "không rõ vị trí"


def _apply_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    raw = dict(raw)
    if env.get("PAKN_DATABASE_URL"):
        raw["database_url"] = env["PAKN_DATABASE_URL"]
    if env.get("PAKN_GRAPH_URL"):
        graph = dict(raw.get("graph") or {})
        graph["base_url"] = env["PAKN_GRAPH_URL"]
        raw["graph"] = graph
    if env.get("PAKN_DATA_DIR"):
        raw["data_dir"] = env["PAKN_DATA_DIR"]
    return raw


# The database pool's connections (SQLAlchemy's 5 + 10 overflow): a thread more would wait.
MAX_WEB_THREADS = 15


def _validate(s: Settings) -> None:
    if s.poll_interval_seconds < 5:
        raise ConfigError("poll_interval_seconds: phải từ 5 giây trở lên để không bị Meta chặn.")
    _validate_alerts(s.alerts, {u.id for u in s.units} | {p.unit for p in s.pages})
    _validate_poll(s.poll)
    _validate_webhooks(s)
    if not 1 <= s.web.threads <= MAX_WEB_THREADS:
        raise ConfigError(
            f"web.threads: cần từ 1 đến {MAX_WEB_THREADS}, nhận {s.web.threads!r}. Mỗi luồng "
            "giữ một kết nối cơ sở dữ liệu; muốn phục vụ nhiều hơn, chạy thêm tiến trình web."
        )
    if not 2 <= s.web.live_poll_seconds <= 60:
        raise ConfigError(
            "web.live_poll_seconds: cần từ 2 đến 60 giây (mặc định 10), nhận "
            f"{s.web.live_poll_seconds!r}."
        )
    if not 0.5 <= s.queue.small_talk_confidence <= 1:
        raise ConfigError(
            "queue.small_talk_confidence: cần một số từ 0.5 đến 1 (mặc định 0.8; 1 gần như tắt "
            f"việc xếp riêng lời chào, cảm ơn), nhận {s.queue.small_talk_confidence!r}."
        )
    if not re.fullmatch(r"v\d+\.\d+", s.graph.version):
        raise ConfigError(f"graph.version: cần dạng v25.0, nhận được {s.graph.version!r}")
    seen: set[str] = set()
    unit_ids = {u.id for u in s.units}
    for i, page in enumerate(s.pages):
        if not page.id.isdigit():
            raise ConfigError(f"pages[{i}].id: mã trang (page id) chỉ gồm chữ số, nhận {page.id!r}")
        if page.id in seen:
            raise ConfigError(f"pages[{i}].id: trang {page.id} được khai báo hai lần.")
        seen.add(page.id)
        if not page.access_token:
            raise ConfigError(
                f"pages[{i}].access_token: trang {page.id} ({page.name}) chưa có mã truy cập. "
                "Thêm access_token: ${TEN_BIEN} và đặt biến môi trường đó."
            )
        if unit_ids and page.unit not in unit_ids:
            raise ConfigError(
                f"pages[{i}].unit: đơn vị {page.unit!r} không có trong 'units' "
                f"({', '.join(sorted(unit_ids))})."
            )


def _validate_webhooks(s: Settings) -> None:
    if s.webhooks.reconcile_slowdown < 1:
        raise ConfigError(
            "webhooks.reconcile_slowdown: phải là số nguyên từ 1 trở lên (1 = kiểm tra lại với "
            "chu kỳ bình thường dù webhook đang hoạt động)."
        )
    if not s.webhooks.enabled:
        return
    if not s.webhooks.verify_token:
        raise ConfigError(
            "webhooks.verify_token: bật webhooks thì phải có chuỗi xác minh (chọn một chuỗi ngẫu "
            "nhiên, đặt vào biến môi trường, ví dụ ${FB_WEBHOOK_VERIFY_TOKEN}, và nhập cùng chuỗi "
            "đó ở mục Webhooks của ứng dụng Meta)."
        )
    if not s.graph.app_secret:
        raise ConfigError(
            "graph.app_secret: bật webhooks thì phải có khoá bí mật của ứng dụng Meta (để kiểm "
            "tra chữ ký X-Hub-Signature-256 của mỗi lần gửi)."
        )


def _validate_poll(p: PollSettings) -> None:
    if not 1 <= p.hot_days <= p.warm_days <= p.watch_days:
        raise ConfigError(
            "poll.hot_days, poll.warm_days, poll.watch_days: cần 1 ≤ hot_days ≤ warm_days ≤ "
            f"watch_days (ví dụ 7, 30, 365), nhận {p.hot_days}, {p.warm_days}, {p.watch_days}."
        )
    for name in ("warm_check_minutes", "cold_check_minutes", "conversation_sweep_minutes"):
        if getattr(p, name) < 1:
            raise ConfigError(f"poll.{name}: cần ít nhất 1 phút, nhận {getattr(p, name)!r}.")
    if p.messenger_calls_per_second < 0:
        raise ConfigError(
            "poll.messenger_calls_per_second: cần số không âm (Meta cho 2 lần/giây mỗi trang; "
            f"0 = không giới hạn), nhận {p.messenger_calls_per_second!r}."
        )


def _validate_alerts(a: AlertSettings, unit_ids: set[str]) -> None:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", a.digest_time):
        raise ConfigError(
            f'alerts.digest_time: cần giờ dạng "HH:MM" (ví dụ "07:30"), nhận {a.digest_time!r}'
        )
    if not 1 <= a.report_quarter_cutoff_day <= 28:
        raise ConfigError(
            "alerts.report_quarter_cutoff_day: cần một ngày từ 1 đến 28 (mặc định 14 theo "
            f"Thông tư 02/2021/TT-TTCP), nhận {a.report_quarter_cutoff_day!r}"
        )
    targets = [(f"alerts.admin_targets[{i}]", t) for i, t in enumerate(a.admin_targets)]
    for unit, unit_list in a.unit_targets.items():
        if unit_ids and unit not in unit_ids:
            raise ConfigError(
                f"alerts.unit_targets.{unit}: đơn vị không có trong 'units' hoặc 'pages' "
                f"({', '.join(sorted(unit_ids))})."
            )
        targets += [(f"alerts.unit_targets.{unit}[{i}]", t) for i, t in enumerate(unit_list)]
    for where, target in targets:
        unknown = [e for e in target.events if e not in ALERT_EVENTS]
        if unknown:
            raise ConfigError(
                f"{where}.events: sự kiện {unknown[0]!r} không hỗ trợ; dùng một hoặc nhiều trong "
                f"{', '.join(ALERT_EVENTS)}."
            )
        if not target.url:
            raise ConfigError(
                f"{where}.url: chưa có địa chỉ Apprise (ví dụ mailtos://user:pass@smtp.example.org"
                " hoặc tgram://bottoken/chatid); đặt biến môi trường tương ứng."
            )


def config_path(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if env.get("PAKN_CONFIG"):
        return Path(env["PAKN_CONFIG"])
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else None


def load(path: str | Path | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Load settings from ``path`` (or ``PAKN_CONFIG``, or ./pakn.yaml); defaults if none."""
    env = os.environ if env is None else env
    resolved = config_path(str(path) if path else None, env)
    if resolved is None:
        return parse("{}", env=env, source="")
    try:
        if resolved.stat().st_size > MAX_CONFIG_BYTES:
            raise _too_big(str(resolved))
        text = resolved.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"Không tìm thấy tệp cấu hình {resolved}. Tạo tệp từ mẫu bằng "
            f"'pakn config init {resolved}' hoặc đặt PAKN_CONFIG=/đường/dẫn/pakn.yaml."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{resolved}: tệp phải được lưu dạng UTF-8.") from exc
    return parse(text, env=env, source=str(resolved))


def default_data_dir(settings: Settings) -> Path:
    if settings.data_dir:
        return Path(settings.data_dir).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pakn"


def models_dir(settings: Settings) -> Path:
    if settings.classifier.models_dir:
        return Path(settings.classifier.models_dir).expanduser()
    if os.environ.get("PAKN_MODELS_DIR"):
        return Path(os.environ["PAKN_MODELS_DIR"])
    return default_data_dir(settings) / "models"


def example_config_text() -> str:
    from importlib.resources import files

    return (files("config") / "example.yaml").read_text(encoding="utf-8")

"""Strict conversion of parsed YAML into typed, frozen dataclasses.

Every error names the key path (``pages[1].access_token``) and says what was expected, so a
commune IT officer can fix the file without reading code. An error never quotes a secret: the
value of a secret-shaped key (``access_token``, ``app_secret``, ``secret_key``, a password) is
described by its kind only, a URL's user and password are masked, and a list or mapping is
named, not printed (it may hold a token). See ``shown``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")

# Keys whose values are secrets: never quoted in an error, whatever their type.
_SECRET_KEY = re.compile(r"token|secret|passw|credential|proof|(^|_)key$", re.IGNORECASE)
# Keys whose values are URLs: quoted with their user and password masked.
_URL_KEY = re.compile(r"(^|_)(url|dsn)$", re.IGNORECASE)
# A Meta access token (user, page or app token): "EAA" and many base64url characters.
TOKEN_SHAPE = re.compile(r"EAA[A-Za-z0-9_\-]{16,}")
# "scheme://user:password@host": the part before "@" is a credential.
URL_CREDENTIALS = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s'\"]+@")
_PATH_TAIL = re.compile(r"([^.\[\]]+)(\[\d+\])*$")


class ConfigError(ValueError):
    """A configuration problem; the message names the key and the fix."""


class Secret:
    """A string that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


def mask_credentials(text: str) -> str:
    """``text`` with URL credentials and Meta tokens replaced by ``***``."""
    return TOKEN_SHAPE.sub("***", URL_CREDENTIALS.sub(r"\1***@", text))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    kinds: dict[type, str] = {dict: "một bảng khoá (mapping)", list: "một danh sách (list)"}
    kinds |= {str: "một chuỗi", int: "một số nguyên", float: "một số", Secret: "một chuỗi bí mật"}
    if value is None:
        return "giá trị rỗng (null)"
    return kinds.get(type(value), type(value).__name__)


def secret_key(path: str) -> bool:
    """Whether the key at ``path`` (``pages[0].access_token``) holds a secret."""
    found = _PATH_TAIL.search(path)
    return bool(found and _SECRET_KEY.search(found.group(1)))


def shown(value: Any, path: str) -> str:
    """How an error message quotes ``value`` found at ``path``: never a secret.

    A secret-shaped key's value is described by its kind ("một số nguyên, giá trị ẩn vì là bí
    mật"); a mapping or a list by its kind (it may hold a token); anything else is quoted with
    URL credentials and token-shaped strings masked.
    """
    if isinstance(value, Secret) or secret_key(path):
        return f"{_kind(value)} (giá trị được ẩn vì là thông tin bí mật)"
    if isinstance(value, dict | list):
        return _kind(value)
    return mask_credentials(repr(value))


def secret_values(raw: Any, path: str = "") -> Iterator[str]:
    """Every secret in a parsed document: the values of secret-shaped keys, the credentials of
    URLs. The loader masks them in any error message, whoever wrote it."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            yield from secret_values(value, f"{path}.{key}" if path else str(key))
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            yield from secret_values(value, f"{path}[{i}]")
    elif secret_key(path) and isinstance(raw, str | int | float) and not isinstance(raw, bool):
        yield str(raw)
    elif isinstance(raw, str):
        for url in re.finditer(URL_CREDENTIALS, raw):
            credentials = url.group(0)[len(url.group(1)) : -1]
            yield credentials
            yield from credentials.split(":", 1)[1:]  # the password alone


def _type_name(tp: Any) -> str:
    names = {str: "chuỗi (string)", int: "số nguyên (integer)", float: "số (number)"}
    names |= {bool: "true/false", Secret: "chuỗi bí mật (secret string)"}
    if tp in names:
        return names[tp]
    return getattr(tp, "__name__", str(tp))


def _convert_scalar(value: Any, tp: Any, path: str) -> Any:
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str | int) and not isinstance(value, bool):
            # Page ids are digits; YAML turns an unquoted id into an int.
            return str(value)
    elif tp is Secret:
        if isinstance(value, str):
            return Secret(value)
    else:  # pragma: no cover - programming error in a settings class
        raise TypeError(f"unsupported settings type {tp!r} at {path}")
    raise ConfigError(f"{path}: cần {_type_name(tp)}, nhận được {shown(value, path)}")


def convert(value: Any, tp: Any, path: str) -> Any:
    """Convert ``value`` to the annotated type ``tp`` or raise ConfigError naming ``path``."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return convert(value, args[0], path)
    if origin is typing.Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(
                f"{path}: phải là một trong {list(allowed)}, nhận được {shown(value, path)}"
            )
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{path}: cần một danh sách (list), nhận được {shown(value, path)}")
        (item_tp, *_) = get_args(tp)
        items = [convert(v, item_tp, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (dict, Mapping):
        if not isinstance(value, dict):
            raise ConfigError(
                f"{path}: cần một bảng khoá: giá trị (mapping), nhận được {shown(value, path)}"
            )
        key_tp, val_tp = get_args(tp)
        return {
            convert(k, key_tp, f"{path}"): convert(v, val_tp, f"{path}.{k}")
            for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp):
        return build(typing.cast(type[Any], tp), value, path)
    return _convert_scalar(value, tp, path)


def build(cls: type[T], data: Any, path: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, refusing unknown keys and wrong types."""
    where = path or "tệp cấu hình"
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{where}: cần một bảng khoá: giá trị (mapping), nhận được {shown(data, path)}"
        )
    hints = get_type_hints(cls)
    fields = {
        f.name: f
        for f in dataclasses.fields(typing.cast(Any, cls))
        if not f.metadata.get("internal")
    }
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = unknown[0]
        hint = difflib.get_close_matches(str(key), list(fields), n=1)
        suggestion = f"; có phải ý bạn là '{hint[0]}'?" if hint else ""
        known = ", ".join(fields)
        raise ConfigError(
            f"{mask_credentials(_join(path, str(key)))}: khoá không được hỗ trợ (unknown key)"
            f"{suggestion} "
            f"Các khoá hợp lệ: {known}."
        )
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        key_path = _join(path, name)
        if name in data:
            kwargs[name] = convert(data[name], hints[name], key_path)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{key_path}: thiếu khoá bắt buộc (required key missing)")
    return cls(**kwargs)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key

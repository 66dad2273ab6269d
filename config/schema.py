"""Strict conversion of parsed YAML into typed, frozen dataclasses.

Every error names the key path (``pages[1].access_token``) and says what was expected, so a
commune IT officer can fix the file without reading code.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


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
    raise ConfigError(f"{path}: cần {_type_name(tp)}, nhận được {value!r}")


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
            raise ConfigError(f"{path}: phải là một trong {list(allowed)}, nhận được {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{path}: cần một danh sách (list), nhận được {value!r}")
        (item_tp, *_) = get_args(tp)
        items = [convert(v, item_tp, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (dict, Mapping):
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: cần một bảng khoá: giá trị (mapping), nhận được {value!r}")
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
        raise ConfigError(f"{where}: cần một bảng khoá: giá trị (mapping), nhận được {data!r}")
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
            f"{_join(path, str(key))}: khoá không được hỗ trợ (unknown key){suggestion} "
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

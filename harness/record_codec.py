"""JSON for frozen dataclasses, driven by their type hints.

`encode(record)` turns a dataclass tree into JSON values (enums by value, tuples as lists);
`decode(cls, obj)` builds it back and checks every value against its annotation. A key
missing from `obj` takes the field's default (so a record can grow a field without
breaking older files); a missing field without a default, or a value of the wrong type,
raises RecordError naming the field's path (e.g. "dataset.fingerprint").
"""
from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import lru_cache
from typing import Any, Union


class RecordError(ValueError):
    """A JSON value that does not fit the record; the message starts with the field's path."""


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(encode(k)): encode(v) for k, v in value.items()}
    return value


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode(cls: type, obj: Any, path: str = "") -> Any:
    """Build a `cls` dataclass from JSON `obj`; raises RecordError naming the bad field."""
    if not isinstance(obj, dict):
        raise RecordError(f"{path or 'record'}: expected an object, got {type(obj).__name__}")
    hints, values = _hints(cls), {}
    for f in dataclasses.fields(cls):
        where = f"{path}.{f.name}" if path else f.name
        if f.name in obj:
            values[f.name] = _value(hints[f.name], obj[f.name], where)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise RecordError(f"{where}: missing")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"{path or cls.__name__}: {exc}") from None


def _value(hint: Any, value: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _value(option, value, where)
            except RecordError as exc:
                errors.append(str(exc))
        raise RecordError(errors[0] if len(errors) == 1 else f"{where}: {value!r} fits none of {hint}")
    if origin is tuple:
        _expect(value, list, where)
        item = args[0]
        return tuple(_value(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        _expect(value, dict, where)
        key_t, val_t = args
        return {_value(key_t, k, where): _value(val_t, v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return decode(hint, value, where)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            choices = ", ".join(str(m.value) for m in hint)
            raise RecordError(f"{where}: {value!r} is not one of {choices}") from None
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RecordError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint in (int, str, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise RecordError(f"{where}: expected {hint.__name__}, got {value!r}")
        return value
    raise TypeError(f"{where}: no JSON decoding for {hint!r}")  # a record declared a type we cannot read


def _expect(value: Any, kind: type, where: str) -> None:
    if not isinstance(value, kind):
        raise RecordError(f"{where}: expected {'a list' if kind is list else 'an object'}, got {value!r}")

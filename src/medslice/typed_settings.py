"""Typed settings: a parameter block as a frozen dataclass, checked once, with "did you mean" on unknown keys.

A settings class is a frozen dataclass that derives from :class:`Settings` and names its block in
``WHERE``. Its field defaults are the one place a default lives. Building one, ``Cls(**mapping)`` (which
is how Kedro turns a ``params:`` input annotated with the class into an object) or ``Cls.from_dict``,

- refuses a key that is no field, with the closest field as "did you mean";
- refuses a missing required field;
- checks each value against the field's annotation (``int``, ``float``, ``bool``, ``str``, ``X | None``,
  ``Literal[...]``, ``tuple[X, ...]``, ``dict[...]``, and nested settings classes, built from their
  mapping), naming the key as ``<block>.<field>``.

Errors are :class:`SettingsValueError`. This module imports nothing from Kedro.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Shards(Settings):
...     WHERE = "embedding"
...     shard_size: int = 4096
>>> Shards.from_dict({"shard_size": 128}).shard_size
128
>>> try:
...     Shards.from_dict({"shard_sise": 128})
... except SettingsValueError as error:
...     print(error)
embedding has unknown key(s) ['shard_sise'] (did you mean embedding.shard_size?); known: ['shard_size']
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, TypeVar, get_args, get_origin

from medslice.errors import BadValueError, unknown_keys_message

SettingsT = TypeVar("SettingsT", bound="Settings")


class SettingsValueError(BadValueError):
    """A parameter block holds an unknown key, misses a required one, or a value of the wrong type."""


def unknown_keys_error(unknown: list[str], known: list[str], where: str) -> SettingsValueError:
    """The one "did you mean" message for keys of block ``where`` outside ``known``."""
    return SettingsValueError(unknown_keys_message(unknown, known, where))


class Settings:
    """Base of medslice's typed settings: derive a frozen dataclass from it and set ``WHERE``."""

    WHERE: ClassVar[str] = "settings"

    def __new__(cls, *args: Any, **values: Any) -> Any:
        # Runs before the dataclass __init__, so an unknown or missing key is named with "did you mean"
        # instead of Python's "unexpected keyword argument". Unpickling calls it with no values.
        if values or args:
            cls._check_keys(values, n_positional=len(args))
        return super().__new__(cls)

    @classmethod
    def _check_keys(cls, values: Mapping[str, Any], n_positional: int = 0) -> None:
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        names = [field.name for field in fields]
        unknown = sorted(str(key) for key in values if key not in names)
        if unknown:
            raise unknown_keys_error(unknown, names, cls.WHERE)
        given = set(names[:n_positional]) | set(values)
        for field in fields:
            required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
            if field.init and required and field.name not in given:
                raise SettingsValueError(f"{cls.WHERE}.{field.name} is required")

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            checked = coerce(value, hints[field.name], f"{self.WHERE}.{field.name}")
            if checked is not value:
                object.__setattr__(self, field.name, checked)

    @classmethod
    def from_dict(cls: type[SettingsT], mapping: Mapping[str, Any] | None) -> SettingsT:
        """Build the settings from a parameter block (``None``: every default)."""
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, Mapping):
            raise SettingsValueError(f"{cls.WHERE} must be a mapping of settings, got {mapping!r}")
        values = {str(key): value for key, value in mapping.items()}
        cls._check_keys(values)
        return cls(**values)

    @classmethod
    def of(cls: type[SettingsT], value: SettingsT | Mapping[str, Any] | None) -> SettingsT:
        """``value`` itself when it already is these settings, else :meth:`from_dict` of it.

        For callers that may hold the raw parameter block (a hook reading the catalog, a notebook).
        """
        return value if isinstance(value, cls) else cls.from_dict(value)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain mapping, nested settings included (for records and reports)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]


def _describe(expected: Any) -> str:
    return getattr(expected, "__name__", None) or str(expected).replace("typing.", "")


def coerce(value: Any, expected: Any, where: str) -> Any:
    """``value`` checked against the annotation ``expected``; lists become tuples where a tuple is declared.

    Raises :class:`SettingsValueError` naming ``where`` when it does not fit.
    """
    origin = get_origin(expected)
    if expected is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = get_args(expected)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return coerce(value, option, where)
            except SettingsValueError as error:
                errors.append(error)
        raise SettingsValueError(f"{where} must be {_describe(expected)}, got {value!r}")
    if origin is Literal:
        if value not in get_args(expected):
            raise SettingsValueError(f"{where} must be one of {list(get_args(expected))}, got {value!r}")
        return value
    if isinstance(expected, type) and issubclass(expected, Settings):
        if isinstance(value, expected):
            return value
        if not isinstance(value, Mapping):
            raise SettingsValueError(f"{where} must be a mapping of settings, got {value!r}")
        return expected.from_dict(value)
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise SettingsValueError(f"{where} must be a list, got {value!r}")
        item = get_args(expected)[0] if get_args(expected) else Any
        return tuple(coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping) or expected in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise SettingsValueError(f"{where} must be a mapping, got {value!r}")
        return value
    if expected is bool:
        if not isinstance(value, bool):
            raise SettingsValueError(f"{where} must be true or false, got {value!r}")
        return value
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsValueError(f"{where} must be an integer, got {value!r}")
        return value
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsValueError(f"{where} must be a number, got {value!r}")
        return float(value)
    if expected is str:
        if not isinstance(value, str):
            raise SettingsValueError(f"{where} must be a string, got {value!r}")
        return value
    return value

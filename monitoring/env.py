"""What the two settings classes share (:mod:`monitoring.config`, :mod:`ui.config`): read one from
the environment with errors that name the variable, list its variables with their defaults and
descriptions (``--show-config``, the README table), and show current values without secrets.

Only pydantic and pydantic-settings: no mlflow, no training code.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import NamedTuple, TypeVar

from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parent.parent
S = TypeVar("S", bound=BaseSettings)


class ConfigError(ValueError):
    """A setting is invalid; the message names its environment variable (never a secret's value)."""


class Row(NamedTuple):
    variable: str  # the environment variable
    default: str  # as a person would write it ("unset" when there is none)
    description: str


def env_var(cls: type[BaseSettings], name: str) -> str:
    """The environment variable of field ``name``: its alias, or the class's prefix + the name."""
    alias = cls.model_fields[name].validation_alias
    if isinstance(alias, str):
        return alias
    return f"{cls.model_config.get('env_prefix') or ''}{name}".upper()


def is_secret(field: FieldInfo) -> bool:
    return field.annotation is SecretStr or SecretStr in typing.get_args(field.annotation)


def read(cls: type[S], **overrides) -> S:
    """A fresh ``cls`` from the environment; ``overrides`` (by field name, e.g. command-line
    options) win over it. An invalid value raises :class:`ConfigError` naming the variable."""
    try:
        return cls(**overrides)
    except ValidationError as e:
        raise ConfigError(explain(cls, e, given=set(overrides))) from None  # pydantic's message repeats inputs


def explain(cls: type[BaseSettings], error: ValidationError, given: set[str] = frozenset()) -> str:
    """One line naming each invalid setting by its variable (by its field name when it was given
    directly, e.g. as an option), with the value unless it is a secret."""
    by_key = {}
    for name, field in cls.model_fields.items():
        by_key[name] = name
        if isinstance(field.validation_alias, str):
            by_key[field.validation_alias] = by_key[field.validation_alias.lower()] = name
    problems: dict[str, list[str]] = {}
    for e in error.errors(include_url=False):
        name = by_key.get(str(e["loc"][0])) if e["loc"] else None
        if name is None:
            problems.setdefault("settings", []).append(e["msg"])
            continue
        field = cls.model_fields[name]
        value = "" if is_secret(field) else f"={e['input']!r}"  # a secret's value is never repeated
        where = name if name in given else env_var(cls, name)
        problems.setdefault(f"{where}{value}", []).append(e["msg"].removeprefix("Value error, "))
    return "invalid setting: " + "; ".join(f"{where}: {' or '.join(msgs)}" for where, msgs in problems.items())


def shown(value, in_repo: bool = False) -> str:
    """A value as ``--show-config`` and the README write it; a secret is only "set". ``in_repo``:
    a path inside the repository is written relative to it (``./feedback``), as in the README."""
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "set"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    if isinstance(value, Path) and in_repo:
        try:
            return f"./{value.resolve().relative_to(ROOT)}"
        except ValueError:
            return str(value)
    return str(value)


def rows(cls: type[BaseSettings]) -> list[Row]:
    """(variable, default, description) for every setting of ``cls``, in declaration order."""
    return [Row(env_var(cls, name), shown(field.get_default(call_default_factory=True), in_repo=True),
                field.description or "")
            for name, field in cls.model_fields.items()]


def show(settings: BaseSettings, title: str) -> str:
    """The current values as an aligned table: variable, value (secrets: set/unset), description."""
    cls = type(settings)
    table = [(env_var(cls, name), shown(getattr(settings, name)), field.description or "")
             for name, field in cls.model_fields.items()]
    width = [max(len(r[i]) for r in table) for i in (0, 1)]
    lines = [title] + [f"  {v:<{width[0]}}  {value:<{width[1]}}  {d}" for v, value, d in table]
    return "\n".join(lines)

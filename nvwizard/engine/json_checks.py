"""Reading JSON records back into typed models: every field taken once, with its type checked.

The journal's events (engine/events.py) and the state file (engine/state.py) are written by
nvwizard alone, so anything else in them (a renamed or missing field, a wrong type, a truncated
or edited file) is damage: it raises `RecordFormatError` naming the field, and the reader turns
that into a one-line report. Nothing guesses a default.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

Check = Callable[[object], bool]


class RecordFormatError(ValueError):
    """A record that is not what nvwizard writes; the message names what is wrong."""


def short(value: object, limit: int = 60) -> str:
    """`value` for an error message, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def require_object(obj: object, where: str) -> dict:
    if type(obj) is not dict:
        raise RecordFormatError(f"{_at(where)}expected a JSON object, found {short(obj)}")
    return obj


def require_keys(
    obj: dict,
    where: str,
    required: Collection[str],
    optional: Collection[str] = (),
    error: type[RecordFormatError] = RecordFormatError,
) -> None:
    """Every `required` key present, nothing outside `required` and `optional`."""
    missing = sorted(k for k in required if k not in obj)
    unexpected = sorted(str(k) for k in obj if k not in required and k not in optional)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing " + _some(missing))
        if unexpected:
            parts.append("unexpected " + _some(unexpected))
        raise error(_at(where) + "; ".join(parts))


def _some(keys: list[str], shown: int = 4) -> str:
    """'a', 'b', 'c', 'd' and 3 more"""
    text = ", ".join(short(k, 30) for k in keys[:shown])
    return text + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


def typed(
    obj: dict,
    key: str,
    check: Check,
    what: str,
    where: str,
    error: type[RecordFormatError] = RecordFormatError,
) -> Any:
    """`obj[key]` when `check` accepts it; RecordFormatError saying what it must be."""
    value = obj[key]
    if not check(value):
        raise error(f"{_at(where)}{key!r} must be {what}, not {short(value)}")
    return value


# -- the checks (bool is an int in Python, never a number in a record) ----------------------


def is_text(value: object) -> bool:
    return type(value) is str


def is_optional_text(value: object) -> bool:
    return value is None or type(value) is str


def is_integer(value: object) -> bool:
    return type(value) is int


def is_optional_integer(value: object) -> bool:
    return value is None or type(value) is int


def is_number(value: object) -> bool:
    return type(value) is float or type(value) is int


def is_optional_number(value: object) -> bool:
    return value is None or is_number(value)


# The numbers below are checked for a range, not only a type: JSON allows 1e300 and 2**70, and
# Python's reader NaN and Infinity (which no comparison accepts), none of which nvwizard
# writes; `status --json` would print NaN. The times nvwizard records are seconds since 1970
# (time.time()): one outside [1970, 3000) is damage, and would make time.localtime and
# datetime.fromtimestamp raise.
LATEST_TIME = 32503680000.0  # 3000-01-01 UTC
WHEN = "a time (seconds since 1970, before the year 3000)"


def is_time(value: object) -> bool:
    """A time nvwizard could have recorded (NaN compares false, so it is refused too)."""
    return is_number(value) and 0 <= value <= LATEST_TIME  # type: ignore[operator]


def is_optional_time(value: object) -> bool:
    return value is None or is_time(value)


def is_percent(value: object) -> bool:
    return is_number(value) and 0 <= value <= 100  # type: ignore[operator]


def is_duration(value: object) -> bool:
    return is_number(value) and 0 <= value <= LATEST_TIME  # type: ignore[operator]


def is_boolean(value: object) -> bool:
    return type(value) is bool


def is_texts(value: object) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def is_optional_texts(value: object) -> bool:
    return value is None or is_texts(value)

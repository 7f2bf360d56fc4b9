"""The envelope every journal record of an event shares, read strictly.

A record is

    {"kind": "<kind>", "step": <step id or null>, "data": {<the event's fields>}, "time": <epoch>}

Each event class (events.py) reads its record with `plan_envelope` (an event of the whole plan:
"step" null) or `step_envelope` (a step's event), which check exactly these four keys, the
step, that "data" has exactly the event's keys and a sane time, then `typed_field` per field.
Anything off raises `EventFormatError` naming the kind and the field; nothing guesses a default.
"""

from __future__ import annotations

from typing import Any

from nvwizard.engine.json_checks import (
    WHEN,
    Check,
    RecordFormatError,
    is_text,
    is_time,
    require_keys,
    short,
    typed,
)

ENVELOPE_KEYS = frozenset({"kind", "step", "data", "time"})


class EventFormatError(RecordFormatError):
    """A journal record that is not a well-formed event; the message names what is wrong."""


def plan_envelope(
    obj: dict, kind: str, keys: frozenset[str], step_ok: Check | None = None
) -> tuple[dict, float]:
    """(data, time) of an event of the whole plan ("step" null) whose data has exactly `keys`."""
    where = f"{kind} event"
    if type(obj) is not dict:
        raise EventFormatError(f"{where}: not an event record: {short(obj)}")
    if obj.keys() != ENVELOPE_KEYS:
        require_keys(obj, where, ENVELOPE_KEYS, error=EventFormatError)
    step, data, at = obj["step"], obj["data"], obj["time"]
    if step_ok is not None and not step_ok(step):
        raise EventFormatError(f"{where}: 'step' must be a step id, not {short(step)}")
    if step_ok is None and step is not None:
        raise EventFormatError(f"{where}: 'step' must be null, not {short(step)}")
    if type(data) is not dict:
        raise EventFormatError(f"{where}: 'data' must be an object, not {short(data)}")
    if data.keys() != keys:
        require_keys(data, f"{where} data", keys, error=EventFormatError)
    if not is_time(at):
        raise EventFormatError(f"{where}: 'time' must be {WHEN}, not {short(at)}")
    return data, float(at)


def step_envelope(obj: dict, kind: str, keys: frozenset[str]) -> tuple[str, dict, float]:
    """(step, data, time) of a step's event whose data has exactly `keys`."""
    data, at = plan_envelope(obj, kind, keys, step_ok=is_text)
    return obj["step"], data, at


def typed_field(kind: str, data: dict, key: str, check: Check, what: str) -> Any:
    """`data[key]` when `check` accepts it, else EventFormatError: "<kind> event: 'key' must be
    <what>, not ..."."""
    return typed(data, key, check, what, f"{kind} event", error=EventFormatError)

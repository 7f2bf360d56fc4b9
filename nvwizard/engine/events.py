"""What the engine tells its front ends while it applies a plan: one frozen dataclass per kind.

The same events go to the TUI, the CLI and the JSON-lines journal, so a front end that
reattaches after an SSH drop replays the journal and then follows it live. A journal record is

    {"kind": "<kind>", "step": <step id or null>, "data": {<the event's fields>}, "time": <epoch>}

and each class has exactly one `to_json()` / `from_json()` pair for it. `event_from_json` picks
the class by "kind"; a record that is not a well-formed event (a renamed, missing or extra
field, a wrong type) raises `EventFormatError` naming the kind and the field. Readers turn that
into a one-line report (engine/journal.py); nothing downstream guesses a default.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

from nvwizard.engine.diagnose import BrokenPackage
from nvwizard.engine.json_checks import (
    LATEST_TIME,
    WHEN,
    Check,
    RecordFormatError,
    is_boolean,
    is_duration,
    is_integer,
    is_optional_text,
    is_optional_texts,
    is_percent,
    is_text,
    is_texts,
    is_time,
    require_keys,
    short,
    typed,
)
from nvwizard.plan.models import Plan

PLAN_STARTED = "plan-started"
STEP_STARTED = "step-started"
OUTPUT = "output"
PROGRESS = "progress"
STEP_FINISHED = "step-finished"
PLAN_FINISHED = "plan-finished"

# How an apply ends (Outcome.status; "outcome" in the journal).
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
OUTCOME_STATUSES = (DONE, FAILED, CANCELLED)


class EventFormatError(RecordFormatError):
    """A journal record that is not a well-formed event; the message names what is wrong."""


# -- reading one record ---------------------------------------------------------------------

_ENVELOPE_KEYS = frozenset({"kind", "step", "data", "time"})


def _plan_envelope(
    obj: dict, kind: str, keys: frozenset[str], step_ok: Check | None = None
) -> tuple[dict, float]:
    """(data, time) of an event of the whole plan ("step" null) whose data has exactly `keys`."""
    where = f"{kind} event"
    if type(obj) is not dict:
        raise EventFormatError(f"{where}: not an event record: {short(obj)}")
    if obj.keys() != _ENVELOPE_KEYS:
        require_keys(obj, where, _ENVELOPE_KEYS, error=EventFormatError)
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


def _step_envelope(obj: dict, kind: str, keys: frozenset[str]) -> tuple[str, dict, float]:
    """(step, data, time) of a step's event whose data has exactly `keys`."""
    data, at = _plan_envelope(obj, kind, keys, step_ok=is_text)
    return obj["step"], data, at


def _typed(kind: str, data: dict, key: str, check: Check, what: str) -> Any:
    return typed(data, key, check, what, f"{kind} event", error=EventFormatError)


# -- the events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanStarted:
    kind: ClassVar[str] = PLAN_STARTED
    KEYS: ClassVar[frozenset[str]] = frozenset({"plan", "pid", "host"})

    plan: Plan
    pid: int
    host: str  # the host's label: "this machine", "demo hgx-h100"
    time: float = field(default_factory=time.time)

    @property
    def step(self) -> None:
        return None

    def to_json(self) -> dict:
        data = {"plan": self.plan.to_json(), "pid": self.pid, "host": self.host}
        return {"kind": self.kind, "step": None, "data": data, "time": self.time}

    @classmethod
    def from_json(cls, obj: dict) -> PlanStarted:
        data, at = _plan_envelope(obj, cls.kind, cls.KEYS)
        plan_json = _typed(cls.kind, data, "plan", lambda v: type(v) is dict, "an object")
        try:
            plan = Plan.from_json(plan_json)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            why = f"{type(error).__name__}: {error}"
            raise EventFormatError(f"{cls.kind} event: 'plan' is not a plan ({why})") from None
        return cls(
            plan=plan,
            pid=_typed(cls.kind, data, "pid", is_integer, "an integer"),
            host=_typed(cls.kind, data, "host", is_text, "a string"),
            time=at,
        )


@dataclass(frozen=True, slots=True)
class StepStarted:
    kind: ClassVar[str] = STEP_STARTED
    KEYS: ClassVar[frozenset[str]] = frozenset({"title", "argv", "kind"})

    step: str
    title: str
    argv: tuple[tuple[str, ...], ...]  # the step's commands, in order
    step_kind: str  # one of plan.models.STEP_KINDS ("kind" in the journal)
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        data = {"title": self.title, "argv": [list(a) for a in self.argv], "kind": self.step_kind}
        return {"kind": self.kind, "step": self.step, "data": data, "time": self.time}

    @classmethod
    def from_json(cls, obj: dict) -> StepStarted:
        step, data, at = _step_envelope(obj, cls.kind, cls.KEYS)
        argv = _typed(
            cls.kind,
            data,
            "argv",
            lambda v: type(v) is list and all(is_texts(a) for a in v),
            "a list of argv lists",
        )
        return cls(
            step=step,
            title=_typed(cls.kind, data, "title", is_text, "a string"),
            argv=tuple(tuple(a) for a in argv),
            step_kind=_typed(cls.kind, data, "kind", is_text, "a string"),
            time=at,
        )


@dataclass(frozen=True, slots=True)
class StepOutput:
    """Lines a command printed, in order: the engine sends the consecutive lines of one stream
    that arrived together (a read burst, up to host.base.BURST_LINES) as one event."""

    kind: ClassVar[str] = OUTPUT
    KEYS: ClassVar[frozenset[str]] = frozenset({"stream", "lines"})

    step: str
    stream: str  # "stdout" or "stderr"
    lines: tuple[str, ...]
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        data = {"stream": self.stream, "lines": list(self.lines)}
        return {"kind": self.kind, "step": self.step, "data": data, "time": self.time}

    @classmethod
    def from_json(cls, obj: dict) -> StepOutput:
        # Nearly every line of a journal: a well-formed record is taken at once (a follower
        # reads ~1.4x faster than through the field-by-field checks below, which name the
        # problem when anything is off).
        if type(obj) is dict and obj.keys() == _ENVELOPE_KEYS:
            step, data, at = obj["step"], obj["data"], obj["time"]
            if type(step) is str and type(data) is dict and data.keys() == cls.KEYS:
                stream, lines = data["stream"], data["lines"]
                if (
                    type(stream) is str
                    and type(lines) is list
                    and (type(at) is float or type(at) is int)
                    and 0 <= at <= LATEST_TIME
                    and (
                        (len(lines) == 1 and type(lines[0]) is str)
                        or all(type(line) is str for line in lines)
                    )
                ):
                    return cls(step, stream, tuple(lines), float(at))
        step, data, at = _step_envelope(obj, cls.kind, cls.KEYS)
        return cls(
            step=step,
            stream=_typed(cls.kind, data, "stream", is_text, "a string"),
            lines=tuple(_typed(cls.kind, data, "lines", is_texts, "a list of strings")),
            time=at,
        )


@dataclass(frozen=True, slots=True)
class StepProgress:
    """apt's percent within the running step.

    phase: "download" (apt's dlstatus) or "install" (pmstatus), the percent apt's own; or
    "lock-wait": the share of DPkg::Lock::Timeout spent waiting, text "... N s left".
    """

    kind: ClassVar[str] = PROGRESS
    KEYS: ClassVar[frozenset[str]] = frozenset({"percent", "text", "phase"})

    step: str
    percent: float
    text: str
    phase: str
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        data = {"percent": self.percent, "text": self.text, "phase": self.phase}
        return {"kind": self.kind, "step": self.step, "data": data, "time": self.time}

    @classmethod
    def from_json(cls, obj: dict) -> StepProgress:
        step, data, at = _step_envelope(obj, cls.kind, cls.KEYS)
        return cls(
            step=step,
            percent=float(_typed(cls.kind, data, "percent", is_percent, "a percent, 0 to 100")),
            text=_typed(cls.kind, data, "text", is_text, "a string"),
            phase=_typed(cls.kind, data, "phase", is_text, "a string"),
            time=at,
        )


@dataclass(frozen=True, slots=True)
class StepFinished:
    kind: ClassVar[str] = STEP_FINISHED
    KEYS: ClassVar[frozenset[str]] = frozenset({"exit_code", "duration_s", "ok"})

    step: str
    exit_code: int
    duration_s: float
    ok: bool
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        data = {"exit_code": self.exit_code, "duration_s": self.duration_s, "ok": self.ok}
        return {"kind": self.kind, "step": self.step, "data": data, "time": self.time}

    @classmethod
    def from_json(cls, obj: dict) -> StepFinished:
        step, data, at = _step_envelope(obj, cls.kind, cls.KEYS)
        return cls(
            step=step,
            exit_code=_typed(cls.kind, data, "exit_code", is_integer, "an integer"),
            duration_s=float(
                _typed(cls.kind, data, "duration_s", is_duration, "a duration in seconds")
            ),
            ok=_typed(cls.kind, data, "ok", is_boolean, "true or false"),
            time=at,
        )


@dataclass(frozen=True)
class Outcome:
    """How an apply ended: what `Engine.run()` returns and the plan-finished event carries."""

    status: str  # DONE, FAILED or CANCELLED ("outcome" in the journal)
    failed_step: str | None = None
    message: str | None = None
    next_action: str | None = None
    repair: tuple[str, ...] | None = None  # one argv a front end may offer
    broken_packages: tuple[BrokenPackage, ...] = ()
    last_lines: tuple[str, ...] = ()  # the output lines that explain a failure
    log_path: str | None = None  # the human log
    reboot_required: bool = False
    reboot_scheduled: bool = False
    steps_done: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == DONE


_OUTCOME_KEYS = frozenset(
    {
        "outcome",
        "failed_step",
        "message",
        "next_action",
        "repair",
        "broken_packages",
        "last_lines",
        "log_path",
        "reboot_required",
        "reboot_scheduled",
        "steps_done",
    }
)


def _is_broken_packages(value: object) -> bool:
    return type(value) is list and all(
        type(item) is dict
        and item.keys() == {"name", "state", "meaning"}
        and all(type(v) is str for v in item.values())
        for item in value
    )


@dataclass(frozen=True, slots=True)
class PlanFinished:
    kind: ClassVar[str] = PLAN_FINISHED
    KEYS: ClassVar[frozenset[str]] = _OUTCOME_KEYS

    outcome: Outcome
    time: float = field(default_factory=time.time)

    @property
    def step(self) -> None:
        return None

    def to_json(self) -> dict:
        o = self.outcome
        data = {
            "outcome": o.status,
            "failed_step": o.failed_step,
            "message": o.message,
            "next_action": o.next_action,
            "repair": list(o.repair) if o.repair is not None else None,
            "broken_packages": [
                {"name": b.name, "state": b.state, "meaning": b.meaning} for b in o.broken_packages
            ],
            "last_lines": list(o.last_lines),
            "log_path": o.log_path,
            "reboot_required": o.reboot_required,
            "reboot_scheduled": o.reboot_scheduled,
            "steps_done": list(o.steps_done),
        }
        return {"kind": self.kind, "step": None, "data": data, "time": self.time}

    @classmethod
    def from_json(cls, obj: dict) -> PlanFinished:
        kind = cls.kind
        data, at = _plan_envelope(obj, kind, cls.KEYS)
        status = _typed(
            kind, data, "outcome", lambda v: v in OUTCOME_STATUSES, "done, failed or cancelled"
        )
        repair = _typed(kind, data, "repair", is_optional_texts, "an argv list or null")
        broken = _typed(kind, data, "broken_packages", _is_broken_packages, "a list of packages")
        outcome = Outcome(
            status=status,
            failed_step=_typed(kind, data, "failed_step", is_optional_text, "a string or null"),
            message=_typed(kind, data, "message", is_optional_text, "a string or null"),
            next_action=_typed(kind, data, "next_action", is_optional_text, "a string or null"),
            repair=tuple(repair) if repair is not None else None,
            broken_packages=tuple(BrokenPackage(**b) for b in broken),
            last_lines=tuple(_typed(kind, data, "last_lines", is_texts, "a list of strings")),
            log_path=_typed(kind, data, "log_path", is_optional_text, "a string or null"),
            reboot_required=_typed(kind, data, "reboot_required", is_boolean, "true or false"),
            reboot_scheduled=_typed(kind, data, "reboot_scheduled", is_boolean, "true or false"),
            steps_done=tuple(_typed(kind, data, "steps_done", is_texts, "a list of strings")),
        )
        return cls(outcome=outcome, time=at)


Event: TypeAlias = (
    PlanStarted | StepStarted | StepOutput | StepProgress | StepFinished | PlanFinished
)
EVENT_CLASSES: tuple[type[Event], ...] = (
    PlanStarted,
    StepStarted,
    StepOutput,
    StepProgress,
    StepFinished,
    PlanFinished,
)
KINDS = tuple(cls.kind for cls in EVENT_CLASSES)
_BY_KIND: dict[str, Callable[[dict], Event]] = {cls.kind: cls.from_json for cls in EVENT_CLASSES}


def event_from_json(obj: object) -> Event:
    """The event a journal record holds; EventFormatError when it is not a well-formed one."""
    if type(obj) is not dict:
        raise EventFormatError(f"not an event record: {short(obj)}")
    kind = obj.get("kind")
    reader = _BY_KIND.get(kind) if type(kind) is str else None
    if reader is None:
        raise EventFormatError(f"unknown event kind {short(kind)}")
    return reader(obj)

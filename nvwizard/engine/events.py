"""What the engine tells its front ends while it applies a plan: one frozen dataclass per kind.

The same events go to the TUI, the CLI and the JSON-lines journal, so a front end that
reattaches after an SSH drop replays the journal and then follows it live. Each class has
exactly one `to_json()` / `from_json()` pair for its journal record (the envelope all records
share, and how it is read: event_records.py). `event_from_json` picks the class by "kind"; a
record that is not a well-formed event (a renamed, missing or extra field, a wrong type) raises
`EventFormatError` naming the kind and the field. Readers turn that into a one-line report
(engine/journal.py); nothing downstream guesses a default.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, TypeAlias

from nvwizard.engine.diagnose import BrokenPackage
from nvwizard.engine.event_records import (
    ENVELOPE_KEYS,
    EventFormatError,
    plan_envelope,
    step_envelope,
    typed_field,
)
from nvwizard.engine.json_checks import (
    LATEST_TIME,
    is_boolean,
    is_duration,
    is_integer,
    is_optional_text,
    is_optional_texts,
    is_percent,
    is_text,
    is_texts,
    short,
)
from nvwizard.engine.redrawn_lines import final_state
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
        data, at = plan_envelope(obj, cls.kind, cls.KEYS)
        plan_json = typed_field(cls.kind, data, "plan", lambda v: type(v) is dict, "an object")
        try:
            plan = Plan.from_json(plan_json)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            why = f"{type(error).__name__}: {error}"
            raise EventFormatError(f"{cls.kind} event: 'plan' is not a plan ({why})") from None
        return cls(
            plan=plan,
            pid=typed_field(cls.kind, data, "pid", is_integer, "an integer"),
            host=typed_field(cls.kind, data, "host", is_text, "a string"),
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
        step, data, at = step_envelope(obj, cls.kind, cls.KEYS)
        argv = typed_field(
            cls.kind,
            data,
            "argv",
            lambda v: type(v) is list and all(is_texts(a) for a in v),
            "a list of argv lists",
        )
        return cls(
            step=step,
            title=typed_field(cls.kind, data, "title", is_text, "a string"),
            argv=tuple(tuple(a) for a in argv),
            step_kind=typed_field(cls.kind, data, "kind", is_text, "a string"),
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

    @property
    def shown_lines(self) -> tuple[str, ...]:
        """The lines as a terminal leaves them: a progress line redrawn with carriage
        returns in its final state (`lines` keeps what the command printed)."""
        return tuple(map(final_state, self.lines))

    def to_json(self) -> dict:
        data = {"stream": self.stream, "lines": list(self.lines)}
        return {"kind": self.kind, "step": self.step, "data": data, "time": self.time}

    @classmethod
    def from_json(cls, obj: dict) -> StepOutput:
        # Nearly every line of a journal: a well-formed record is taken at once (a follower
        # reads ~1.4x faster than through the field-by-field checks below, which name the
        # problem when anything is off).
        if type(obj) is dict and obj.keys() == ENVELOPE_KEYS:
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
        step, data, at = step_envelope(obj, cls.kind, cls.KEYS)
        return cls(
            step=step,
            stream=typed_field(cls.kind, data, "stream", is_text, "a string"),
            lines=tuple(typed_field(cls.kind, data, "lines", is_texts, "a list of strings")),
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
        step, data, at = step_envelope(obj, cls.kind, cls.KEYS)
        return cls(
            step=step,
            percent=float(
                typed_field(cls.kind, data, "percent", is_percent, "a percent, 0 to 100")
            ),
            text=typed_field(cls.kind, data, "text", is_text, "a string"),
            phase=typed_field(cls.kind, data, "phase", is_text, "a string"),
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
        step, data, at = step_envelope(obj, cls.kind, cls.KEYS)
        return cls(
            step=step,
            exit_code=typed_field(cls.kind, data, "exit_code", is_integer, "an integer"),
            duration_s=float(
                typed_field(cls.kind, data, "duration_s", is_duration, "a duration in seconds")
            ),
            ok=typed_field(cls.kind, data, "ok", is_boolean, "true or false"),
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
        data, at = plan_envelope(obj, kind, cls.KEYS)
        status = typed_field(
            kind, data, "outcome", lambda v: v in OUTCOME_STATUSES, "done, failed or cancelled"
        )
        repair = typed_field(kind, data, "repair", is_optional_texts, "an argv list or null")
        broken = typed_field(
            kind, data, "broken_packages", _is_broken_packages, "a list of packages"
        )
        outcome = Outcome(
            status=status,
            failed_step=typed_field(
                kind, data, "failed_step", is_optional_text, "a string or null"
            ),
            message=typed_field(kind, data, "message", is_optional_text, "a string or null"),
            next_action=typed_field(
                kind, data, "next_action", is_optional_text, "a string or null"
            ),
            repair=tuple(repair) if repair is not None else None,
            broken_packages=tuple(BrokenPackage(**b) for b in broken),
            last_lines=tuple(typed_field(kind, data, "last_lines", is_texts, "a list of strings")),
            log_path=typed_field(kind, data, "log_path", is_optional_text, "a string or null"),
            reboot_required=typed_field(kind, data, "reboot_required", is_boolean, "true or false"),
            reboot_scheduled=typed_field(
                kind, data, "reboot_scheduled", is_boolean, "true or false"
            ),
            steps_done=tuple(typed_field(kind, data, "steps_done", is_texts, "a list of strings")),
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

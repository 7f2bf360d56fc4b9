"""The state file, `<state dir>/state.json`: the last apply and what is pending on this machine.

Written whole and atomically (temp file + rename) by the journal at each step of an apply
(engine/journal.py), by `verify` (engine/verify.py) and by the reboot (engine/reboot.py). Read
back into `RecordedState` with every field's type checked: a file that is not what nvwizard
writes (damaged, edited, truncated, from elsewhere) raises `StateFileError`, whose one-line
message says where the file is and what to do. Nothing is read out of it by guessing.

One JSON object:
- the last apply, when one was recorded (all of these or none): started, finished, host, pid,
  driver, flavour, branch, modules, install_list, purge_list, planned [{id, title}],
  steps {id: pending|running|done|failed}, outcome (running, done, failed, cancelled),
  failed_step, message, repair (argv), reboot_pending, log, events (the two log paths);
  and purpose (install, repair, activate or reboot; files written before it was added have
  none: install), blockers (the ids of the plan's blocking conditions, accepted as it was applied)
  and mok_certificate (Secure Boot is on and DKMS built the module: the certificate of the
  key to enrol before the reboot loads it; null otherwise), both absent from older files;
  install_options (the plan's `install_options`: the options after --driver that plan the same
  install again, for the next step's install again; absent from older files: none);
- reboot_scheduled, verify_pending: booleans;
- verify: the last `nvwizard verify` result (`VerifyResult.to_json()`) or null.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from nvwizard.engine import events as ev
from nvwizard.engine import paths
from nvwizard.engine.atomic_json import write_json_atomically
from nvwizard.engine.json_checks import (
    WHEN,
    RecordFormatError,
    is_boolean,
    is_optional_integer,
    is_optional_text,
    is_optional_texts,
    is_optional_time,
    is_text,
    is_texts,
    is_time,
    require_keys,
    require_object,
    typed,
)
from nvwizard.engine.progress import DONE, FAILED, PENDING, RUNNING
from nvwizard.errors import StateFileError
from nvwizard.host.record_files import UnusableFile, read_capped
from nvwizard.plan.models import ACTIVATE_PLAN, INSTALL_PLAN, REBOOT_PLAN, REPAIR_PLAN

STATE_FILE = "state.json"
STEP_STATUSES = (PENDING, RUNNING, DONE, FAILED)
APPLY_OUTCOMES = ("running", *ev.OUTCOME_STATUSES)
PLAN_PURPOSES = (INSTALL_PLAN, REPAIR_PLAN, ACTIVATE_PLAN, REBOOT_PLAN)


# -- what `nvwizard verify` found ------------------------------------------------------------


@dataclass(frozen=True)
class VerifyCheck:
    name: str  # stable id: module-loaded, module-version, ... (engine/verify.py)
    ok: bool
    detail: str  # what was found
    fix: str | None = None  # what to do when not ok
    skipped: bool = False  # not run here (the reason is in `detail`); ok stays True


@dataclass(frozen=True)
class VerifyResult:
    checks: list[VerifyCheck] = field(default_factory=list)
    host: str = "this machine"
    at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "host": self.host,
            "at": self.at,
            "checks": [
                {"name": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix, "skipped": c.skipped}
                for c in self.checks
            ],
        }

    @classmethod
    def from_json(cls, obj: object) -> VerifyResult:
        where = "verify"
        obj = require_object(obj, where)
        require_keys(obj, where, ("ok", "host", "at", "checks"))
        checks = []
        for item in typed(obj, "checks", lambda v: type(v) is list, "a list", where):
            check = require_object(item, "verify check")
            require_keys(check, "verify check", ("name", "ok", "detail", "fix"), ("skipped",))
            checks.append(
                VerifyCheck(
                    name=typed(check, "name", is_text, "a string", "verify check"),
                    ok=typed(check, "ok", is_boolean, "true or false", "verify check"),
                    detail=typed(check, "detail", is_text, "a string", "verify check"),
                    fix=typed(check, "fix", is_optional_text, "a string or null", "verify check"),
                    # optional: state files from before the developer stack's checks lack it
                    skipped="skipped" in check
                    and typed(check, "skipped", is_boolean, "true or false", "verify check"),
                )
            )
        result = cls(
            checks=checks,
            host=typed(obj, "host", is_text, "a string", where),
            at=float(typed(obj, "at", is_time, WHEN, where)),
        )
        if typed(obj, "ok", is_boolean, "true or false", where) != result.ok:
            raise RecordFormatError(f"{where}: 'ok' disagrees with its checks")
        return result


# -- the last apply ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedStep:
    id: str
    title: str


@dataclass(frozen=True)
class ApplyRecord:
    started: float
    finished: float | None
    host: str
    pid: int
    driver: str
    flavour: str
    branch: int | None
    modules: str
    install_list: tuple[str, ...]
    purge_list: tuple[str, ...]
    planned: tuple[PlannedStep, ...]
    steps: dict[str, str]  # step id -> one of STEP_STATUSES
    outcome: str  # one of APPLY_OUTCOMES
    failed_step: str | None
    message: str | None
    repair: tuple[str, ...] | None
    reboot_pending: bool
    log: str  # the human log
    events: str  # the JSON-lines journal
    purpose: str = INSTALL_PLAN  # what the plan was for: install, repair, activate or reboot
    blockers: tuple[str, ...] = ()  # the plan's blocking conditions' ids (accepted)
    mok_certificate: str | None = None  # the plan's: a key to enrol before the reboot loads it
    install_options: tuple[str, ...] = ()  # the plan's: what an install again must carry

    @classmethod
    def of_plan_started(cls, event: ev.PlanStarted, log: Path, events: Path) -> ApplyRecord:
        plan = event.plan
        return cls(
            started=event.time,
            finished=None,
            host=event.host,
            pid=event.pid,
            driver=plan.driver,
            flavour=plan.flavour,
            branch=plan.branch,
            modules=plan.modules,
            install_list=tuple(plan.install_list),
            purge_list=tuple(plan.purge_list),
            planned=tuple(PlannedStep(s.id, s.title) for s in plan.steps),
            steps={s.id: PENDING for s in plan.steps},
            outcome="running",
            failed_step=None,
            message=None,
            repair=None,
            reboot_pending=False,
            log=str(log),
            events=str(events),
            purpose=plan.purpose,
            blockers=tuple(b.id for b in plan.blockers),
            mok_certificate=plan.mok_certificate,
            install_options=tuple(plan.install_options),
        )

    def with_step(self, step: str, status: str) -> ApplyRecord:
        return replace(self, steps={**self.steps, step: status})

    def finished_with(self, event: ev.PlanFinished) -> ApplyRecord:
        outcome = event.outcome
        return replace(
            self,
            finished=event.time,
            outcome=outcome.status,
            failed_step=outcome.failed_step,
            message=outcome.message,
            repair=outcome.repair,
            reboot_pending=outcome.reboot_required,
        )

    def to_json(self) -> dict:
        return {
            "started": self.started,
            "finished": self.finished,
            "host": self.host,
            "pid": self.pid,
            "driver": self.driver,
            "flavour": self.flavour,
            "branch": self.branch,
            "modules": self.modules,
            "install_list": list(self.install_list),
            "purge_list": list(self.purge_list),
            "planned": [{"id": s.id, "title": s.title} for s in self.planned],
            "steps": dict(self.steps),
            "outcome": self.outcome,
            "failed_step": self.failed_step,
            "message": self.message,
            "repair": list(self.repair) if self.repair is not None else None,
            "reboot_pending": self.reboot_pending,
            "log": self.log,
            "events": self.events,
            "purpose": self.purpose,
            "blockers": list(self.blockers),
            "mok_certificate": self.mok_certificate,
            "install_options": list(self.install_options),
        }

    @classmethod
    def from_json(cls, obj: dict) -> ApplyRecord:
        where = "the last apply"

        def get(key: str, check, what: str):
            return typed(obj, key, check, what, where)

        planned = []
        for item in get("planned", lambda v: type(v) is list, "a list"):
            step = require_object(item, "a planned step")
            require_keys(step, "a planned step", ("id", "title"))
            planned.append(
                PlannedStep(
                    id=typed(step, "id", is_text, "a string", "a planned step"),
                    title=typed(step, "title", is_text, "a string", "a planned step"),
                )
            )
        repair = get("repair", is_optional_texts, "an argv list or null")
        return cls(
            started=float(get("started", is_time, WHEN)),
            finished=_optional_float(get("finished", is_optional_time, f"{WHEN} or null")),
            host=get("host", is_text, "a string"),
            pid=get("pid", lambda v: type(v) is int, "an integer"),
            driver=get("driver", is_text, "a string"),
            flavour=get("flavour", is_text, "a string"),
            branch=get("branch", is_optional_integer, "an integer or null"),
            modules=get("modules", is_text, "a string"),
            install_list=tuple(get("install_list", is_texts, "a list of strings")),
            purge_list=tuple(get("purge_list", is_texts, "a list of strings")),
            planned=tuple(planned),
            steps=dict(get("steps", _is_step_statuses, "an object of step statuses")),
            outcome=get("outcome", lambda v: v in APPLY_OUTCOMES, "one of " + str(APPLY_OUTCOMES)),
            failed_step=get("failed_step", is_optional_text, "a string or null"),
            message=get("message", is_optional_text, "a string or null"),
            repair=tuple(repair) if repair is not None else None,
            reboot_pending=get("reboot_pending", is_boolean, "true or false"),
            log=get("log", is_text, "a string"),
            events=get("events", is_text, "a string"),
            purpose=get("purpose", lambda v: v in PLAN_PURPOSES, "one of " + str(PLAN_PURPOSES))
            if "purpose" in obj
            else INSTALL_PLAN,
            blockers=tuple(get("blockers", is_texts, "a list of strings"))
            if "blockers" in obj
            else (),
            mok_certificate=get("mok_certificate", is_optional_text, "a string or null")
            if "mok_certificate" in obj
            else None,
            install_options=tuple(get("install_options", is_texts, "a list of strings"))
            if "install_options" in obj
            else (),
        )


# older files have none
OPTIONAL_APPLY_KEYS = ("purpose", "blockers", "mok_certificate", "install_options")
APPLY_KEYS = tuple(k for k in ApplyRecord.__dataclass_fields__ if k not in OPTIONAL_APPLY_KEYS)


def _optional_float(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def _is_step_statuses(value: object) -> bool:
    return type(value) is dict and all(
        type(k) is str and v in STEP_STATUSES for k, v in value.items()
    )


# -- the whole file ------------------------------------------------------------------------

MACHINE_KEYS = ("reboot_scheduled", "verify_pending", "verify")


@dataclass(frozen=True)
class RecordedState:
    apply: ApplyRecord | None = None  # None: no apply was recorded here
    reboot_scheduled: bool = False
    verify_pending: bool = False
    verify: VerifyResult | None = None  # the last `nvwizard verify`

    def to_json(self) -> dict:
        return {
            **(self.apply.to_json() if self.apply is not None else {}),
            "reboot_scheduled": self.reboot_scheduled,
            "verify_pending": self.verify_pending,
            "verify": self.verify.to_json() if self.verify is not None else None,
        }

    @classmethod
    def from_json(cls, obj: object) -> RecordedState:
        """RecordFormatError when `obj` is not a state nvwizard wrote. The machine's own keys
        may be absent (files written before they were added); the apply's are all or none."""
        obj = require_object(obj, "")
        has_apply = any(key in obj for key in APPLY_KEYS)
        where = "the last apply" if has_apply else ""
        optional = MACHINE_KEYS + (OPTIONAL_APPLY_KEYS if has_apply else ())
        require_keys(obj, where, APPLY_KEYS if has_apply else (), optional)
        verify = obj.get("verify")
        return cls(
            apply=ApplyRecord.from_json(obj) if has_apply else None,
            reboot_scheduled=_flag(obj, "reboot_scheduled"),
            verify_pending=_flag(obj, "verify_pending"),
            verify=VerifyResult.from_json(verify) if verify is not None else None,
        )


def _flag(obj: dict, key: str) -> bool:
    return key in obj and typed(obj, key, is_boolean, "true or false", "")


# -- reading and writing -------------------------------------------------------------------


def state_path(state_dir: Path | None = None) -> Path:
    return (state_dir or paths.state_dir()) / STATE_FILE


def read_state(state_dir: Path | None = None) -> RecordedState:
    """What the state file says; an empty state when there is none. StateFileError when it
    cannot be read or is not what nvwizard writes."""
    path = state_path(state_dir)
    try:
        raw = read_capped(path)
    except FileNotFoundError:
        return RecordedState()
    except OSError as error:
        raise StateFileError(f"cannot read the state file {path}: {error.strerror}") from None
    except UnusableFile as error:  # a FIFO, /dev/zero, gigabytes: never read, never waited on
        raise StateFileError(damaged_message(path, str(error))) from None
    try:
        return RecordedState.from_json(json.loads(raw))
    except (ValueError, RecursionError) as error:  # JSON, UTF-8 and RecordFormatError
        raise StateFileError(damaged_message(path, _reason(error))) from None


def _reason(error: Exception) -> str:
    if isinstance(error, RecordFormatError):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return f"not JSON: {error}"


def damaged_message(path: Path, reason: str) -> str:
    aside = shlex.join(["mv", str(path), f"{path}.damaged"])
    if not os.access(path.parent, os.W_OK):
        aside = "sudo " + aside
    return (
        f"the state file {path} is damaged ({reason}); nvwizard does not trust it: move it "
        f"aside (`{aside}`) and run the command again"
    )


def write_state(state: RecordedState, state_dir: Path | None = None) -> None:
    """Replace the state file atomically: a reader never sees half a file."""
    write_json_atomically(state_path(state_dir), state.to_json())

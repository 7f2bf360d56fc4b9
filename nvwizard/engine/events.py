"""What the engine tells its front ends while it applies a plan.

The same events go to the TUI, the CLI and the JSON-lines journal, so a front end that
reattaches after an SSH drop replays the journal and then follows it live.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Event kinds
PLAN_STARTED = "plan-started"  # data: {"plan": <plan as JSON>, "pid": int, "host": str}
STEP_STARTED = "step-started"  # step: id; data: {"title": str, "argv": [[...], ...], "kind": str}
OUTPUT = "output"  # step: id; data: {"stream": "stdout"|"stderr", "line": str}
PROGRESS = "progress"  # step: id; data: {"percent": float, "text": str, "phase": str}
# PROGRESS phase: "download" (apt's dlstatus) or "install" (pmstatus), percent is apt's own;
# or "lock-wait": the share of DPkg::Lock::Timeout spent waiting, text "... N s left".
STEP_FINISHED = (
    "step-finished"  # step: id; data: {"exit_code": int, "duration_s": float, "ok": bool}
)
PLAN_FINISHED = "plan-finished"
# PLAN_FINISHED data: {"outcome": "done"|"failed"|"cancelled", "failed_step": id|None,
#                      "message": str|None, "repair": [argv]|None, "reboot_required": bool,
#                      "reboot_scheduled": bool, "next_action": str|None, "last_lines": [str],
#                      "broken_packages": [{"name", "state", "meaning"}], "log_path": str|None}

KINDS = (PLAN_STARTED, STEP_STARTED, OUTPUT, PROGRESS, STEP_FINISHED, PLAN_FINISHED)


@dataclass(frozen=True)
class Event:
    kind: str
    step: str | None = None
    data: dict = field(default_factory=dict)
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        # Built by hand: `dataclasses.asdict` deep-copies `data` for every event, which was
        # most of the engine's cost under a log flood. The dict shares `data`; do not mutate.
        return {"kind": self.kind, "step": self.step, "data": self.data, "time": self.time}

    @classmethod
    def from_json(cls, obj: dict) -> Event:
        return cls(
            kind=obj["kind"],
            step=obj.get("step"),
            data=obj.get("data") or {},
            time=obj.get("time", 0.0),
        )

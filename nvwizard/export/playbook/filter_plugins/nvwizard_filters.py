"""Filters for nvwizard's playbook: nvwizard's JSON answers, in the words the play shows.

Ansible loads this file on the control node (filter_plugins/ beside site.yml); it needs nothing
but the standard library, and nvwizard's tests call these functions directly.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import time

INSTALLED_STATES = ("ii", "hi")
# the package that names a driver: Ubuntu's nvidia-driver-*/nvidia-headless-*, Debian's own
DRIVER_PACKAGE = re.compile(r"^nvidia-(driver|headless|tesla-\d+-driver|legacy-\w+-driver)\b")
SHOWN_ITEMS = 12  # a long package list is cut in the play's output (the report has it all)


def installed(detected: dict) -> list[str]:
    """The names of the packages `nvwizard detect --json` found installed."""
    return [
        p["name"]
        for p in detected.get("installed_packages") or []
        if p.get("state") in INSTALLED_STATES
    ]


# What `nvwizard detect --json` does not list among the installed packages (it lists NVIDIA's
# packages and the developer stack): the kernel headers a DKMS plan installs beside the driver.
# Whether DKMS built the module for the kernels is verify's to say (next-boot-modules).
NOT_LISTED_BY_DETECT = ("linux-headers-",)


def not_installed(plan: dict, detected: dict) -> list[str]:
    """The plan's packages that the host does not have installed, of those detect lists."""
    have = set(installed(detected))
    return [
        name
        for name in plan.get("install_list") or []
        if name not in have and not name.startswith(NOT_LISTED_BY_DETECT)
    ]


def driver(detected: dict) -> dict:
    """What drives the GPUs now: the loaded module, nvidia-smi's driver and the driver packages."""
    module = detected.get("loaded_module") or {}
    smi = detected.get("nvidia_smi") or {}
    return {
        "loaded": f"{module['version']} ({module.get('flavor') or '?'})" if module else None,
        "nvidia_smi": smi.get("driver_version"),
        "packages": [name for name in installed(detected) if DRIVER_PACKAGE.match(name)],
    }


def reason(stderr: str, rc: int) -> str:
    """nvwizard's one-line reason (the last line it wrote to stderr)."""
    lines = [line for line in (stderr or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"nvwizard exited with status {rc}"


def simulation_summary(stderr: str, rc: int) -> dict:
    """Check mode's outcome for a host whose `nvwizard plan --json --simulate` did not say go:
    refused as a run would be (exit 3), or failed; an nvwizard older than the playbook's, which
    cannot simulate, is named as that."""
    if rc == 3:
        return {"outcome": "refused", "message": f"a run would be refused: {reason(stderr, rc)}"}
    if rc == 2 and "--simulate" in (stderr or ""):
        return {
            "outcome": "failed",
            "message": "the nvwizard on this host is older than the playbook's and cannot "
            "simulate a plan (plan --simulate): let the playbook install its own "
            "(nvwizard_install: true)",
        }
    return {"outcome": "failed", "message": f"the simulation failed: {reason(stderr, rc)}"}


def json_or_none(text: str):
    """The JSON object in `text`, or None when there is none (a refusal prints only stderr)."""
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def plan_lines(plan: dict) -> list[str]:
    """`nvwizard plan --json`, as lines for the play's output."""
    lines = [
        f"Plan for {plan.get('host')}: {plan.get('driver')} "
        f"({plan.get('flavour')}, {plan.get('modules')} modules)"
    ]
    lines += _named("purge", plan.get("purge_list") or [])
    lines += _named("keep", [k["name"] for k in plan.get("kept_list") or []])
    lines += _named("left to autoremove", plan.get("autoremoved_list") or [])
    lines += _named("install", plan.get("install_list") or [])
    lines += [f"warning: {w}" for w in plan.get("warnings") or []]
    lines += [
        f"needs consent ({ACCEPT}: {b.get('id')}): {b.get('message')}"
        for b in plan.get("blockers") or []
    ]
    steps = plan.get("steps") or []
    for number, step in enumerate(steps, 1):
        lines.append(f"step {number}/{len(steps)}: {step.get('title')}")
        lines += [f"  writes {write.get('path')}" for write in step.get("writes") or []]
        lines += [f"  $ {shlex.join(argv)}" for argv in step.get("commands") or []]
    return lines


def _named(what: str, names: list[str]) -> list[str]:
    if not names:
        return []
    shown = ", ".join(names[:SHOWN_ITEMS])
    more = f" and {len(names) - SHOWN_ITEMS} more" if len(names) > SHOWN_ITEMS else ""
    return [f"{what} ({len(names)}): {shown}{more}"]


# The host variable that accepts a plan's blocking conditions, by id (README.md).
ACCEPT = "nvwizard_accept"


def blockers(plan: dict, accepted: list[str]) -> list[dict]:
    """The plan's blocking conditions, each marked as accepted (listed in nvwizard_accept) or
    not: what the report keeps of them."""
    return [
        {"id": b.get("id"), "message": b.get("message"), "accepted": b.get("id") in accepted}
        for b in plan.get("blockers") or []
    ]


def blocked(plan: dict, accepted: list[str], check: bool = False) -> str:
    """Why the host is left as it is: the plan's blocking conditions nobody accepted, and the
    nvwizard_accept that lets the change go ahead; "" when nothing blocks it."""
    said = "a run would leave this host as it is" if check else "left as it is"
    if "blockers" not in plan:  # fail safe: this nvwizard does not judge what needs consent
        return (
            f"{said}: the nvwizard on this host is older than the playbook's and does not say "
            "which conditions need consent (its plan has no blockers): let the playbook "
            "install its own (nvwizard_install: true)"
        )
    found = blockers(plan, accepted)
    waiting = [b for b in found if not b["accepted"]]
    if not waiting:
        return ""
    reasons = " ".join(f"[{b['id']}] {b['message']}" for b in waiting)
    every = json.dumps([b["id"] for b in found])
    return f"{said}: {reasons} To change it anyway, set {ACCEPT}: {every} for this host"


PIN_STEP = "cuda-pin"  # the plan's step that keeps NVIDIA's CUDA repository's drivers out


def pin_write(plan: dict) -> dict:
    """The file the plan's pin step writes ({path, content, mode}); {} when it has none."""
    for step in plan.get("steps") or []:
        if step.get("id") == PIN_STEP and step.get("writes"):
            return step["writes"][0]
    return {}


def unchanged_summary(plan: dict, pinned: bool) -> dict:
    """A host that runs the planned driver and passes verify: left as it is, or (`pinned`)
    given only the plan's apt pin on NVIDIA's CUDA repository."""
    driver = plan.get("driver")
    if not pinned:
        return {
            "outcome": "unchanged",
            "message": f"{driver} is installed and verify passes: nothing to do",
        }
    return {
        "outcome": "pinned",
        "message": f"{driver} is installed and verify passes; wrote the apt pin "
        f"{pin_write(plan).get('path')}, as NVIDIA's CUDA repository is configured with no pin "
        "keeping its driver packages out: nothing else was done",
    }


def beyond_driver(plan: dict, detected: dict) -> list[str]:
    """What the plan does beyond its driver that this host does not have yet: the developer
    stack's packages and runtime wiring, the holds; [] when nothing is. A host that runs the
    planned driver gets only those (nvwizard's plan keeps the driver: `keeps_driver`)."""
    have = set(installed(detected))
    held = set(detected.get("held_packages") or [])
    missing = [name for name in plan.get("stack_list") or [] if name not in have]
    for step in plan.get("steps") or []:
        if step.get("kind") == "runtime-configure":
            title = str(step.get("title"))
            missing.append(title[:1].lower() + title[1:])
        if step.get("kind") == "hold":
            for argv in step.get("commands") or []:
                if argv[:2] == ["apt-mark", "hold"]:
                    missing += [f"the hold on {name}" for name in argv[2:] if name not in held]
    return missing


def check_summary(
    plan: dict, installed_already: bool, accepted: list[str], missing: list[str] | None = None
) -> dict:
    """What a run would do with this host (check mode): its outcome and message. `missing`:
    what the plan adds to a host that runs its driver already (`beyond_driver`)."""
    driver = plan.get("driver")
    why_not = blocked(plan, accepted, check=True)
    if installed_already:
        if plan.get("nothing_to_do"):
            then = "changes nothing (if verify fails, the host is failed with what to do)"
        else:
            then = "reinstalls it only if verify fails"
        message = f"{driver} is installed already: a run verifies it and {then}"
        pin = pin_write(plan)
        if pin:
            message += (
                f"; it writes the apt pin {pin.get('path')} in any case (pending: NVIDIA's CUDA "
                "repository is configured with no pin keeping its driver packages out)"
            )
        if why_not:
            message += f" (then: {why_not})"
        return {"outcome": "planned", "message": message}
    if plan.get("keeps_driver") and missing:
        return {
            "outcome": "planned",
            "message": f"a run would add {', '.join(missing)} beside {driver}, which stays as "
            f"it runs (no purge, no driver install, no reboot; {len(plan.get('steps') or [])} "
            "steps), then verify",
        }
    if why_not:
        return {"outcome": "blocked", "message": why_not}
    message = (
        f"a run would install {driver} ({len(plan.get('purge_list') or [])} packages purged "
        f"first, {len(plan.get('steps') or [])} steps), then verify it"
    )
    if missing:
        message += (
            f" (the host has {driver} already, but not what the options add: {', '.join(missing)})"
        )
    taken = [b["id"] for b in blockers(plan, accepted)]
    if taken:
        message += f", accepting {', '.join(taken)} ({ACCEPT})"
    return {"outcome": "planned", "message": message}


def install_failure(result: dict | None, stderr: str, rc: int) -> str:
    """Why `nvwizard install --json` did not finish: its message, log and repair, in one line."""
    if not result:
        return reason(stderr, rc)
    parts = [
        f"install {result.get('outcome') or 'failed'}: {result.get('message') or 'a step failed'}"
    ]
    if result.get("log_path"):
        parts.append(f"log: {result['log_path']}")
    # nvwizard's next action speaks to someone reading its log; the repair is the command
    if result.get("repair"):
        parts.append(f"repair on the host: sudo {shlex.join(result['repair'])}")
    elif result.get("next_action"):
        parts.append(f"next: {result['next_action']}")
    return "; ".join(parts)


def seconds_to_reboot(result: dict | None) -> int:
    """Whole seconds until a demo machine's scheduled (simulated) reboot comes due."""
    due = (result or {}).get("reboot_due_at")
    return max(0, math.ceil(due - time.time())) if isinstance(due, (int, float)) else 0


def installed_message(plan: dict, added: list[str]) -> str:
    """A host the install and verify went through on: the driver installed, or (the plan kept
    the running driver) what was added beside it."""
    driver = plan.get("driver")
    if not plan.get("keeps_driver"):
        return f"{driver} installed and verified"
    what = f"added {', '.join(added)} beside {driver}" if added else f"kept {driver}"
    return f"{what}, which stayed as it ran (no purge, no driver install, no reboot); verified"


def reinstall_advice(plan: dict, host: str, options: list[str]) -> str:
    """What to do about a host that runs the planned driver, which nvwizard therefore does not
    install again, when verify fails: the host's nvwizard_options with --reinstall."""
    words = json.dumps([*(options or []), "--reinstall"])
    return (
        f"nothing was reinstalled: {plan.get('driver')} is installed and loaded as planned. "
        "Fix what verify names, or have the playbook purge and install it again (and reboot): "
        f"set this host's nvwizard_options to {words} (inventory: {host} "
        f"nvwizard_options='{words}'), run the playbook again, then remove --reinstall"
    )


def verify_failure(result: dict | None, stderr: str) -> str:
    """What `nvwizard verify --json` found wrong, with the fixes, in one line."""
    if not result:
        return reason(stderr, 1)
    if result.get("nvidia_gpu") is False:
        return result.get("message") or "no NVIDIA GPU to verify"
    problems = [
        f"{c.get('name')}: {c.get('detail')}" + (f" (fix: {c['fix']})" if c.get("fix") else "")
        for c in result.get("checks") or []
        if not c.get("ok")
    ]
    return "verify failed: " + "; ".join(problems or ["no check passed"])


# the outcomes whose report lines repeat the plan's warnings: check mode's, and a blocked host's
WARNED_OUTCOMES = ("planned", "blocked")


def report_lines(summaries: list[dict], path: str) -> list[str]:
    """One line per host for the play's output, then where the full report is."""
    lines = []
    for s in summaries:
        before = _driver_words(s.get("driver_before"))
        after = _driver_words(s.get("driver_after"))
        change = f" [{before} -> {after}]" if s.get("driver_after") else f" [{before}]"
        lines.append(f"{s.get('host')}: {s.get('outcome')}: {s.get('message')}{change}")
        if s.get("outcome") in WARNED_OUTCOMES:  # where someone decides what happens next
            lines += [f"  warning: {w}" for w in s.get("warnings") or []]
    return [*lines, f"report: {path}"]


# The errno Ansible's command module returns as rc when it cannot start the program at all
# (its msg is then only "Error executing command.").
START_ERRORS = {2: "No such file or directory", 13: "Permission denied", 8: "Exec format error"}


def task_failure(task: str, result: dict | None) -> str:
    """Why a task failed, in one line: its message and the last line of its stderr, or, when
    the program never started, which program and why (the module says neither)."""
    result = result or {}
    message = result.get("msg") or "failed"
    rc = result.get("rc")
    argv = ((result.get("invocation") or {}).get("module_args") or {}).get("argv") or []
    if message == "Error executing command." and rc in START_ERRORS:
        program = argv[0] if argv else str(result.get("cmd") or "the command").split(" ")[0]
        return (
            f"{task}: cannot run {program} on the host: {START_ERRORS[rc]} (set "
            "nvwizard_command to nvwizard's path there, or nvwizard_install: true)"
        )
    stderr = [line for line in result.get("stderr_lines") or [] if line.strip()]
    return f"{task}: {message}" + (f": {stderr[-1]}" if stderr else "")


def _driver_words(found: dict | None) -> str:
    if not found:
        return "?"
    return found.get("loaded") or "no nvidia module loaded"


class FilterModule:
    def filters(self):
        return {
            "nvwizard_not_installed": not_installed,
            "nvwizard_driver": driver,
            "nvwizard_reason": reason,
            "nvwizard_json_or_none": json_or_none,
            "nvwizard_simulation_summary": simulation_summary,
            "nvwizard_plan_lines": plan_lines,
            "nvwizard_blockers": blockers,
            "nvwizard_blocked": blocked,
            "nvwizard_beyond_driver": beyond_driver,
            "nvwizard_check_summary": check_summary,
            "nvwizard_install_failure": install_failure,
            "nvwizard_seconds_to_reboot": seconds_to_reboot,
            "nvwizard_verify_failure": verify_failure,
            "nvwizard_reinstall_advice": reinstall_advice,
            "nvwizard_installed_message": installed_message,
            "nvwizard_pin_write": pin_write,
            "nvwizard_unchanged_summary": unchanged_summary,
            "nvwizard_report_lines": report_lines,
            "nvwizard_task_failure": task_failure,
        }

"""The activation decision as plain text: the facts it was taken on, the verdict, every reason."""

from __future__ import annotations

from nvwizard.report.activation import (
    LOAD,
    LOADED,
    REBOOT_LOADS_IT,
    Activation,
    ActivationFacts,
    count_words,
    gpu_jobs,
)

_SOURCE = {"signed": "Canonical-signed", "dkms": "built by DKMS"}


def format_decision(facts: ActivationFacts, activation: Activation, host_label: str) -> str:
    lines = [f"Loading the driver without a reboot on {host_label}: the machine now"]
    lines += format_facts(facts)
    if activation.verdict == LOAD:
        lines.append(f"Safe to load it now: {activation.reason}.")
        lines += [f"  note: {note}" for note in activation.notes]
    elif activation.verdict == LOADED:
        pass  # the last line says it: "Nothing to do: <driver> <version>, ... loaded already"
    else:
        # a demo whose boot rejects the DKMS-built module: no reboot loads it either
        needed = (
            "A reboot is needed" if activation.then == REBOOT_LOADS_IT else "It cannot be loaded"
        )
        lines.append(f"{needed}:")
        lines += [f"  - {reason}" for reason in activation.reasons]
        if activation.until_reboot:  # e.g. no fabric manager beside the old driver
            lines.append(activation.until_reboot)
    return "\n".join(lines)


def format_facts(facts: ActivationFacts) -> list[str]:
    """The machine as it is now, one indented `name  value` line each (also `reboot`'s)."""
    return [f"  {name:<16}{value}" for name, value in _facts(facts)]


def _facts(facts: ActivationFacts) -> list[tuple[str, str]]:
    if facts.module_version:
        kind = ", ".join(
            p for p in (facts.module_flavor, _SOURCE.get(facts.module_source or "", "")) if p
        )
        module = f"nvidia {facts.module_version} ({kind}) for {facts.kernel}"
    else:
        module = f"none for {facts.kernel}"
    if not facts.lsmod_read:
        loaded = "unknown (no lsmod)"
    elif facts.nvidia_modules:
        version = f" {facts.loaded_version}" if facts.loaded_version else ""
        flavor = f" ({facts.loaded_flavor})" if facts.loaded_flavor else ""
        names = " ".join(m.name for m in facts.nvidia_modules)
        loaded = f"nvidia{version}{flavor}: {names}"
    else:
        loaded = "no nvidia module"
    if facts.nouveau is None:
        nouveau = "not loaded"
    else:
        bound = "drives the GPU" if facts.nouveau_bound else "loaded"
        console = f"; console on {facts.console_framebuffer}" if facts.console_framebuffer else ""
        nouveau = f"{bound}, {count_words(facts.nouveau.count or 0, 'user')}{console}"
    running = [u.name.removesuffix(".service") for u in facts.services if u.active == "active"]
    users = _gpu_users(facts)
    return [
        ("new module", module),
        ("loaded now", loaded),
        ("nouveau", nouveau),
        ("Secure Boot", facts.secure_boot),
        ("GPU services", ", ".join(running) + " running" if running else "none running"),
        ("GPU users", users),
        ("pending kernel", facts.pending_kernel or "none"),
    ]


def _gpu_users(facts: ActivationFacts) -> str:
    """ "10 processes: 8 jobs, 2 GPU service daemons (stopped first)"; the daemons of the GPU
    services that run are no jobs: the activation stops them first (report/activation.py)."""
    if not facts.gpu_processes:
        return "none"
    users = count_words(len(facts.gpu_processes), "process", "processes")
    jobs = len(gpu_jobs(facts))
    daemons = len(facts.gpu_processes) - jobs
    if not daemons:
        return users
    if not jobs:
        return f"{users}, the GPU services' daemons (stopped first)"
    daemon_words = count_words(daemons, "GPU service daemon")
    return f"{users}: {count_words(jobs, 'job')}, {daemon_words} (stopped first)"

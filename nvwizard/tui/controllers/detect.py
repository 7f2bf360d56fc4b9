"""Detect: read the machine, then summarise it with the findings by severity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nvwizard.errors import StateFileError
from nvwizard.tui import flow
from nvwizard.tui.controllers.lines import (
    COMMAND,
    DANGER,
    DIM,
    HEADING,
    INFO,
    OK,
    WARN,
    Line,
    banner_text,
)

if TYPE_CHECKING:  # type hints only: the report's modules load with detection, in its thread
    from nvwizard.report.models import Report
    from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend

_SEVERITY_ORDER = {"block": 0, "warn": 1, "info": 2}
_SEVERITY_TONE = {"block": DANGER, "warn": WARN, "info": INFO}
_SEVERITY_LABEL = {"block": "BLOCK", "warn": "WARN", "info": "INFO"}
_OPEN_SUPPORT = {
    "required": "open modules required",
    "supported": "open or proprietary modules",
    "unsupported": "proprietary modules only",
    "unknown": "open-module support unknown",
}


def _group_gpus(report: Report) -> dict[tuple[str, str, str], list[str]]:
    """Eight identical H100s are one line, not sixteen."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for gpu in report.gpus:
        key = (gpu.name or f"device {gpu.device_id}", gpu.architecture, gpu.open_kernel)
        groups.setdefault(key, []).append(gpu.pci_address.removeprefix("0000:"))
    return groups


@dataclass(frozen=True)
class DetectView:
    """What the Detect screen shows once detection has ended, and which of its keys work then.
    Plain text and flags: a child process can work it out and send it (cli/detect_ahead.py)."""

    banner: str | None
    progress: str  # "✓ Detected <label>", or why detection failed
    summary: tuple[Line, ...]
    hint: str
    failed: bool
    next_step: str | None  # the screen n/Enter opens (flow.after_detect); None: none
    offers_demo: bool  # d: no NVIDIA GPU on this machine, try the demo one
    offers_verify: bool  # v: there is a driver to verify


class DetectController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend

    def detect(self, progress: Callable[[str], None]) -> Report:
        """Runs in a worker thread: read the machine and fill the state."""
        state = self.state
        report = self.backend.detect(state.host, progress)
        state.report = report
        state.apply_refusal = self.backend.apply_refusal(state.host)
        state.can_apply = state.apply_refusal is None
        to_purge, keep = self.backend.purge_proposal(report)
        state.proposed_purge = to_purge
        state.proposed_keep = keep
        state.ticked = set(to_purge)
        state.purge_planned = False
        state.purge = True
        state.driver = report.recommended_driver
        state.headless = report.headless_or_assumed
        state.choices = None  # the plan layer's defaults for this report: asked when planning
        state.container_ticked_to_reinstall = False
        progress("Checking whether a verification is pending")
        try:
            pending = self.backend.verification_pending(state.host)
            state.follow = self.backend.apply_to_follow(state.host)
            state.state_problem = None
        except StateFileError as damaged:  # said on screen, never trusted
            pending, state.follow, state.state_problem = False, None, str(damaged)
        # a simulated reboot is the demo's next login: Verify opens as the state file makes it
        state.verify_pending = state.rebooted or pending
        return report

    def detect_view(self, progress: Callable[[str], None]) -> DetectView:
        """`detect`, then what the screen shows of it: the summary, or why it failed (the
        wizard stays usable)."""
        try:
            self.detect(progress)
        except Exception as error:
            return self.view(error)
        return self.view()

    def view(self, error: Exception | None = None) -> DetectView:
        """What the screen shows once detection has ended; `error`: it failed."""
        state = self.state
        following = flow.after_detect(state)
        offers_demo = state.host.is_real and not self.has_gpu
        if error is not None:
            progress, hint = f"✗ Detection failed: {error}", "Press q to quit."
        else:
            progress = f"✓ Detected {state.host.label}"
            if following is None and offers_demo:
                hint = "No NVIDIA GPU here. Press d to try the demo machine, q to quit."
            elif following is None:
                hint = "Nothing to install here. Press q to quit."
            else:
                hint = f"Press n or Enter for {flow.TITLES[following]}."
        return DetectView(
            banner=banner_text(state.host),
            progress=progress,
            summary=() if error is not None else tuple(self.summary()),
            hint=hint,
            failed=error is not None,
            next_step=following,
            offers_demo=offers_demo,
            offers_verify=self.has_driver,
        )

    def use_demo(self) -> None:
        """Switch to the demo machine (offered when this one has no NVIDIA GPU)."""
        self.state.host = self.backend.demo_host()
        self.state.report = None

    @property
    def has_gpu(self) -> bool:
        return bool(self.state.report and self.state.report.has_nvidia_gpu)

    @property
    def has_driver(self) -> bool:
        """Something to verify: a loaded module or installed driver packages."""
        report = self.state.report
        return bool(report and (report.loaded_module or self.state.proposed_purge))

    def summary(self) -> list[Line]:
        report = self.state.report
        if report is None:
            return []
        lines = [Line(f"{report.os or 'unknown OS'}, kernel {report.kernel or 'unknown'}")]
        if not report.gpus:
            lines.append(Line("No NVIDIA GPU found on this machine.", WARN))
            if self.state.host.is_real:
                lines.append(Line("Try the wizard on a demo machine: press d, or run", DIM))
                lines.append(Line("  nvwizard --demo", COMMAND))
        for (name, architecture, open_kernel), addresses in _group_gpus(report).items():
            support = _OPEN_SUPPORT.get(open_kernel, open_kernel)
            count = f"{len(addresses)} x " if len(addresses) > 1 else ""
            lines.append(Line(f"GPU {count}{name}: {architecture}, {support}"))
            lines.append(Line(f"    at {' '.join(addresses)}", DIM))
        if report.nvswitch_count:
            lines.append(Line(f"{report.nvswitch_count} NVSwitch bridges (fabric manager needed)"))
        lines.append(Line(self._module_line(report)))
        lines.append(Line(f"Secure Boot: {report.secure_boot}"))
        lines += self._packages(report)
        lines += self._stack(report)
        lines += self.findings()
        if self.state.apply_refusal:
            lines.append(Line(""))
            lines.append(Line(self.state.apply_refusal, WARN))
        if self.state.state_problem:
            lines.append(Line(""))
            lines.append(Line(f"! {self.state.state_problem}", WARN, hang=2))
        return lines

    @staticmethod
    def _module_line(report: Report) -> str:
        module = report.loaded_module
        if module and module.version:
            return f"Loaded module: nvidia {module.version} ({module.flavor or 'flavour unknown'})"
        if report.nouveau_loaded:
            return "Loaded module: nouveau (the open-source driver; replaced at the next boot)"
        return "Loaded module: none"

    @staticmethod
    def _packages(report: Report) -> list[Line]:
        """One line: the Purge screen lists them all."""
        listed = [p for p in report.installed_packages if p.state != "un"]
        installed = [p for p in listed if p.state != "rc"]  # rc: removed, config files left
        config_only = len(listed) - len(installed)
        if not installed:
            left = f" ({config_only} removed, their config files left)" if config_only else ""
            return [Line(f"Installed NVIDIA packages: none{left}")]
        drivers = [p for p in installed if p.name.startswith("nvidia-driver-")]
        main = ", ".join(f"{p.name} {p.version or ''}".strip() for p in drivers[:2])
        left = f"; {config_only} removed, their config files left" if config_only else ""
        return [
            Line(
                f"Installed NVIDIA packages: {len(installed)}"
                + (f" ({main})" if main else "")
                + left
            )
        ]

    @staticmethod
    def _stack(report) -> list[Line]:
        """One line for the developer stack, when any of it is installed."""
        stack = report.stack
        parts = [f"CUDA {t.version} ({t.source})" for t in stack.cuda_toolkits]
        if stack.cudnn is not None:
            parts.append(f"cuDNN {stack.cudnn.version or '?'} for CUDA {stack.cudnn.cuda_major}")
        if stack.container_toolkit is not None:
            wired = ", ".join(stack.container_toolkit.runtimes_configured) or "no runtime"
            parts.append(f"container toolkit {stack.container_toolkit.version or '?'} ({wired})")
        return [Line("Developer stack: " + "; ".join(parts), hang=2)] if parts else []

    def findings(self) -> list[Line]:
        report = self.state.report
        if report is None or not report.findings:
            return [Line(""), Line("Findings: none", OK)]
        lines = [Line(""), Line("Findings", HEADING)]
        ordered = sorted(report.findings, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3))
        for finding in ordered:
            tone = _SEVERITY_TONE.get(finding.severity, INFO)
            label = _SEVERITY_LABEL.get(finding.severity, finding.severity.upper())
            lines.append(Line(f"{label:5} {finding.message}", tone, hang=6))
            if finding.fix:
                lines.append(Line(f"      fix: {finding.fix}", DIM))
        return lines

"""Stack: after the driver, the CUDA toolkit it can run, cuDNN and the container toolkit.

Every choice is optional (the first row, "no toolkit", and both toggles off skip it), and
remembered in the wizard state's choices, so going back and forth keeps it. The rules are the
plan layer's (plan/stack.py, plan/cuda_toolkit.py): this only lists them and says them in
words. A container toolkit that the Purge screen's ticks remove is not "installed": the toggle
offers to install it again, unticked unless it was ticked here while it was offered so
(controllers/choices.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nvwizard.errors import NvwizardError
from nvwizard.knowledge import containers as ctk
from nvwizard.knowledge import cuda
from nvwizard.plan.cuda_toolkit import (
    DISTRO,
    CudaOption,
    ceiling_sentence,
    cuda_options,
    judge_toolkit,
)
from nvwizard.plan.models import Choices
from nvwizard.plan.stack import choose_stack
from nvwizard.report.models import Report
from nvwizard.tui.controllers.choices import (
    container_toolkit_goes,
    container_toolkit_wanted,
    purged_by_ticks,
    refined_choices,
)
from nvwizard.tui.controllers.lines import DANGER, DIM, HEADING, OK, WARN, Line
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend

NONE = "none"
HEADER = ("", "CUDA toolkit", "From", "Runs here")


def runs_cell(option: CudaOption, installed: bool) -> str:
    """Whether the toolkit runs on this driver and these GPUs, and if not, which rules it out
    (CUDA 13 on a Pascal GPU: the GPU, whatever the driver)."""
    if option.allowed:
        return "yes, installed" if installed else "yes"
    if option.gpu_cannot:
        return f"no: {option.gpu_cannot}"
    if option.compat:
        return "only via minor-version compat."
    return "no: needs a newer driver"


@dataclass(frozen=True)
class ToolkitRow:
    key: str  # "none", "12.8", "distro"
    cells: tuple[str, ...]
    allowed: bool
    reason: str  # how it runs, or why it cannot


class StackController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend

    # -- facts ------------------------------------------------------------------------------

    @property
    def report(self) -> Report:
        return self.state.detected

    def branch(self) -> int | None:
        candidate = self.report.candidate(self.state.driver or "")
        return candidate.branch if candidate else None

    def ceiling(self) -> str:
        return ceiling_sentence(self.branch())

    def _installed(self, version: str, source: str) -> bool:
        return any(
            t.version == version and t.source == source for t in self.report.stack.cuda_toolkits
        )

    def rows(self) -> list[ToolkitRow]:
        toolkits = self.report.stack.cuda_toolkits
        # the versions alone in the table (it fits 80 columns); where they come from below it
        kept = ", ".join(dict.fromkeys(t.version for t in toolkits))
        installed = ", ".join(f"{t.version} ({t.source})" for t in toolkits)
        reason = (
            "No toolkit is installed or changed: the driver alone runs CUDA programs built "
            "elsewhere, and containers bring their own toolkit."
        )
        rows = [
            ToolkitRow(
                NONE,
                ("", "none", "", f"keep installed: {kept}" if kept else "skip"),
                True,
                f"{reason} Installed, and kept: {installed}." if installed else reason,
            )
        ]
        newest = True
        for option in cuda_options(self.report, self.branch()):
            mark = "✗" if not option.allowed else ("★" if newest else "")
            newest = newest and not option.allowed
            installed_here = self._installed(option.version, "nvidia-repo")
            rows.append(
                ToolkitRow(
                    option.version,
                    (mark, option.version, "NVIDIA", runs_cell(option, installed_here)),
                    option.allowed,
                    option.reason,
                )
            )
        distro = self.report.stack.offers.distro_cuda
        if distro:
            option = judge_toolkit(self.report, distro, self.branch())
            known = self.branch() is not None or option.gpu_cannot
            rows.append(
                ToolkitRow(
                    DISTRO,
                    (
                        "" if option.allowed else "✗",
                        distro,
                        cuda.DISTRO_TOOLKIT,
                        runs_cell(option, installed=False),
                    ),
                    option.allowed,
                    option.reason if known else "the distribution's own toolkit",
                )
            )
        return rows

    def selected_index(self) -> int:
        """The remembered toolkit, else "none"."""
        wanted = (self.state.choices.cuda if self.state.choices else None) or NONE
        keys = [r.key for r in self.rows()]
        if wanted == "latest":
            allowed = [r.key for r in self.rows()[1:] if r.allowed and r.key != DISTRO]
            wanted = allowed[0] if allowed else NONE
        return keys.index(wanted) if wanted in keys else 0

    def cudnn_chosen(self) -> bool:
        return bool(self.state.choices and self.state.choices.cudnn)

    def container_chosen(self) -> bool:
        return container_toolkit_wanted(self.state)

    def cudnn_label(self) -> str:
        found = self.report.stack.cudnn
        now = f"; for CUDA {found.cuda_major} installed" if found else ""
        return f"cuDNN 9: what PyTorch and TensorFlow call on the GPU{now}"

    def container_label(self) -> str:
        if container_toolkit_goes(self.state):  # ticked on the Purge screen, or only they need it
            return "Container toolkit: the purge removes it; tick to install it again, fresh"
        installed = self.report.stack.container_toolkit
        runtimes = self.report.stack.container_runtimes
        words = ", ".join(r.what for name in runtimes if (r := ctk.runtime(name))) or "no runtime"
        if installed is not None:
            todo = [r for r in runtimes if r not in installed.runtimes_configured]
            state = f"wire into {', '.join(todo)}" if todo else f"installed, in {words}"
            return f"Container toolkit: GPUs inside containers ({state})"
        return f"Container toolkit: GPUs inside containers ({words} installed)"

    # -- the explanation of the highlighted row --------------------------------------------------

    def explain(self, row: ToolkitRow) -> list[Line]:
        lines = [Line(self.ceiling(), HEADING)]
        if row.key == NONE:
            lines.append(Line(row.reason))
            return lines
        if not row.allowed:
            lines.append(Line(f"Not for this driver and GPU: {row.reason}.", DANGER))
            return lines
        if row.key == DISTRO:
            lines.append(
                Line(
                    f"The distribution's {cuda.DISTRO_TOOLKIT}: nvcc in /usr/bin; no "
                    "repository to add.",
                    OK,
                )
            )
            return lines
        package = cuda.toolkit_package(row.key)
        lines.append(Line(f"{package} from NVIDIA's CUDA repository: {row.reason}.", OK))
        if not self.report.stack.cuda_repo:
            lines.append(
                Line(
                    "The plan adds the repository (cuda-keyring) and first an apt pin "
                    "that keeps its driver packages out.",
                    WARN,
                )
            )
        elif not self.report.stack.cuda_repo_driver_pin:
            lines.append(
                Line(
                    "The repository is configured; the plan adds the apt pin that keeps "
                    "its driver packages out.",
                    WARN,
                )
            )
        lines.append(Line("Never `cuda` or `cuda-X-Y`: they would replace the driver.", DIM))
        return lines

    # -- the choice --------------------------------------------------------------------------------

    def choose(self, row: ToolkitRow, cudnn: bool, container: bool) -> str | None:
        """Record the stack; returns why the plan layer refuses it, or None."""
        if not row.allowed:
            return f"CUDA {row.key} cannot be used here: {row.reason}"
        if cudnn and row.key == NONE and not self.report.stack.cuda_toolkits:
            # the plan layer's refusal names the command line's --cuda
            return (
                "cuDNN needs a CUDA toolkit, and none is installed: choose one in the list "
                "(★ is the newest this driver runs), or untick cuDNN."
            )
        base = refined_choices(self.state, self.backend) or Choices(driver=self.state.driver or "")
        chosen = replace(
            base,
            driver=self.state.driver or base.driver,
            cuda=None if row.key == NONE else row.key,
            cudnn=cudnn,
            container_toolkit=container,
        )
        try:
            choose_stack(self.report, chosen, self.branch(), purged_by_ticks(self.state))
        except NvwizardError as error:
            return str(error)
        self.state.choices = chosen
        self.state.container_ticked_to_reinstall = container and container_toolkit_goes(self.state)
        self.state.plan = None
        return None

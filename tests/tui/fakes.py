"""A small stand-in for the layers below the wizard, until (and besides) the real ones.

It answers like the real backend would for an HGX-like machine: a 535-server driver and the
container toolkit installed, a training job on the GPU, three candidates one of which this GPU
cannot run. Applying emits the engine's events, optionally failing one step.
"""

from __future__ import annotations

from dataclasses import replace

from nvwizard.detect.models import DpkgEntry, GpuProcess, LsmodEntry
from nvwizard.engine import events as ev
from nvwizard.engine.state import VerifyCheck, VerifyResult
from nvwizard.engine.verify import nothing_to_verify
from nvwizard.host.base import Host
from nvwizard.knowledge.explanations import Paragraph
from nvwizard.knowledge.packages import KeptPackage
from nvwizard.plan import models as pm
from nvwizard.plan.activate import build_activation_plan
from nvwizard.plan.models import Choices, Plan, Step
from nvwizard.plan.simulate import Simulation, SimulationCheck, SimulationResult
from nvwizard.report.activation import ActivationFacts, decide_activation
from nvwizard.report.models import DriverCandidate, Finding, Gpu, Report


class FakeHost(Host):
    def __init__(self, kind: str = "demo", label: str = "demo fake-hgx"):
        self.kind = kind
        self.label = label

    def read(self, source):
        return None

    def start(self, argv, env=None):
        raise AssertionError("the wizard must not run commands itself")


def fake_report(gpus: bool = True, installed: bool = True) -> Report:
    report = Report(
        os="Ubuntu 24.04.1 LTS",
        os_id="ubuntu",
        os_version="24.04",
        kernel="6.8.0-45-generic",
        source="demo fake-hgx",
        over_ssh=True,
    )
    if gpus:
        report.gpus = [
            Gpu("0000:18:00.0", "2330", "H100 SXM5 80GB", "Hopper", "supported", "GH100")
        ]
        report.driver_candidates = [
            DriverCandidate(
                "nvidia-driver-580-server-open",
                580,
                True,
                True,
                True,
                "distro",
                "LTSB",
                "2028-06",
                "13.0",
            ),
            DriverCandidate(
                "nvidia-driver-580-server",
                580,
                False,
                True,
                False,
                "distro",
                "LTSB",
                "2028-06",
                "13.0",
            ),
            DriverCandidate(
                "nvidia-driver-470-server",
                470,
                False,
                True,
                False,
                "distro",
                "LTSB",
                "2024-07",
                "11.4",
                runnable=False,
                reason="branch 470 does not support Hopper GPUs",
            ),
        ]
        report.recommended_driver = "nvidia-driver-580-server-open"
    if installed:
        report.installed_packages = [
            DpkgEntry("nvidia-driver-535-server", "535.183.01-0ubuntu1", "ii"),
            DpkgEntry("nvidia-utils-535-server", "535.183.01-0ubuntu1", "ii"),
            DpkgEntry("nvidia-container-toolkit", "1.16.2-1", "ii"),
        ]
        report.gpu_processes = [GpuProcess(4242, "python3", "alice", "/dev/nvidia0")]
    report.findings = [
        Finding("gpu-processes", "warn", "A training job uses the GPU.", "Stop it first."),
        Finding("ssh", "info", "You are connected over SSH.", "Use a scheduled reboot."),
    ]
    return report


# What the activation decision reads after the install (report/activation.py).
FRESH_MACHINE = ActivationFacts(
    kernel="6.8.0-45-generic",
    driver="nvidia-driver-580-server-open",
    module_version="580.95.05",
    module_flavor="open",
    module_source="signed",
    branch=580,
    secure_boot="disabled",
    nouveau=LsmodEntry("nouveau", 2424832, (), 0),
    nouveau_bound=True,
    console_framebuffer="astdrmfb",
)
BUSY_GPU = replace(
    FRESH_MACHINE,
    nouveau=None,
    nouveau_bound=False,
    nvidia_modules=(LsmodEntry("nvidia", 56795136, (), 1),),
    loaded_version="535.247.01",
    gpu_processes=(GpuProcess(1843117, "python3", "mlops", "/dev/nvidia0"),),
)


class FakeRun:
    detached = False

    def __init__(self, plan: Plan, sink, fail_step: str | None = None):
        self.plan, self.sink, self.fail_step = plan, sink, fail_step
        self.cancelled = False

    def run(self) -> None:
        self.sink(ev.PlanStarted(plan=self.plan, pid=4242, host="demo fake-hgx"))
        for step in self.plan.steps:
            if self.cancelled:
                break
            argv = tuple(tuple(a) for a in step.commands)
            self.sink(ev.StepStarted(step.id, step.title, argv, step.kind))
            for n in range(3):
                self.sink(ev.StepOutput(step.id, "stdout", (f"{step.id} [line {n}]",)))
            self.sink(ev.StepProgress(step.id, 50.0, "half", "install"))
            ok = step.id != self.fail_step
            self.sink(ev.StepFinished(step.id, 0 if ok else 1, 0.0, ok))
            if not ok:
                failed = ev.Outcome(
                    status=ev.FAILED,
                    failed_step=step.id,
                    message=f"{step.title} failed: nvidia-dkms-580 postinst exit 1",
                    repair=("dpkg", "--configure", "-a"),
                    reboot_required=True,
                    log_path="/var/log/nvwizard/apply-test.log",
                )
                self.sink(ev.PlanFinished(failed))
                return
        ended = ev.Outcome(
            status=ev.CANCELLED if self.cancelled else ev.DONE,
            reboot_required=True,
            log_path="/var/log/nvwizard/apply-test.log",
        )
        self.sink(ev.PlanFinished(ended))

    def cancel(self) -> None:
        self.cancelled = True


class FakeBackend:
    def __init__(
        self,
        report: Report | None = None,
        fail_step: str | None = None,
        verify_pending: bool = False,
        refusal: str | None = None,
        activation: ActivationFacts | None = None,
    ):
        self.report = report or fake_report()
        # the machine after the install, as the activation decision reads it: by default the
        # HGX-like machine with a training job on the GPU (only a reboot loads the driver)
        self.activation_facts = activation or BUSY_GPU
        self.fail_step = fail_step
        self.pending = verify_pending
        self.refusal = refusal
        self.journal_problem: str | None = None  # journal_refusal's answer
        self.plans: list[Plan] = []
        self.reboots: list[int | None] = []
        self.boots = 0  # simulated reboots that came up (demo hosts only)
        self.next_boot = None  # next_boot_blocker's answer (a Blocker: no module boots next)
        self.detections = 0
        self.repair_plans: list[Plan] = []

    def detect(self, host, progress):
        self.detections += 1
        progress("Reading the fake machine")
        return self.report

    def ranked(self, host, headless):
        return replace(self.report, headless_answer=headless)

    def demo_host(self):
        return FakeHost()

    def apply_refusal(self, host):
        return self.refusal

    def journal_refusal(self, host):
        return self.journal_problem

    def planned_purge(self, report, choices):
        return self.purge_proposal(report)

    def purge_proposal(self, report):
        names = [p.name for p in report.installed_packages]
        kept = [
            KeptPackage(n, "container runtime, not the driver") for n in names if "container" in n
        ]
        return [n for n in names if "container" not in n], kept

    def autoremove_extras(self, host, report, to_purge):
        return ["libnvidia-compute-535-server"] if to_purge else []

    def explain(self, candidate, report):
        paragraphs = []
        if not candidate.runnable:
            paragraphs.append(Paragraph("Cannot run here", candidate.reason, "block"))
        paragraphs.append(
            Paragraph("Open modules", f"{candidate.flavour} on {report.gpus[0].name}.")
        )
        return paragraphs

    def default_choices(self, report):
        return Choices(driver=report.recommended_driver or "", headless=report.headless)

    def build_plan(self, report, choices: Choices) -> Plan:
        steps = [
            Step(
                id="update",
                title="Refresh the package lists",
                why="apt must know the packages.",
                commands=[["apt-get", "update"]],
                changes_system=True,
                on_failure="Check the network.",
                kind=pm.UPDATE,
            )
        ]
        if choices.purge:
            names = [
                p.name
                for p in report.installed_packages
                if (p.name not in choices.keep and "container" not in p.name)
                or p.name in choices.also_purge
            ]
            steps.append(
                Step(
                    id="purge",
                    title="Purge the installed NVIDIA packages",
                    why="A clean start.",
                    commands=[["apt-get", "-y", "purge", *names]],
                    changes_system=True,
                    on_failure="Read the log.",
                    kind=pm.PURGE,
                )
            )
        steps.append(
            Step(
                id="install",
                title=f"Install {choices.driver}",
                why="The chosen driver.",
                commands=[["apt-get", "-y", "install", choices.driver]],
                changes_system=True,
                on_failure="Run the repair.",
                kind=pm.INSTALL,
            )
        )
        plan = Plan(
            steps=steps,
            choices=choices,
            host_label="demo fake-hgx",
            driver=choices.driver,
            flavour=choices.driver.removeprefix("nvidia-driver-"),
            branch=580,
            modules="signed",
        )
        self.plans.append(plan)
        return plan

    def simulate(self, host, report, plan):
        purge = SimulationResult(
            ["apt-get", "-s", "purge"], 0, remove={"nvidia-driver-535-server": ""}
        )
        install = SimulationResult(["apt-get", "-s", "install"], 0, install={plan.driver: "580"})
        simulation = Simulation(purge=purge, autoremove=None, install=install)
        return simulation, SimulationCheck(True, [], [], [580])

    def start_apply(self, host, plan, sink):
        return FakeRun(plan, sink, self.fail_step)

    def start_repair(self, host, sink):
        """Like the real backend: detect again, then a repair plan from that report."""
        self.detect(host, lambda _text: None)
        self.fail_step = None
        plan = Plan(
            steps=[
                Step(
                    id="repair",
                    title="Repair the package manager",
                    why="Half-configured.",
                    commands=[["dpkg", "--configure", "-a"]],
                    changes_system=True,
                    on_failure="By hand.",
                    kind=pm.REPAIR,
                ),
                Step(
                    id="audit",
                    title="Check that dpkg is healthy",
                    why="Nothing left unfinished.",
                    commands=[["dpkg", "--audit"]],
                    changes_system=False,
                    on_failure="By hand.",
                    kind=pm.PREFLIGHT,
                ),
            ],
            choices=Choices(driver=""),
            host_label="x",
            driver="",
            flavour="",
            branch=None,
            modules="",
        )
        self.repair_plans.append(plan)
        return FakeRun(plan, sink)

    def apply_to_follow(self, host):
        return None

    def follow_apply(self, events_path, sink):
        raise AssertionError("nothing to follow on the stand-in machine")

    def log_path(self):
        return "/var/log/nvwizard/apply-test.log"

    def decide_activation(self, host, driver):
        facts = replace(self.activation_facts, driver=driver or self.activation_facts.driver)
        return facts, decide_activation(facts)

    def activation_plan(self, host, facts, activation):
        return build_activation_plan(facts, activation, host.label)

    def next_boot_blocker(self, host):
        return self.next_boot

    def reboot(self, host, delay_minutes):
        self.reboots.append(delay_minutes)
        return "DEMO: would schedule the reboot"

    def await_reboot(self, host, hurry=None):
        if host.is_real:
            return False
        self.boots += 1
        return True

    def verification_pending(self, host):
        return self.pending

    def nothing_to_verify(self, host):
        return nothing_to_verify(self.report, host.label)

    def verify(self, host):
        return VerifyResult(
            [
                VerifyCheck("module loaded", True, "nvidia 580.95.05 (open)"),
                VerifyCheck("nvidia-smi", False, "NVML mismatch", "reboot"),
            ]
        )

"""The Debian plans nvwizard builds: for a release's demo machine, every kernel flavour the
recorded archive has, every driver candidate and both kinds (headless, desktop).

A plan is built the way every front end builds it (`build_report` on the machine, then
`build_plan`); only the machine's facts are swapped: the running kernel, and, while recording,
the package stanzas apt would show.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from nvwizard.errors import NvwizardError
from nvwizard.host.base import Host, RunningCommand
from nvwizard.host.bundle import read_bundle_file
from nvwizard.host.demo import find_demo
from nvwizard.host.sources import SOURCE_NAMES
from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices, Plan
from nvwizard.plan.simulate import simulation_commands
from nvwizard.report.build import build_report
from nvwizard.report.models import Report


class SourcesHost(Host):
    """A machine known only by its source texts (read-only; runs nothing)."""

    kind = "bundle"

    def __init__(self, sources: Mapping[str, str | None], label: str):
        self.sources = dict(sources)
        self.label = label

    def read(self, source: str) -> str | None:
        return self.sources.get(source)

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        raise NotImplementedError("a recorded Debian machine runs nothing")


def demo_report(demo: str, overrides: Mapping[str, str]) -> Report:
    """The demo machine's report with some of its sources replaced (`uname-r.txt`, ...)."""
    folder = find_demo(demo).path  # the bundle as shipped, never a saved demo state
    sources = {name: read_bundle_file(folder, name) for name in SOURCE_NAMES}
    sources.update(overrides)
    return build_report(SourcesHost(sources, f"demo {demo} ({overrides.get('uname-r.txt')})"))


@dataclass(frozen=True)
class PlanCase:
    key: str  # "trixie/cloud-amd64/nvidia-driver/desktop"
    flavour: str
    driver: str
    headless: bool
    plan: Plan | None  # None: nvwizard refuses it (see `refused`)
    refused: str | None = None

    @property
    def install_argv(self) -> list[str]:
        """The install step's simulation, as `nvwizard install` runs it (`apt-get -s ...`);
        with the developer stack when the plan has one."""
        assert self.plan is not None
        commands = simulation_commands(self.plan)
        return commands.get("stack") or commands["install"]


def plan_cases(
    codename: str,
    demo: str,
    kernels: Mapping[str, str],
    apt_show: str | None = None,
    apt_sources: str | None = None,
) -> Iterator[PlanCase]:
    """Every plan of the demo machine on each kernel flavour (flavour -> `uname -r`); while
    recording, with the stanzas and sources of the archive being recorded."""
    for flavour, kernel in kernels.items():
        overrides = {"uname-r.txt": kernel + "\n"}
        if apt_show is not None:
            overrides["apt-cache-show.txt"] = apt_show
        if apt_sources is not None:
            overrides["apt-sources.txt"] = apt_sources
        report = demo_report(demo, overrides)
        for candidate in report.driver_candidates:
            for headless in (True, False):
                kind = "headless" if headless else "desktop"
                key = f"{codename}/{flavour}/{candidate.package}/{kind}"
                # persistenced as the command line's default: on for a headless server
                choices = Choices(
                    driver=candidate.package, headless=headless, persistenced=headless
                )
                try:
                    plan = build_plan(report, choices)
                except NvwizardError as error:
                    yield PlanCase(key, flavour, candidate.package, headless, None, str(error))
                    continue
                yield PlanCase(key, flavour, candidate.package, headless, plan)
        yield from _distro_cuda_case(codename, flavour, report)


def _distro_cuda_case(codename: str, flavour: str, report: Report) -> Iterator[PlanCase]:
    """The archive's own CUDA toolkit (`--cuda distro`), headless, with the first driver that
    runs it: the recommended one, else the next candidate."""
    if report.stack.offers.distro_cuda is None:
        return
    names = [c.package for c in report.driver_candidates]
    names.sort(key=lambda name: name != report.recommended_driver)
    refused: PlanCase | None = None
    for driver in names:
        key = f"{codename}/{flavour}/{driver}/headless+cuda-distro"
        choices = Choices(driver=driver, headless=True, persistenced=True, cuda="distro")
        try:
            plan = build_plan(report, choices)
        except NvwizardError as error:
            refused = refused or PlanCase(key, flavour, driver, True, None, str(error))
            continue
        yield PlanCase(key, flavour, driver, True, plan)
        return
    if refused is not None:
        yield refused

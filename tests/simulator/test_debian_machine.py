"""The simulated Debian machines: the plan's `sources` step, and trixie's compiler line."""

from __future__ import annotations

from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host

QUICK = {"NVWIZARD_DEMO_SPEED": "0"}
MAIN_ONLY = (
    "# file: /etc/apt/sources.list\n"
    "deb http://deb.debian.org/debian trixie main\n"
    "deb http://security.debian.org/debian-security trixie-security main\n"
)


def run(host, argv):
    command = host.start(argv, QUICK)
    lines = [line.text for line in command.lines()]
    return command.wait(), lines


def test_the_sources_step_adds_its_entries_to_the_simulated_machine():
    host = demo_host("debian13-l4")
    host.simulator.write("apt-sources.txt", MAIN_ONLY)
    report = build_report(host)
    assert "debian-components-missing" in {f.id for f in report.findings}
    (argv,) = build_plan(report, Choices(driver="nvidia-driver")).step("sources").commands

    code, lines = run(host, argv)

    assert code == 0 and lines[0] == "Wrote /etc/apt/sources.list.d/nvwizard-debian-components.list"
    after = build_report(host)
    assert "debian-components-missing" not in {f.id for f in after.findings}
    assert after.debian.component_gaps == []
    again, lines = run(host, argv)
    assert again == 1 and "not overwritten" in lines[0]


def test_trixie_modules_report_trixies_compiler():
    host = demo_host("debian13-l4")
    assert run(host, ["apt-get", "-y", "install", "nvidia-kernel-dkms", "nvidia-smi"])[0] == 0
    result = host.simulator.boot()
    assert result.module is not None, result.why_no_module
    version = host.read("proc-driver-nvidia-version.txt")
    assert "gcc version 14.2.0 (Debian 14.2.0-19)" in version

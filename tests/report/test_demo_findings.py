"""Detection's findings on a demo name no command for this computer: nvwizard's own commands
carry `--demo NAME`, and what only a person at a real machine could do (`sudo apt-get ...`,
`lspci`, `mokutil`) reads "On a real machine: ...". A bundle keeps the real machine's words."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from nvwizard.detect.models import DfEntry
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import DEMOS
from nvwizard.host.demo_advice import DemoRef
from nvwizard.report import findings as f
from nvwizard.report.build import build_report
from nvwizard.report.facts import ExtraFacts
from nvwizard.simulator import demo_host
from tests.plan.test_demo_failure_words import commands_for_this_computer
from tests.report.test_bus_findings import report_of, sample
from tests.report.test_debian import BOOKWORM_MAIN_ONLY, _machine
from tests.report.test_stack import DPKG, bundle

from .helpers import TODAY, gpu, report

DEMO = DemoRef("hgx-h100", "/state/demo-machines/hgx-h100.json")
RTX3090 = gpu("2204", "GA102 [GeForce RTX 3090]")


# what only a person at a real machine runs, named in a fix with or without backticks
REAL_MACHINE_COMMAND = re.compile(
    r"\b(apt-mark|apt-get|dpkg|systemctl|modprobe|journalctl|dmesg|lspci|mokutil|dkms|"
    r"nvidia-ctk|update-initramfs|unattended-upgrades)\b"
)


def real_machine_commands(fix: str) -> list[str]:
    """`commands_for_this_computer`, and the real machine's commands `fix` names outside
    backticks (nvml-mismatch said "(apt-mark hold)"), before its "On a real machine: "."""
    said = fix.split("On a real machine: ", 1)[0]
    return commands_for_this_computer(fix) + REAL_MACHINE_COMMAND.findall(said)


@pytest.mark.parametrize("name", [d.name for d in DEMOS])
def test_no_finding_of_a_bundled_demo_sends_the_user_to_this_computer(name, monkeypatch):
    monkeypatch.delenv("NVWIZARD_STATE_DIR", raising=False)
    for finding in build_report(demo_host(name), TODAY).findings:
        assert real_machine_commands(finding.fix) == [], (finding.id, finding.fix)


def test_the_nvml_mismatch_demo_s_hold_is_said_for_a_real_machine():
    found = {x.id: x.fix for x in build_report(demo_host("nvml-mismatch"), TODAY).findings}
    assert found["nvml-mismatch"] == (
        "Reboot to load the installed module. On a real machine: to stop unattended-upgrades "
        "repeating it, hold the driver packages (`sudo apt-mark hold ...`) or blacklist them "
        "in unattended-upgrades."
    )


def test_a_passthrough_and_missing_debian_components_on_a_demo(tmp_path):
    """Findings no bundled demo shows: their by-hand halves read "On a real machine: ..."."""
    vfio = report_of(tmp_path, lspci_nn=sample("bus/lspci-nnk-p40-vfio-pci.txt"))
    debian = build_report(_machine("12", BOOKWORM_MAIN_ONLY))
    fixes = [
        f.gpu_passthrough(replace(vfio, demo=DEMO), ExtraFacts()).fix,
        f.debian_components_missing(replace(debian, demo=DEMO), ExtraFacts()).fix,
    ]
    assert fixes[0].startswith("Nothing to do if it is meant for a VM. On a real machine: to use")
    assert fixes[1].startswith(
        "nvwizard's plan adds them (a step you confirm, in a file of its own). On a real "
        "machine: add them yourself instead"
    )
    for fix in fixes:
        assert real_machine_commands(fix) == [], fix
    # this machine's words: as they are
    assert "VM. To use it on this host" in f.gpu_passthrough(vfio, ExtraFacts()).fix


def test_the_demo_s_verify_and_activate_carry_its_name():
    demo = report(gpus=[RTX3090], over_ssh=True, nouveau_loaded=True, demo=DEMO)
    found = {x.id: x.fix for x in f.find_all(demo)}
    assert found["over-ssh"].endswith("run `nvwizard verify --demo hgx-h100`.")
    assert "(`nvwizard activate --demo hgx-h100` checks)." in found["nouveau-loaded"]
    here = {x.id: x.fix for x in f.find_all(report(gpus=[RTX3090], over_ssh=True))}
    assert here["over-ssh"].endswith("run `nvwizard verify`.")


def test_what_only_a_real_machine_s_admin_does_is_said_as_that():
    facts = ExtraFacts(
        disk=[DfEntry("/", 900_000)], run_installer_traces=["/usr/bin/nvidia-uninstall"]
    )
    demo = report(
        gpus=[RTX3090],
        held_packages=["nvidia-driver-535"],
        secure_boot="enabled",
        os_id="debian",
        demo=DEMO,
    )
    fixes = {x.id: x.fix for x in f.find_all(demo, facts)}
    for finding in ("held-packages", "low-disk", "run-installer", "secure-boot-dkms-only"):
        # held-packages first says what nvwizard's plan does (true on the demo too)
        by_hand = fixes[finding].split(". ", 1)[-1] if finding == "held-packages" else None
        assert (by_hand or fixes[finding]).startswith("On a real machine: "), fixes[finding]
        assert commands_for_this_computer(fixes[finding]) == []
    assert f.no_nvidia_gpu(report(demo=DEMO), facts).fix == (
        "Nothing to install. On a real machine: check `lspci -nn | grep -i nvidia` if a GPU "
        "should be present."
    )


def demo_bundle(tmp_path, **files) -> BundleHost:
    """The stack test's bundle, read as if it were the kept demo hgx-h100."""
    plain = bundle(tmp_path, **files)
    return BundleHost(plain.path, kind="demo", label="demo hgx-h100", saved_in=DEMO.saved_in)


def test_the_stack_s_findings_name_the_demo_s_install(tmp_path):
    findings = {x.id: x.fix for x in build_report(demo_bundle(tmp_path), TODAY).findings}
    assert findings["cudnn-cuda-mismatch"] == (
        "`nvwizard install --demo hgx-h100 --cudnn` (cuDNN for CUDA 12). On a real machine: "
        "`sudo apt-get install cudnn9-cuda-12` (cuDNN for CUDA 12)."
    )
    assert findings["container-toolkit-not-configured"].startswith(
        "`nvwizard install --demo hgx-h100 --container-toolkit` wires it in. On a real "
        "machine: run `sudo nvidia-ctk runtime configure --runtime=docker`"
    )
    for fix in findings.values():
        assert commands_for_this_computer(fix) == [], fix


def test_a_toolkit_newer_than_the_driver_on_a_demo(tmp_path):
    dpkg = DPKG.replace(
        "cuda-toolkit-12-8\tinstall ok installed\t12.8.1-1",
        "cuda-toolkit-13-0\tinstall ok installed\t13.0.2-1",
    )
    host = demo_bundle(tmp_path, **{"dpkg-query.txt": dpkg})
    newer = {x.id: x for x in build_report(host, TODAY).findings}["cuda-toolkit-newer-than-driver"]
    assert newer.fix == (
        "Install driver branch 580 or newer (`nvwizard --demo hgx-h100`), or a toolkit the "
        "driver supports (`nvwizard plan --demo hgx-h100 --cuda latest` shows which)."
    )

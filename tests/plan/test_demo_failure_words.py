"""A plan for a demo says what to do if a step fails in the demo's own commands: a user who
follows it must never run `sudo reboot`, `dpkg --configure -a` or `systemctl` on this computer.
What only a person at a real machine could do is said as "On a real machine: ..."."""

from __future__ import annotations

import re
import shlex
from dataclasses import replace

import pytest

from nvwizard.cli.machine_options import resolve_machine
from nvwizard.cli.main import build_parser
from nvwizard.cli.plan_cmd import choices_from_args, plan_from_args
from nvwizard.detect.models import LsmodEntry, UnitState
from nvwizard.engine.simulated_advice import stopped_advice
from nvwizard.host.demo import DEMOS
from nvwizard.host.demo_advice import DemoRef
from nvwizard.plan.activate import build_activation_plan
from nvwizard.plan.build import build_plan, build_repair_plan, default_choices
from nvwizard.plan.models import Choices, Plan
from nvwizard.report.activation import decide_activation
from nvwizard.report.build import build_report
from nvwizard.simulator import bundle_host, demo_host
from tests.plan.bundles import rtx3090_bundle
from tests.plan.test_activate_plan import FRESH, OLD
from tests.plan.test_demo_plans import TODAY

WITH_GPU = [d.name for d in DEMOS if d.name != "vm-no-gpu"]
EVERYTHING = {
    "reboot": True,
    "hold": True,
    "persistenced": True,
    "container_toolkit": True,
    "cuda": "latest",
    "cudnn": True,
}
# bookworm's 535 runs none of the toolkits of NVIDIA's debian12 repository (12.3 and newer)
# natively: its newest, through minor-version compatibility. NVIDIA's debian13 repository
# begins with CUDA 13.1 (branch 590): trixie's drivers run none of it, so the distribution's
# toolkit (12.4), through minor-version compatibility on 535
ON_DEMO = {
    "debian12-t4": {"cuda": "12.3", "allow_cuda_compat": True},
    "debian13-l4": {"cuda": "distro", "allow_cuda_compat": True},
}
SAVED = "/state/demo-machines/hgx-h100.json"


def commands_for_this_computer(text: str) -> list[str]:
    """The commands `text` tells the user to run, other than the demo's own (`nvwizard ...
    --demo NAME`, the reset `rm <file>`); what follows "On a real machine:" is not counted."""
    said = text.split("On a real machine: ", 1)[0]
    spans = re.findall(r"`([^`]*)`", said)
    found = [s for s in spans if not (re.match(r"nvwizard .*--demo ", s) or s.startswith("rm "))]
    return found + (["sudo"] if re.search(r"\bsudo\b", said) else [])


def full_plan(name: str) -> Plan:
    report = build_report(demo_host(name), today=TODAY)
    choices = Choices(**{**default_choices(report).__dict__, **EVERYTHING, **ON_DEMO.get(name, {})})
    return build_plan(report, choices)


@pytest.mark.parametrize("name", WITH_GPU)
@pytest.mark.parametrize("kept", [True, False], ids=["kept", "not-kept"])
def test_no_step_of_a_demo_plan_sends_the_user_to_this_computer(name, kept, tmp_path, monkeypatch):
    if kept:
        monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    else:
        monkeypatch.delenv("NVWIZARD_STATE_DIR", raising=False)
    plan = full_plan(name)
    assert "reboot" in [s.id for s in plan.steps]
    for step in plan.steps:
        assert commands_for_this_computer(step.on_failure) == [], (step.id, step.on_failure)


def test_a_kept_demo_s_steps_name_its_install_reboot_and_reset(tmp_path, monkeypatch):
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    plan = full_plan("hgx-h100")
    saved = tmp_path / "demo-machines" / "hgx-h100.json"
    # the install again carries every option the plan was made with (EVERYTHING)
    options = "--hold --reboot --cuda latest --cudnn --container-toolkit"
    again = f"nvwizard install --demo hgx-h100 --driver {plan.driver} {options}"
    assert plan.step("install").on_failure == (
        f"Read the log for the cause; then run `{again}` again (its plan first repairs what the "
        f"demo's package manager left unfinished), or reset the demo to its bundle: `rm {saved}`."
    )
    assert plan.step("reboot").on_failure == (
        # the demo's own reboot: no install again (nor its --accept for the training jobs)
        "Reboot the demo: `nvwizard reboot --demo hgx-h100` reboots it, "
        "or `nvwizard activate --demo hgx-h100` loads it without a reboot where that is safe; "
        "then run `nvwizard verify --demo hgx-h100`."
    )
    assert plan.step("fabric-manager").on_failure == (
        "On a real machine: run `systemctl enable nvidia-fabricmanager` after the reboot."
    )
    assert plan.step("autoremove").on_failure == (
        f"Harmless to leave: apply again (`{again}`) or leave it."
    )


def test_the_plan_json_carries_the_demo_s_words(tmp_path, monkeypatch):
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    plan = full_plan("rtx3090-fresh")
    again = Plan.from_json(plan.to_json())
    assert [s.on_failure for s in again.steps] == [s.on_failure for s in plan.steps]
    assert "sudo reboot" not in str(plan.to_json())


def test_a_bundle_s_plan_keeps_the_real_machine_s_words(tmp_path):
    """A bundle is a captured real machine: `sudo reboot` is what its user types there."""
    report = build_report(bundle_host(rtx3090_bundle(tmp_path / "bundle")))
    plan = build_plan(report, replace(default_choices(report), reboot=True))
    assert plan.step("reboot").on_failure == "Reboot by hand: `sudo reboot`."
    assert "`dpkg --configure -a`" in plan.step("verify").on_failure


def test_the_repair_plan_on_a_demo_names_the_demo_s_reset(tmp_path, monkeypatch):
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    plan = build_repair_plan(build_report(demo_host("rtx3090-fresh"), today=TODAY))
    for step in plan.steps:
        assert commands_for_this_computer(step.on_failure) == [], (step.id, step.on_failure)
    assert "`rm " in plan.step("audit").on_failure


UPGRADE = replace(
    FRESH,
    nvidia_modules=OLD,
    loaded_version="535.247.01",
    loaded_flavor="open",
    services=(
        UnitState("nvidia-persistenced.service", "active", "enabled"),
        UnitState("nvidia-fabricmanager.service", "active", "enabled"),
    ),
)


def test_the_activation_steps_on_a_demo_name_its_reboot_not_sudo_reboot():
    facts = replace(
        UPGRADE,
        nouveau=LsmodEntry("nouveau", 2424832, (), 0),
        demo=DemoRef("hgx-h100", SAVED),
    )
    plan = build_activation_plan(facts, decide_activation(facts), "demo hgx-h100")
    assert [s.id for s in plan.steps] == [
        "stop-gpu-services",
        "unload-nvidia",
        "unload-nouveau",
        "load-nvidia",
        "start-gpu-services",
        "verify-driver",
    ]
    reboot = (
        "reboot the demo: `nvwizard reboot --demo hgx-h100` reboots it; then run `nvwizard "
        "verify --demo hgx-h100`."
    )
    assert plan.step("load-nvidia").on_failure == (
        f"The error above says why it did not load now; {reboot}"
    )
    assert plan.step("verify-driver").on_failure == f"R{reboot[1:]}"
    for step in plan.steps:  # loading it without a reboot is what failed: no activate offered
        assert commands_for_this_computer(step.on_failure) == [], (step.id, step.on_failure)
        assert "activate" not in step.on_failure


def test_the_activation_steps_on_this_machine_keep_sudo_reboot():
    plan = build_activation_plan(UPGRADE, decide_activation(UPGRADE), "this machine")
    assert "`sudo reboot`" in plan.step("load-nvidia").on_failure


def test_a_waiting_kernel_update_rules_activate_out_of_a_demo_plan_s_words(tmp_path, monkeypatch):
    """nvml-mismatch waits for the reboot into linux-image-5.15.0-164-generic: `activate`
    refuses until then, so neither the install's reboot step nor `reboot`'s own plan offers
    it (as `status`, `install` and `verify` already do not: host/demo_advice.py)."""
    from nvwizard.plan.reboot import build_reboot_plan
    from nvwizard.report.activation_facts import activation_facts

    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    host = demo_host("nvml-mismatch")
    report = build_report(host, today=TODAY)
    plan = build_plan(report, replace(default_choices(report), reboot=True))
    reboot_alone = build_reboot_plan(activation_facts(host), host.label)
    for words in (plan.step("reboot").on_failure, reboot_alone.step("reboot").on_failure):
        assert words == (
            "Reboot the demo: `nvwizard reboot --demo nvml-mismatch` reboots it; then run "
            "`nvwizard verify --demo nvml-mismatch`."
        )


def _install_again(text: str) -> list[str]:
    """The `nvwizard install ...` command `text` tells the user to run, as argv."""
    (command,) = re.findall(r"`(nvwizard install [^`]*)`", text)
    return shlex.split(command)


def _parsed(argv: list[str]):
    """`argv` (after `nvwizard`) as the command line parses it, the machine option resolved."""
    args = build_parser().parse_args(argv)
    resolve_machine(args)
    return args


ASKED = [
    ["--cuda", "12.8", "--cudnn"],
    ["--hold", "--container-toolkit", "--lock-timeout", "60"],
    ["--desktop", "--persistenced", "--reboot", "--reinstall"],
    ["--no-persistenced", "--cuda", "12.9", "--allow-cuda-compat"],
    ["--keep-installed", "--cuda", "latest", "--container-toolkit"],
]


@pytest.mark.parametrize("options", ASKED, ids=[" ".join(o) for o in ASKED])
def test_the_install_again_of_a_demo_plan_carries_the_user_s_options(
    options, tmp_path, monkeypatch
):
    """Following a step's "if it fails" must ask for what the user asked for: parsed by the
    real command line, the install again makes the same choices as the plan it came from."""
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    _host, report, plan = plan_from_args(_parsed(["plan", "--demo", "rtx3090-fresh", *options]))
    said = [_install_again(s.on_failure) for s in plan.steps if "nvwizard install" in s.on_failure]
    assert said, [s.on_failure for s in plan.steps]
    for argv in said:
        assert argv[:4] == ["nvwizard", "install", "--demo", "rtx3090-fresh"]
        assert argv[4:] == ["--driver", plan.driver, *options]
        assert choices_from_args(_parsed(argv[1:]), report) == plan.choices


def test_the_install_again_names_only_the_purges_the_command_would_not_make(tmp_path, monkeypatch):
    """The wizard's Purge screen ticks another branch's fabric manager and NSCQ, which a purge
    keeps by default but this plan purges anyway (the new branch's replace them): the advice
    must not add `--also-purge` for them (it did, for two packages), yet keep one that does
    change the plan; run, it plans the same purge."""
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    report = build_report(demo_host("hgx-h100"), today=TODAY)
    ticked = ("libnvidia-nscq-535", "nvidia-container-toolkit", "nvidia-fabricmanager-535")
    plan = build_plan(report, replace(default_choices(report), also_purge=ticked))
    assert plan.install_options == ["--also-purge", "nvidia-container-toolkit"]
    argv = ["install", "--demo", "hgx-h100", "--driver", plan.driver, *plan.install_options]
    again = build_plan(report, choices_from_args(_parsed(argv), report))
    assert again.purge_list == plan.purge_list and "nvidia-fabricmanager-535" in again.purge_list
    assert [k.name for k in again.kept_list] == [k.name for k in plan.kept_list]
    assert [s.commands for s in again.steps] == [s.commands for s in plan.steps]


def test_the_user_s_options_survive_the_plan_json():
    """The detached worker and `install --json` read the plan back from its JSON."""
    report = build_report(demo_host("hgx-h100"), today=TODAY)
    choices = replace(
        default_choices(report), hold=True, cuda="12.8", keep=("libnvidia-decode-535-server",)
    )
    plan = build_plan(report, choices)
    assert plan.install_options == [
        "--keep",
        "libnvidia-decode-535-server",
        "--hold",
        "--cuda",
        "12.8",
    ]
    assert Plan.from_json(plan.to_json()).install_options == plan.install_options


def test_a_bundle_s_install_again_carries_the_user_s_options(tmp_path):
    folder = rtx3090_bundle(tmp_path / "bundle")
    host = bundle_host(folder)
    report = build_report(host)
    plan = build_plan(report, replace(default_choices(report), cuda="12.8", cudnn=True))
    said = stopped_advice(host, plan, plan.step("install"))
    assert _install_again(said)[3:] == [
        str(folder),
        "--driver",
        plan.driver,
        "--cuda",
        "12.8",
        "--cudnn",
    ]

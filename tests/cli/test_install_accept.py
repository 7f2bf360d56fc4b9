"""`install --yes` and a plan's blocking conditions (plan/blockers.py): it applies such a plan
only when each condition is accepted by id (`--accept ID`, the playbook's nvwizard_accept
ids); otherwise it refuses before anything changes, exit 3, naming each condition and the
options that accept them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nvwizard.cli.main import build_parser, main
from nvwizard.plan.blockers import BLOCKER_IDS

JOBS_REFUSED = (
    "nvwizard: not accepted: [gpu-processes] Jobs use the GPU and will fail when the driver "
    "goes (the purge, or the reboot into the new driver): 8 processes, python3 of mlops (pid "
    "1843117 and 7 more). Stop or drain them first."
)
ADD_JOBS = (
    "nvwizard: refused, nothing was changed: --yes applies a plan with blocking conditions "
    "only when each is accepted by id; to apply this one anyway, add: --accept gpu-processes"
)
GTX1080 = Path(__file__).parents[2] / "nvwizard" / "demo_machines" / "gtx1080-secureboot"
A_JOB = "4242\tpython3\tmlops\t/dev/nvidia0\n"


def everything_in(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes: what a refusal must leave as it was."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_yes_refuses_the_hgx_plan_whose_jobs_nobody_accepted_and_changes_nothing(places, capsys):
    state, log = places
    jobs = ["--accept", "gpu-processes"]
    assert main(["install", "--demo", "hgx-h100", "--yes", *jobs]) == 0  # the demo is saved
    capsys.readouterr()
    saved = state / "demo-machines" / "hgx-h100.json"
    assert saved.is_file()
    before = everything_in(state.parent)

    assert main(["install", "--demo", "hgx-h100", "--yes"]) == 3
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [JOBS_REFUSED, ADD_JOBS]
    assert "Simulation (apt-get -s)" not in captured.out and "==> applying" not in captured.out
    assert everything_in(state.parent) == before  # the saved demo, state file, journals, logs


def test_a_refusal_on_a_fresh_demo_writes_nothing_at_all(places, capsys):
    state, log = places
    assert main(["install", "--demo", "hgx-h100", "--yes", "--json"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""  # --json: no object, as for every refusal
    assert captured.err.splitlines()[-2:] == [JOBS_REFUSED, ADD_JOBS]
    assert not log.exists() and everything_in(state) == {}


def test_accepted_it_applies_and_says_what_was_accepted(places, capsys):
    assert main(["install", "--demo", "hgx-h100", "--yes", "--accept", "gpu-processes"]) == 0
    out = capsys.readouterr().out
    assert "Accepted (--accept gpu-processes): the plan's blocking condition gpu-processes" in (
        out.splitlines()
    )
    assert "Done: every step succeeded." in out
    # the demo's reboot is its own `nvwizard reboot`: no install again, nothing to accept again
    assert "The new driver loads at the demo's next reboot: `nvwizard reboot --demo hgx-h100`" in (
        out
    )
    assert "--reboot` installs it again" not in out


def test_an_accept_the_plan_does_not_need_is_said_and_does_not_fail(places, capsys):
    code = main(["install", "--demo", "rtx3090-fresh", "--yes", "--accept", "gpu-processes"])
    out = capsys.readouterr().out
    assert code == 0
    assert (
        "Not needed: --accept gpu-processes (this plan has no such blocking condition)"
        in out.splitlines()
    )


def test_an_unknown_id_is_a_usage_error_naming_the_valid_ones(places, capsys):
    state, log = places
    code = main(["install", "--demo", "hgx-h100", "--yes", "--accept", "gpu-procesess"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == (
        "nvwizard: --accept gpu-procesess: no blocking condition has this id; the ids are: "
        "gpu-processes, secure-boot-dkms-only, run-installer, gpu-fallen-off-bus\n"
    )
    assert captured.out == ""  # before planning anything
    assert not state.exists() and not log.exists()


def test_each_condition_nobody_accepted_gets_its_line_and_the_last_names_every_option(
    tmp_path, places, capsys
):
    """The GTX 1080 under Secure Boot (DKMS) with a job on its GPU: two conditions. Accepting
    the jobs alone leaves Secure Boot's: refused, naming only that one."""
    machine = tmp_path / "gtx1080-with-a-job"
    shutil.copytree(GTX1080, machine)
    (machine / "gpu-processes.txt").write_text(A_JOB)
    argv = ["install", "--machine", str(machine), "--yes"]
    assert main(argv) == 3
    err = capsys.readouterr().err.splitlines()
    assert [line.split("]")[0] for line in err[:-1]] == [
        "nvwizard: not accepted: [gpu-processes",
        "nvwizard: not accepted: [secure-boot-dkms-only",
    ]
    assert err[-1].endswith("add: --accept gpu-processes --accept secure-boot-dkms-only")

    assert main([*argv, "--accept", "gpu-processes"]) == 3
    captured = capsys.readouterr()
    assert "Accepted (--accept gpu-processes): the plan's blocking condition gpu-processes" in (
        captured.out
    )
    assert len(captured.err.splitlines()) == 2
    assert captured.err.splitlines()[0].startswith(
        "nvwizard: not accepted: [secure-boot-dkms-only] Secure Boot is on and the module will "
        "be built by DKMS"
    )
    assert captured.err.splitlines()[-1].endswith("add: --accept secure-boot-dkms-only")

    both = ["--accept", "secure-boot-dkms-only", "--accept", "gpu-processes"]
    assert main([*argv, *both]) == 0


def test_the_dry_run_and_the_plan_name_the_conditions_and_the_options(places, capsys):
    assert main(["plan", "--demo", "gtx1080-secureboot"]) == 0
    plan = capsys.readouterr().out.splitlines()
    heading = plan.index(
        "Blocking conditions (applying accepts them; `install --yes` needs --accept "
        "secure-boot-dkms-only):"
    )
    assert plan[heading + 1] == f"  secure-boot-dkms-only: {BLOCKER_IDS['secure-boot-dkms-only']}"
    assert main(["install", "--demo", "gtx1080-secureboot", "--yes", "--dry-run"]) == 0
    dry = capsys.readouterr().out.splitlines()
    assert dry[heading : heading + 2] == plan[heading : heading + 2]
    assert dry[-1] == "Dry run: nothing was run."


def test_plan_json_carries_the_same_ids(capsys):
    assert main(["plan", "--demo", "hgx-h100", "--json"]) == 0
    blockers = json.loads(capsys.readouterr().out)["blockers"]
    assert [b["id"] for b in blockers] == ["gpu-processes"]


def test_asked_install_names_the_conditions_and_its_question_accepts_them(
    places, capsys, monkeypatch
):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda question: print(question) or "y")
    assert main(["install", "--demo", "hgx-h100"]) == 0
    out = capsys.readouterr().out.splitlines()
    asked = next(i for i, line in enumerate(out) if line.startswith("Apply these"))
    assert out[asked] == (
        "Apply these 12 steps to demo hgx-h100, removing the 21 packages named above, "
        "accepting gpu-processes? [y/N] "
    )
    assert out[asked - 2] == "This plan has blocking conditions; answering yes accepts them:"
    assert "  " + JOBS_REFUSED.removeprefix("nvwizard: not accepted: ") == out[asked - 1]


@pytest.mark.parametrize("name", list(BLOCKER_IDS))
def test_install_help_names_every_id(name):
    parser = build_parser(only="install")
    install = parser._subparsers._group_actions[0].choices["install"]  # type: ignore[union-attr]
    assert name in " ".join(install.format_help().split())

import io
import json
import os
from collections import namedtuple

import pytest

from nvwizard.cli.main import main
from tests.detach.helpers import install_plan
from tests.plan.bundles import rtx3090_bundle
from tests.plan.spawntrap import SpawnTrap

SANDBOX_KERNEL = "6.8.0-45-generic"


@pytest.fixture
def bundle(tmp_path):
    return rtx3090_bundle(tmp_path / "bundle")


@pytest.fixture
def places(tmp_path, monkeypatch):
    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "log", tmp_path / "state"


# gtx1080-secureboot's 580 branch: DKMS under Secure Boot, a blocking condition to accept
SB_DKMS = ("--accept", "secure-boot-dkms-only")


def test_dry_run_prints_the_plan_and_runs_nothing(bundle, capsys, monkeypatch):
    trap = SpawnTrap(monkeypatch)
    assert main(["install", "--machine", str(bundle), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "$ dpkg --audit" in out and "Dry run: nothing was run." in out
    assert "Simulation" not in out
    assert trap.calls == []


def offer_the_driver_here(monkeypatch) -> None:
    """This machine's apt (a Debian development box) offers no Ubuntu driver, which plan now
    refuses: its `apt-cache show` answers as an Ubuntu machine's would."""
    from nvwizard.host import package_queries

    stanza = "Package: nvidia-driver-580-server-open\nVersion: 580.95.05-0ubuntu1\n"
    monkeypatch.setattr(package_queries, "apt_cache_show", lambda *_args, **_kw: stanza)


def test_dry_run_on_this_machine_needs_no_root(capsys, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    offer_the_driver_here(monkeypatch)
    # No NVIDIA GPU here: a named driver still gets a plan, with a warning.
    code = main(["install", "--driver", "nvidia-driver-580-server-open", "--dry-run"])
    assert code == 0
    assert "No NVIDIA GPU was found" in capsys.readouterr().out


def test_applying_to_this_machine_without_root_is_refused(capsys, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    trap = SpawnTrap(monkeypatch)
    assert main(["install", "--driver", "nvidia-driver-580-server-open", "--yes"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("nvwizard: applying to this machine needs root")
    assert len(err.splitlines()) == 1
    assert trap.calls == []


def test_without_yes_and_without_a_terminal_it_refuses_before_simulating(
    bundle, capsys, monkeypatch
):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    trap = SpawnTrap(monkeypatch)
    assert main(["install", "--machine", str(bundle)]) == 3
    captured = capsys.readouterr()
    assert "stdin is not a terminal; pass --yes" in captured.err
    assert "Simulation" not in captured.out
    assert trap.calls == []


def test_an_unknown_driver_is_refused_before_anything_runs(bundle, capsys, monkeypatch):
    trap = SpawnTrap(monkeypatch)
    assert main(["install", "--machine", str(bundle), "--driver", "nvidia-driver-1", "-y"]) == 2
    assert trap.calls == []


# -- this machine, with the real apt and dpkg pointed at the sandbox -------------------------


@pytest.fixture
def this_machine_is_the_sandbox(apt_sandbox, monkeypatch, places):
    """The local host's commands (detection and apply) see the sandbox's package database."""
    if os.geteuid() != 0:
        pytest.skip("applying to this machine needs root")
    for name, value in apt_sandbox.env.items():
        monkeypatch.setenv(name, value)
    for name in [
        n for n in os.environ if n.startswith(("APT_", "DPKG_")) and n not in apt_sandbox.env
    ]:
        monkeypatch.delenv(name)
    uname = os.uname()
    fake = namedtuple("uname", "sysname nodename release version machine")
    monkeypatch.setattr(os, "uname", lambda: fake(*uname[:2], SANDBOX_KERNEL, *uname[3:]))
    import nvwizard.host.spawn as spawn

    monkeypatch.setattr(spawn, "detach_method", lambda: spawn.SETSID)  # no system units
    apt_sandbox.run(["apt-get", "update"], check=True)
    return apt_sandbox


def test_install_on_this_machine_purges_installs_and_keeps_the_toolkit(
    this_machine_is_the_sandbox, capsys
):
    sandbox = this_machine_is_the_sandbox
    sandbox.install("nvidia-driver-535-server", "nvidia-container-toolkit")
    code = main(["install", "--driver", "nvidia-driver-580-server-open", "--headless", "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out

    assert "Simulation (apt-get -s):" in out
    assert "nvwizard: applying in the background (setsid)" in out
    assert "==> [1/" in out and "Check that dpkg is healthy" in out
    assert "%] " in out  # apt's progress percentages
    assert "A reboot is needed to load the new driver: sudo reboot" in out
    status = sandbox.status()
    assert status["nvidia-container-toolkit"] == "ii"
    assert "nvidia-driver-535-server" not in status
    assert status[f"linux-modules-nvidia-580-server-open-{SANDBOX_KERNEL}"] == "ii"
    assert status["nvidia-utils-580-server"] == "ii"


def test_a_failing_postinst_exits_1_with_the_state_and_the_repair(
    this_machine_is_the_sandbox, capsys, places
):
    from nvwizard.engine.state import read_state

    sandbox = this_machine_is_the_sandbox
    sandbox.fail_postinst("nvidia-utils-580-server")
    code = main(["install", "--driver", "nvidia-driver-580-server-open", "--headless", "--yes"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "FAILED: Install nvidia-driver-580-server-open" in out
    assert "nvidia-utils-580-server (half-configured)" in out
    assert "Repair: sudo dpkg --configure -a" in out
    last = read_state(places[1]).apply
    assert last.outcome == "failed" and last.failed_step == "install"
    assert sandbox.status()["nvidia-utils-580-server"] == "iF"


# -- demo and bundle runs execute no command at all -----------------------------------------


def run_with_trapped_path(tmp_path, *args):
    import subprocess
    import sys

    from tests.plan.spawntrap import trap_path

    record = tmp_path / "calls.txt"
    env = {
        **os.environ,
        "PATH": trap_path(tmp_path / "trap-bin", record),
        "NVWIZARD_LOG_DIR": str(tmp_path / "log"),
        "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        "NVWIZARD_DEMO_SPEED": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "nvwizard", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    calls = record.read_text().splitlines() if record.exists() else []
    return done, calls


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--demo"],
        ["plan", "--demo", "gtx1080-secureboot", "--json"],
        ["install", "--demo", "--dry-run"],
    ],
)
def test_plan_and_dry_run_on_a_demo_execute_no_command(tmp_path, args):
    done, calls = run_with_trapped_path(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert calls == []


def test_plan_and_dry_run_on_a_bundle_execute_no_command(tmp_path, bundle):
    for args in (
        ["plan", "--machine", str(bundle)],
        ["install", "--machine", str(bundle), "--dry-run"],
    ):
        done, calls = run_with_trapped_path(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        assert calls == []


def test_the_trap_sees_a_command_when_one_runs(tmp_path):
    # The proof above is only worth something if a real run would be recorded.
    done, calls = run_with_trapped_path(
        tmp_path, "install", "--driver", "nvidia-driver-580", "--dry-run"
    )
    assert done.returncode == 0, done.stderr
    assert calls  # detection on this machine runs lspci, dpkg-query, ... by name


def test_progress_printer_prints_plain_lines_for_scripts():
    from nvwizard.cli.apply_console import ProgressPrinter
    from nvwizard.engine import events as ev

    out = io.StringIO()
    printer = ProgressPrinter(out)
    plan = install_plan("nvidia-driver-580-server")  # steps: install, verify-packages
    done = ev.Outcome(ev.DONE)
    for event in [
        ev.PlanStarted(plan, 1, "demo x"),
        ev.StepStarted("install", "Install", (("apt-get", "-y"),), "install"),
        ev.StepProgress("install", 42.1, "Unpacking a", "install"),
        ev.StepProgress("install", 42.9, "Unpacking b", "install"),
        ev.StepOutput("install", "stdout", ("Setting up a", "Setting up b")),
        ev.StepFinished("install", 0, 1.5, True),
        ev.PlanFinished(done),
    ]:
        printer(event)
    assert out.getvalue().splitlines() == [
        "==> applying on demo x",
        "==> [1/2] Install",
        "    $ apt-get -y",
        "    [ 42%] Unpacking a",
        "    Setting up a",
        "    Setting up b",
        "    ok in 1.5 s",
    ]
    assert printer.finished == done


def test_install_on_the_demo_runs_the_whole_plan_and_executes_no_command(tmp_path):
    pytest.importorskip("nvwizard.simulator", reason="the demo simulator is not built yet")
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    recommended = build_report(demo_host("hgx-h100")).recommended_driver
    done, calls = run_with_trapped_path(
        tmp_path,
        "install",
        "--demo",
        "hgx-h100",
        "--driver",
        recommended,
        "--yes",
        "--accept",
        "gpu-processes",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    out = done.stdout
    assert "Simulation (apt-get -s):" in out
    for title in ("Check that dpkg is healthy", "Purge the", "Install " + recommended):
        assert title in out
    assert "Done: every step succeeded." in out
    assert "nothing on this computer was changed" in out
    assert calls == []
    from nvwizard.engine.state import read_state

    last = read_state(tmp_path / "state").apply
    assert last.outcome == "done" and last.driver == recommended


def test_a_failing_package_on_the_demo_exits_1_with_the_repair(monkeypatch, capsys, places):
    pytest.importorskip("nvwizard.simulator", reason="the demo simulator is not built yet")
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-dkms-580")
    code = main(
        [
            "install",
            "--demo",
            "gtx1080-secureboot",
            "--driver",
            "nvidia-driver-580",
            "--yes",
            *SB_DKMS,
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "left unfinished: nvidia-dkms-580 (half-configured)" in out
    lines = out[out.index("FAILED: ") :].splitlines()
    assert len([line for line in lines if "error processing package nvidia-dkms-580" in line]) == 1
    # what repairs the demo, in status's words: `dpkg --configure -a` here never reaches it
    saved = places[1] / "demo-machines" / "gtx1080-secureboot.json"
    assert lines[-1] == (
        "Next: run `nvwizard install --demo gtx1080-secureboot --driver nvidia-driver-580` "
        "again (its plan first repairs what the demo's package manager left unfinished), or "
        f"reset the demo to its bundle: `rm {saved}`. NVWIZARD_DEMO_FAIL=nvidia-dkms-580 made "
        "it fail: unset it first"
    )
    assert "Repair: " not in out and "dpkg --configure" not in out[out.index("FAILED: ") :]


def test_a_failed_demo_install_names_the_install_again_with_the_user_s_options(
    monkeypatch, capsys, places
):
    """Following the advice must not drop --cuda, --cudnn or --hold: the install again is the
    same install."""
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-utils-595-server")
    options = ["--cuda", "12.8", "--cudnn", "--hold"]
    code = main(["install", "--demo", "rtx3090-fresh", "--yes", *options])
    out = capsys.readouterr().out
    assert code == 1, out
    driver = "nvidia-driver-595-server-open"
    again = f"nvwizard install --demo rtx3090-fresh --driver {driver} --hold --cuda 12.8 --cudnn"
    assert f"Next: run `{again}` again (its plan first repairs" in out
    # and `status` afterwards, from the apply recorded in state.json (it named --driver alone)
    assert main(["status"]) == 0
    assert f"next: repair: run `{again}` again (its plan first repairs" in capsys.readouterr().out


def test_a_failed_demo_install_in_json_names_the_demos_repair_and_no_argv(
    monkeypatch, capsys, places
):
    """install --json on a demo: `repair` is null (as in `status --json`) and `next_action`
    is the demo's own command, not `dpkg --configure -a`."""
    import json

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-dkms-580")
    argv = ["install", "--demo", "gtx1080-secureboot", "--driver", "nvidia-driver-580"]
    code = main([*argv, "--yes", *SB_DKMS, "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["outcome"] == "failed"
    assert result["repair"] is None
    assert result["next_action"].startswith(
        "run `nvwizard install --demo gtx1080-secureboot --driver nvidia-driver-580` again"
    )


def test_a_failed_install_on_a_demo_not_kept_leaves_nothing_to_repair(monkeypatch, capsys):
    """Without NVWIZARD_STATE_DIR the demo ends with the command: nothing is left broken."""
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-dkms-580")
    monkeypatch.delenv("NVWIZARD_STATE_DIR", raising=False)
    monkeypatch.delenv("NVWIZARD_LOG_DIR", raising=False)
    argv = [
        "install",
        "--demo",
        "gtx1080-secureboot",
        "--driver",
        "nvidia-driver-580",
        "--yes",
        *SB_DKMS,
    ]
    assert main(argv) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(
        "Next: nothing to repair: the demo is not kept between commands (NVWIZARD_STATE_DIR is "
        "not set), so the next `nvwizard install --demo gtx1080-secureboot` starts from its "
        "bundle again"
    ), last


def test_hold_and_reboot_on_the_demo_end_with_the_scheduled_reboot(monkeypatch, capsys, places):
    pytest.importorskip("nvwizard.simulator", reason="the demo simulator is not built yet")
    from nvwizard.engine.state import read_state

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    assert main(["install", "--demo", "rtx3090-fresh", "--yes", "--hold", "--reboot"]) == 0
    out = capsys.readouterr().out
    assert "$ apt-mark hold nvidia-headless-no-dkms-" in out
    assert "$ shutdown -r +1 " in out
    # the demo's reboot: this computer's `shutdown -c` would not cancel it
    assert (
        "The simulated machine's reboot is scheduled in one minute (seconds at the demo's "
        "pace); this computer does not reboot."
    ) in out
    assert "cancel it: shutdown -c" not in out
    # The demo machine is kept in NVWIZARD_STATE_DIR: a later `verify` sees the boot.
    assert (
        "After the demo's reboot (seconds at its pace), run: nvwizard verify --demo rtx3090-fresh"
        in out
    )
    assert "run the wizard" not in out
    state = read_state(places[1])
    assert state.reboot_scheduled and state.verify_pending


def test_the_admins_holds_on_the_hgx_pass_to_the_new_branchs_fabric_manager(
    monkeypatch, capsys, places
):
    # hgx-h100: the admin held nvidia-fabricmanager-535 and libnvidia-nscq-535
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    assert main(["install", "--demo", "hgx-h100", "--yes", "--accept", "gpu-processes"]) == 0
    out = capsys.readouterr().out
    assert "Held by an administrator: libnvidia-nscq-535, nvidia-fabricmanager-535." in out
    assert "$ apt-mark hold nvidia-fabricmanager-595 libnvidia-nscq-595" in out
    assert main(["detect", "--demo", "hgx-h100", "--json"]) == 0
    detected = json.loads(capsys.readouterr().out)
    assert detected["held_packages"] == ["libnvidia-nscq-595", "nvidia-fabricmanager-595"]


def test_a_running_apply_refuses_install_at_once_naming_the_holder(places, capsys, monkeypatch):
    from nvwizard.cli import install_cmd
    from nvwizard.engine.lock import ApplyLock

    monkeypatch.setattr(os, "geteuid", lambda: 0)
    trap = SpawnTrap(monkeypatch)

    def no_planning(args):
        raise AssertionError("planned although another apply runs")

    monkeypatch.setattr(install_cmd, "plan_from_args", no_planning)
    with ApplyLock(places[1]) as lock:
        lock.update(driver="nvidia-driver-580-server-open")
        code = main(["install", "--driver", "nvidia-driver-580-server-open", "--yes"])
    captured = capsys.readouterr()
    assert code == 3
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1
    assert "another nvwizard apply is running: an apply of nvidia-driver-580-server-open" in err
    assert f"pid {os.getpid()}" in err
    assert trap.calls == []


def test_a_running_apply_leaves_dry_runs_and_demos_available(places, capsys, monkeypatch):
    from nvwizard.engine.lock import ApplyLock

    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    offer_the_driver_here(monkeypatch)
    with ApplyLock(places[1]):
        driver = "nvidia-driver-580-server-open"
        assert main(["install", "--driver", driver, "--dry-run"]) == 0
        assert main(["install", "--demo", "rtx3090-fresh", "--dry-run"]) == 0
    assert "Dry run: nothing was run." in capsys.readouterr().out


def _debian_install(capsys, *extra):
    code = main(["install", "--demo", "debian12-t4", "--yes", *extra])
    return code, capsys.readouterr().out


def test_debian_demo_installs_debians_packages_end_to_end(monkeypatch, capsys, places):
    from nvwizard.engine.state import read_state

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    code, out = _debian_install(capsys, "--no-persistenced", "--driver", "nvidia-tesla-535-driver")
    assert code == 0, out[-3000:]
    assert "Plan for demo debian12-t4: nvidia-tesla-535-driver" in out
    assert "modules built by DKMS" in out
    assert "Simulation (apt-get -s):" in out
    assert "Setting up nvidia-tesla-535-kernel-dkms (535.216.03-3~deb12u1) ..." in out
    assert "nvidia-tesla-535-smi\tii \t535.216.03-3~deb12u1" in out  # the verify step
    assert "Get:" in out and " bookworm" in out and "ubuntu" not in out.lower()
    assert "Done: every step succeeded." in out
    last = read_state(places[1]).apply
    assert last.outcome == "done" and last.modules == "dkms"
    assert "linux-headers-amd64" in last.install_list


def test_debian_demo_install_with_the_default_choices(monkeypatch, capsys, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    code, out = _debian_install(capsys)
    assert "$ systemctl enable nvidia-persistenced.service" in out
    assert code == 0, out[-2000:]
    # the newer build of branch 535: bookworm-security's nvidia-driver
    assert "Plan for demo debian12-t4: nvidia-driver (branch 535, headless" in out
    assert "Setting up nvidia-kernel-dkms (535.309.01-0+deb12u1) ..." in out


def test_debian13_desktop_install_includes_nvidia_smi(monkeypatch, capsys, places):
    """A Debian desktop install is the metapackage, which pulls no nvidia-smi: named too."""
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    argv = ["install", "--demo", "debian13-l4", "--yes", "--desktop"]
    code = main([*argv, "--driver", "nvidia-driver"])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    assert "Plan for demo debian13-l4: nvidia-driver (branch 550, desktop" in out
    assert "nvidia-smi\tii \t550.163.01-2" in out
    assert "Setting up nvidia-kernel-dkms (550.163.01-2) ..." in out


@pytest.mark.parametrize(
    "demo, driver, reason",
    [
        ("gtx1080-secureboot", "nvidia-driver-580-open", "GeForce GTX 1080 (Pascal) cannot run"),
        ("gtx1080-secureboot", "nvidia-driver-535-server-open", "need the GSP"),
        ("rtx5090-workstation", "nvidia-driver-595-server", "needs the open kernel modules"),
    ],
)
def test_a_variant_this_gpu_cannot_run_is_refused_with_the_reason(
    demo, driver, reason, capsys, monkeypatch, places
):
    trap = SpawnTrap(monkeypatch)
    assert main(["install", "--demo", demo, "--driver", driver, "--yes"]) == 3
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"nvwizard: {driver} cannot run on this machine: ") and reason in line
    assert captured.out == "" and trap.calls == []
    log_dir, state_dir = places
    assert not log_dir.exists() and not state_dir.exists()


def test_an_unknown_driver_on_a_demo_stays_a_usage_error(capsys):
    assert main(["install", "--demo", "gtx1080-secureboot", "--driver", "nvidia-driver-999"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "not offered for this machine" in line
    # only what this GPU can run is named as offered
    assert "nvidia-driver-570-server" in line and "-open" not in line

import json
import shutil
from pathlib import Path

import pytest

import nvwizard
from nvwizard.cli.main import main
from tests.plan.bundles import SAMPLES, rtx3090_bundle
from tests.plan.spawntrap import SpawnTrap

APT_Y = "apt-get -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef"


@pytest.fixture
def bundle(tmp_path):
    return rtx3090_bundle(tmp_path / "bundle")


def test_plan_prints_every_step_with_its_exact_commands(bundle, capsys, monkeypatch):
    spawn_trap = SpawnTrap(monkeypatch)
    assert main(["plan", "--machine", str(bundle), "--driver", "nvidia-driver-580-open"]) == 0
    out = capsys.readouterr().out
    assert "Plan for bundle" in out and "nvidia-driver-580-open" in out
    assert "$ dpkg --audit" in out
    purge = "purge libnvidia-compute-535 nvidia-dkms-535 nvidia-driver-535 nvidia-utils-535"
    assert f"{APT_Y} -o Dpkg::Options::=--force-confold -o APT::Status-Fd=3 {purge}" in out
    assert "nvidia-container-toolkit: container runtime" in out  # kept, with the reason
    assert "install --no-install-recommends nvidia-headless-no-dkms-580-open" in out
    assert (
        out.index("Refresh the package lists")
        < out.index("Purge the 4")
        < out.index("Install nvidia-driver-580-open")
    )
    assert spawn_trap.calls == []


def test_plan_json_is_one_object_with_the_argv_lists(bundle, capsys):
    assert main(["plan", "--machine", str(bundle), "--desktop", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["choices"]["headless"] is False
    install = next(s for s in plan["steps"] if s["id"] == "install")
    assert install["commands"][0][-3:] == [
        plan["driver"],
        f"nvidia-dkms-{plan['flavour']}",
        "linux-headers-5.15.0-91-generic",
    ]
    assert "nvidia-container-toolkit" not in plan["purge_list"]


def test_keep_installed_and_options_shape_the_plan(bundle, capsys):
    args = ["plan", "--machine", str(bundle), "--keep-installed", "--hold", "--reboot", "--json"]
    assert main(args) == 0
    ids = [s["id"] for s in json.loads(capsys.readouterr().out)["steps"]]
    assert "purge" not in ids and ids[-4:] == ["hold", "persistenced", "verify", "reboot"]


@pytest.mark.parametrize("command", ["plan", "install"])
@pytest.mark.parametrize(
    "option", [("--also-purge", "nvidia-container-toolkit"), ("--keep", "nvidia-dkms-535")]
)
def test_keep_installed_with_keep_or_also_purge_is_refused_naming_both(
    bundle, capsys, command, option
):
    """--keep-installed purges nothing: --keep and --also-purge would be silently ignored."""
    assert main([command, "--machine", str(bundle), "--keep-installed", *option]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"nvwizard: --keep-installed and {' '.join(option)} contradict each other: "
        f"--keep-installed purges nothing, so {option[0]} would be ignored; drop one\n"
    )


def test_an_unknown_driver_is_a_usage_error(bundle, capsys):
    assert main(["plan", "--machine", str(bundle), "--driver", "nvidia-driver-999"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nvwizard: --driver nvidia-driver-999: not offered")
    assert len(err.strip().splitlines()) == 1


def test_a_driver_this_gpu_cannot_run_is_refused(tmp_path, capsys):
    bundle = tmp_path / "gtx1080"
    bundle.mkdir()
    (bundle / "ubuntu-drivers-devices.txt").write_text(
        (SAMPLES / "ubuntu-drivers/devices-bionic-third-party.txt").read_text()
    )
    assert main(["plan", "--machine", str(bundle), "--driver", "nvidia-driver-580-open"]) == 3
    assert "cannot use the open kernel modules" in capsys.readouterr().err


def test_bad_option_values_are_one_line_errors(bundle, capsys):
    assert main(["plan", "--machine", str(bundle), "--keep", "bash"]) == 2
    assert "--keep bash: not in the purge list" in capsys.readouterr().err
    assert main(["plan", "--machine", str(bundle), "--lock-timeout", "-1"]) == 2


def test_one_package_both_kept_and_purged_is_refused_not_one_option_ignored(capsys):
    """--keep won and --also-purge was dropped in silence; export refuses it the same way."""
    toolkit = "nvidia-container-toolkit"
    for command in (["plan", "--demo", "hgx-h100"], ["export", "ansible", "/nonexistent/x"]):
        code = main([*command, "--keep", toolkit, "--also-purge", toolkit])
        assert code == 2
        err = capsys.readouterr().err
        assert f"--keep {toolkit} and --also-purge {toolkit} contradict each other" in err


@pytest.mark.parametrize("seconds", ["-1", "86401", "99999999999999999999"])
def test_lock_timeout_is_bounded_to_a_day(seconds, capsys):
    """apt took any number as it was: 99999999999999999999 s is a typo, not a wait."""
    assert main(["plan", "--demo", "rtx3090-fresh", "--lock-timeout", seconds]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"nvwizard: --lock-timeout {seconds}: must be 0 to 86400 seconds (a day)\n"
    )


def test_lock_timeout_at_its_bounds_is_taken(capsys):
    for seconds in ("0", "86400"):
        assert main(["plan", "--demo", "rtx3090-fresh", "--lock-timeout", seconds]) == 0
        assert f"DPkg::Lock::Timeout={seconds}" in capsys.readouterr().out


def test_plan_refuses_an_apt_offered_variant_this_gpu_cannot_run(capsys):
    code = main(["plan", "--demo", "gtx1080-secureboot", "--driver", "nvidia-driver-580-open"])
    assert code == 3
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert "the open kernel modules need the GSP" in line and "(Pascal)" in line
    assert captured.out == ""
    code = main(["plan", "--demo", "rtx5090-workstation", "--driver", "nvidia-driver-580"])
    assert code == 3
    assert "(Blackwell) needs the open kernel modules" in capsys.readouterr().err


DEMO_MACHINES = Path(nvwizard.__file__).parent / "demo_machines"


def sessionless_rtx3090(tmp_path) -> Path:
    """rtx3090-fresh as a bundle without its session scan: nothing shows a desktop or not."""
    bundle = tmp_path / "b"
    shutil.copytree(DEMO_MACHINES / "rtx3090-fresh", bundle)
    (bundle / "session.txt").unlink()
    return bundle


@pytest.mark.parametrize("command", [["plan"], ["install", "--dry-run"]])
def test_desktop_on_a_machine_assumed_headless_takes_the_desktop_ranking(
    tmp_path, capsys, places, command
):
    """The warning says --desktop changes the ranking: it does (README rule 5)."""
    bundle = sessionless_rtx3090(tmp_path)
    assert main([*command, "--machine", str(bundle)]) == 0
    assumed = capsys.readouterr().out
    assert ": nvidia-driver-595-server-open (branch 595, headless" in assumed
    assert "Use --desktop" in assumed
    assert main([*command, "--machine", str(bundle), "--desktop"]) == 0
    desktop = capsys.readouterr().out
    assert ": nvidia-driver-595-open (branch 595, desktop" in desktop
    assert "install nvidia-driver-595-open linux-modules-nvidia-595-open-5.15.0" in desktop
    assert "assumed a headless server" not in desktop


def test_headless_on_a_desktop_takes_the_server_ranking(capsys, places):
    assert main(["plan", "--demo", "rtx5090-workstation"]) == 0
    assert ": nvidia-driver-595-open (branch 595, desktop" in capsys.readouterr().out
    assert main(["plan", "--demo", "rtx5090-workstation", "--headless", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["driver"] == "nvidia-driver-595-server-open"
    assert plan["choices"]["headless"] is True
    assert "nvidia-headless-no-dkms-595-server-open" in plan["install_list"]


def test_a_named_driver_is_kept_whatever_the_ranking(capsys, places):
    argv = ["plan", "--demo", "rtx5090-workstation", "--headless", "--json"]
    assert main([*argv, "--driver", "nvidia-driver-595-open"]) == 0
    assert json.loads(capsys.readouterr().out)["driver"] == "nvidia-driver-595-open"


def test_plan_simulate_asks_apt_and_refuses_where_install_would(capsys):
    """--simulate: apt-get -s as install runs it before asking; a stop is exit 3 with install's
    line, and --json then prints nothing on stdout (the simulation goes to stderr)."""
    keep = ["--keep", "nvidia-fabricmanager-535"]
    assert main(["plan", "--demo", "hgx-h100", "--simulate", "--json", *keep]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "Simulation (apt-get -s):" in err
    assert "nvwizard: the simulation says stop: the purge would also remove" in err
    assert main(["plan", "--demo", "hgx-h100", *keep]) == 0  # the plan alone does not see it
    capsys.readouterr()

    assert main(["plan", "--demo", "rtx3090-fresh", "--simulate", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["driver"] == "nvidia-driver-595-server-open"
    assert "install (11):" in err
    assert main(["plan", "--demo", "rtx3090-fresh", "--simulate"]) == 0
    out, _ = capsys.readouterr()
    assert out.index("Steps:") < out.index("Simulation (apt-get -s):")

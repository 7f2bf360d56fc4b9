"""`nvwizard export ansible DIR [plan options]`: what it writes, and what it refuses."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nvwizard import __version__
from nvwizard.cli.export_cmd import NOT_EXPORTED, plan_option_words, plan_options_parser
from nvwizard.cli.main import parse_args
from tests.cli.run import REPO_ROOT, nvwizard

PLAYBOOK_FILES = {
    "site.yml",
    "rollout.yml",
    "README.md",
    "inventory.example.ini",
    "inventory.demo.ini",
    "group_vars/all.yml",
    "roles/nvwizard/defaults/main.yml",
    "roles/nvwizard/vars/main.yml",
    "roles/nvwizard/tasks/main.yml",
    "filter_plugins/nvwizard_filters.py",
    f"files/nvwizard-{__version__}-py3-none-any.whl",
}


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_it_writes_a_playbook_with_the_options_for_every_host(tmp_path):
    folder = tmp_path / "rollout"
    result = nvwizard(
        "export", "ansible", str(folder), "--driver", "nvidia-driver-580-server", "--hold"
    )
    assert result.returncode == 0, result.stderr
    assert PLAYBOOK_FILES <= _files(folder)
    settings = yaml.safe_load((folder / "group_vars/all.yml").read_text())
    assert settings == {"nvwizard_options": ["--driver", "nvidia-driver-580-server", "--hold"]}
    defaults = yaml.safe_load((folder / "roles/nvwizard/defaults/main.yml").read_text())
    assert defaults["nvwizard_version"] == __version__
    assert (folder / "files" / defaults["nvwizard_wheel"]).is_file()
    for name in _files(folder) - {f"files/{defaults['nvwizard_wheel']}"}:
        assert "${" not in (folder / name).read_text(), name  # every template field filled
    readme = (folder / "README.md").read_text()
    assert f"nvwizard export ansible {folder} --driver nvidia-driver-580-server --hold" in readme
    assert "ansible-playbook -i" in result.stdout and str(folder) in result.stdout


def test_without_options_each_host_gets_its_recommendation(tmp_path):
    result = nvwizard("export", "ansible", str(tmp_path / "p"))
    assert result.returncode == 0, result.stderr
    settings = yaml.safe_load((tmp_path / "p/group_vars/all.yml").read_text())
    assert settings == {"nvwizard_options": []}
    assert "each host gets its recommended driver" in result.stdout


def _ways_to_set(action: argparse.Action) -> list[list[str]]:
    """Each way a user sets this plan option, as the words typed."""
    option = action.option_strings[0]
    if isinstance(action, argparse.BooleanOptionalAction):
        return [[option], [f"--no-{option[2:]}"]]
    if action.nargs == 0:
        return [[option]]
    return [[option, _a_value(action)]]


def _a_value(action: argparse.Action) -> str:
    if action.choices:
        return str(next(iter(action.choices)))
    for candidate in ("nvidia-driver-580-server", "12.8", "7"):
        try:
            (action.type or str)(candidate)
        except (ValueError, TypeError, argparse.ArgumentTypeError):
            continue
        return candidate
    raise AssertionError(f"{option_name(action)}: no sample value fits its type")


def option_name(action: argparse.Action) -> str:
    return action.option_strings[0]


PLAN_OPTIONS = [a for a in plan_options_parser()._actions if a.option_strings]
# --reboot is refused (test_reboot_is_refused_because_the_playbook_reboots)
EXPORTED = [a for a in PLAN_OPTIONS if a.dest not in NOT_EXPORTED]


@pytest.mark.parametrize("action", EXPORTED, ids=option_name)
def test_every_plan_option_is_exported_as_plan_reads_it(action, tmp_path):
    """Derived from plan's own options: one that plan and install learn is covered here."""
    for words in _ways_to_set(action):
        exported = parse_args(["export", "ansible", str(tmp_path / "p"), *words])
        written = plan_option_words(exported)
        planned = parse_args(["plan", *written])
        for other in PLAN_OPTIONS:
            assert getattr(planned, other.dest) == getattr(exported, other.dest), (words, written)
        if getattr(exported, action.dest) != action.default:
            assert written, f"{words} was dropped"


def test_reboot_is_refused_because_the_playbook_reboots(tmp_path):
    result = nvwizard("export", "ansible", str(tmp_path / "p"), "--reboot")
    assert result.returncode == 2
    assert result.stderr.startswith("nvwizard: --reboot: the playbook reboots each host itself")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()
    helped = " ".join(nvwizard("export", "--help").stdout.split())
    assert "--reboot" not in helped.replace("plan's --reboot is not taken here", "")
    assert "rebooted by the playbook itself (ansible.builtin.reboot)" in helped


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lock-timeout", "-5"], "nvwizard: --lock-timeout -5: must be 0 to 86400 seconds"),
        (["--driver", ""], "an empty package name"),
        (
            ["--keep-installed", "--also-purge", "nvidia-container-toolkit"],
            "nvwizard: --keep-installed and --also-purge nvidia-container-toolkit contradict",
        ),
        (
            ["--keep", "nvidia-dkms-535", "--keep-installed"],
            "nvwizard: --keep-installed and --keep nvidia-dkms-535 contradict each other",
        ),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(argv, message, tmp_path):
    result = nvwizard("export", "ansible", str(tmp_path / "p"), *argv)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--driver", "bogus"],
        ["--cuda", "99.9"],
        ["--cuda", "12.7"],  # NVIDIA never published a 12.7 toolkit
    ],
)
def test_options_plan_refuses_on_every_machine_are_refused_with_plans_line(argv, tmp_path):
    """Export plans on no machine, yet it must refuse what plan refuses everywhere, with
    plan's own one line (exit 2), instead of writing a playbook that fails on every host."""
    planned = nvwizard("plan", "--demo", "rtx3090-fresh", *argv)
    assert planned.returncode == 2
    result = nvwizard("export", "ansible", str(tmp_path / "p"), *argv)
    assert result.returncode == 2
    assert result.stderr == planned.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    "demo, argv",
    [
        # CUDA 13 needs branch 580: a named driver below it refuses on every host
        ("hgx-h100", ["--driver", "nvidia-driver-570-server", "--cuda", "13.0"]),
        # across majors even minor-version compatibility cannot help
        (
            "rtx3090-fresh",
            ["--driver", "nvidia-driver-570-server", "--cuda", "13.0", "--allow-cuda-compat"],
        ),
        # 12.9 runs on 570 only through compatibility, which was not accepted
        ("rtx3090-fresh", ["--driver", "nvidia-driver-570-server-open", "--cuda", "12.9"]),
        # Debian's name gives its branch too
        ("debian12-t4", ["--driver", "nvidia-tesla-535-driver", "--cuda", "13.0"]),
    ],
)
def test_a_cuda_above_a_named_drivers_ceiling_is_refused_as_plan_refuses_it(demo, argv, tmp_path):
    """The refusal does not depend on the host (the driver's branch is in its name): export
    says plan's own line with plan's exit code (3), and writes nothing. Only the way out may
    differ: plan knows whether `--cuda latest` finds a toolkit on its machine (not on
    debian12-t4's 535: NVIDIA's Debian 12 repository begins above it), export has no machine."""
    planned = nvwizard("plan", "--demo", demo, *argv)
    assert planned.returncode == 3, planned.stderr
    result = nvwizard("export", "ansible", str(tmp_path / "p"), *argv)
    assert result.returncode == 3
    if "--cuda latest" in planned.stderr:
        assert result.stderr == planned.stderr
    else:
        assert result.stderr.split("; choose")[0] == planned.stderr.split("; choose")[0]
        assert planned.stderr.rstrip().endswith("; choose a newer driver")
    assert len(result.stderr.splitlines()) == 1 and "on driver branch" in result.stderr
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--cudnn"],  # cuDNN for the toolkit a host has installed: fine on hgx-h100
        ["--driver", "nvidia-driver-570-server", "--cuda", "12.9", "--allow-cuda-compat"],
        ["--driver", "nvidia-driver-570-server", "--cuda", "latest"],  # latest for its GPUs
        ["--driver", "nvidia-driver", "--cuda", "13.0"],  # Debian's branch: from its apt
        ["--cuda", "13.0"],  # the recommended driver is each host's
    ],
)
def test_what_only_a_host_can_refuse_is_exported(argv, tmp_path):
    result = nvwizard("export", "ansible", str(tmp_path / "p"), *argv)
    assert result.returncode == 0, result.stderr
    assert f"Options for every host: {' '.join(argv)}" in result.stdout


def test_a_debian_driver_name_and_latest_cuda_are_exported(tmp_path):
    result = nvwizard(
        "export", "ansible", str(tmp_path / "p"), "--driver", "nvidia-tesla-535-driver",
        "--cuda", "latest",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_an_unknown_format_is_a_usage_error(tmp_path):
    result = nvwizard("export", "salt", str(tmp_path / "p"))
    assert result.returncode == 2
    assert "invalid choice: 'salt'" in result.stderr


def test_a_folder_with_files_is_refused_unless_forced(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "inventory.ini").write_text("[gpu_servers]\ngpu01\n")
    (folder / "files").mkdir()
    (folder / "files" / "nvwizard-0.0.1-py3-none-any.whl").write_bytes(b"old")

    refused = nvwizard("export", "ansible", str(folder))
    assert refused.returncode == 2
    assert "not empty (add --force" in refused.stderr
    assert _files(folder) == {"inventory.ini", "files/nvwizard-0.0.1-py3-none-any.whl"}

    forced = nvwizard("export", "ansible", str(folder), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (folder / "inventory.ini").read_text() == "[gpu_servers]\ngpu01\n"  # the user's
    assert {p for p in _files(folder) if p.startswith("files/")} == {
        f"files/nvwizard-{__version__}-py3-none-any.whl"
    }


@pytest.mark.parametrize("planted", ["symlink", "fifo"])
def test_a_forced_export_never_writes_through_a_link_or_into_a_fifo(planted, tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    victim = tmp_path / "victim"  # as if /etc/something: export may run as root
    if planted == "symlink":
        (folder / "README.md").symlink_to(victim)
    else:
        os.mkfifo(folder / "site.yml")  # before: the export waited for a reader forever
    done = nvwizard("export", "ansible", str(folder), "--force", timeout=60)
    assert done.returncode == 2, done.stdout
    name, kind = (
        ("README.md", "a symbolic link") if planted == "symlink" else ("site.yml", "a FIFO")
    )
    assert f"{folder}/{name} is {kind}" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert not victim.exists()
    assert _files(folder) == set()  # refused before anything was written


def test_a_forced_export_never_writes_into_a_symlinked_folder(tmp_path):
    folder, elsewhere = tmp_path / "p", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "roles").symlink_to(elsewhere)
    done = nvwizard("export", "ansible", str(folder), "--force", timeout=60)
    assert done.returncode == 2
    assert f"{folder}/roles is a symbolic link where nvwizard writes a folder" in done.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_file_in_the_way_is_a_usage_error(tmp_path):
    (tmp_path / "p").write_text("")
    result = nvwizard("export", "ansible", str(tmp_path / "p"))
    assert result.returncode == 2
    assert "not a directory" in result.stderr


def test_max_fail_percentage_is_described_per_batch_as_ansible_applies_it():
    """Ansible compares max_fail_percentage with the failed share of the current batch: the
    playbook's README, its rollout.yml and the main README must not call it a share of all
    the hosts."""
    playbook = Path(__file__).resolve().parents[2] / "nvwizard" / "export" / "playbook"
    main_readme = (playbook.parents[2] / "README.md").read_text()
    texts = {
        "README.md": (playbook / "README.md").read_text(),
        "rollout.yml": (playbook / "rollout.yml").read_text(),
    }
    for name, text in texts.items():
        flat = " ".join(text.split())
        assert "share of the hosts has failed" not in flat, name
        assert "of the current batch" in flat or "of a batch" in flat, name
    assert "a share of each batch, not of the inventory" in " ".join(main_readme.split())


def _inventory_hosts(inventory: Path) -> list[str]:
    """The hosts the real ansible-inventory reads from an inventory file."""
    import json
    import subprocess

    from tests.export.playbook import BIN

    listed = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return sorted(json.loads(listed.stdout).get("_meta", {}).get("hostvars", {}))


def test_a_copy_of_the_example_inventory_rolls_out_to_no_demo_host(tmp_path):
    """The READMEs say `cp inventory.example.ini inventory.ini`: that copy must hold no active
    host, demo hosts least of all; the demo hosts have their own inventory."""
    folder = tmp_path / "p"
    assert nvwizard("export", "ansible", str(folder)).returncode == 0
    assert _inventory_hosts(folder / "inventory.example.ini") == []
    assert _inventory_hosts(folder / "inventory.demo.ini") == [
        "demo-gtx1080",
        "demo-hgx",
        "demo-rtx3090",
        "demo-vm",
    ]
    assert "-i inventory.demo.ini" in (folder / "README.md").read_text()


def test_help_and_the_playbook_name_every_blocking_condition_and_the_opt_in(tmp_path):
    from nvwizard.plan.blockers import BLOCKER_IDS

    shown = nvwizard("export", "--help").stdout
    assert "nvwizard_accept" in shown
    for name in BLOCKER_IDS:
        assert name in shown, name
    folder = tmp_path / "p"
    assert nvwizard("export", "ansible", str(folder)).returncode == 0
    known = yaml.safe_load((folder / "roles/nvwizard/vars/main.yml").read_text())
    assert known == {"nvwizard_blocker_ids": list(BLOCKER_IDS)}
    defaults = yaml.safe_load((folder / "roles/nvwizard/defaults/main.yml").read_text())
    assert defaults["nvwizard_accept"] == []
    readme = (folder / "README.md").read_text()
    for name in BLOCKER_IDS:
        assert f"| `{name}` |" in readme, name


def test_a_folder_whose_name_is_not_utf8_gets_the_playbook(tmp_path):
    """The export's command line goes into the files' headers; a folder name that is not
    UTF-8 is written there escaped (the YAML stays UTF-8), never a UnicodeEncodeError."""
    folder = os.fsdecode(os.fsencode(tmp_path) + b"/rollout-\xff")
    result = subprocess.run(
        [sys.executable, "-m", "nvwizard", "export", "ansible", folder, "--hold"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert b"Traceback" not in result.stderr
    written = Path(folder)
    settings = yaml.safe_load((written / "group_vars/all.yml").read_text(encoding="utf-8"))
    assert settings == {"nvwizard_options": ["--hold"]}
    readme = (written / "README.md").read_text(encoding="utf-8")
    assert f"nvwizard export ansible '{tmp_path}/rollout-\\xff' --hold" in readme

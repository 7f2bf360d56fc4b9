"""verify's fabric-manager check on NVSwitch boards: hand-made facts for each way it can be
wrong, then the hgx-h100 demo as a bundle, as it is and with its files changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nvwizard.detect.models import DpkgEntry
from nvwizard.engine.verify import verify
from nvwizard.engine.verify_fabric import check_fabric_manager
from nvwizard.engine.verify_fixes import THIS_MACHINE, demo_fixes
from nvwizard.host.demo import find_demo
from nvwizard.report.models import LoadedModule, Report
from nvwizard.simulator import bundle_host

VERSION = "595.58.03"
DEB = f"{VERSION}-0ubuntu0.24.04.1"
OLD = "535.247.01-0ubuntu0.24.04.1"


def pkg(name: str, version: str = DEB, state: str = "ii") -> DpkgEntry:
    return DpkgEntry(name=name, version=version, state=state)


def packages(*extra: DpkgEntry, manager: str = DEB, nscq: str | None = DEB) -> list[DpkgEntry]:
    found = [
        pkg("nvidia-headless-no-dkms-595-server-open"),
        pkg("nvidia-utils-595-server"),
        pkg("libnvidia-compute-595-server"),
        pkg(f"nvidia-fabricmanager-{manager[:3]}", manager, "hi"),
        *extra,
    ]
    if nscq is not None:
        found.append(pkg(f"libnvidia-nscq-{nscq[:3]}", nscq))
    return found


def hgx(loaded: str | None = VERSION) -> Report:
    return Report(
        os="Ubuntu 24.04.3 LTS",
        os_id="ubuntu",
        os_version="24.04",
        kernel="6.8.0-94-generic",
        nvswitch_count=4,
        loaded_module=LoadedModule(version=loaded, flavor="open") if loaded else None,
    )


def test_fabric_manager_at_the_drivers_version_and_running_passes():
    check = check_fabric_manager(hgx(), packages(), True, THIS_MACHINE)
    assert check.name == "fabric-manager" and check.ok, check
    assert check.detail == (
        "nvidia-fabricmanager-595 runs at the driver's version 595.58.03 (libnvidia-nscq-595 too)"
    )


@pytest.mark.parametrize(
    ("installed", "active", "detail", "fix"),
    [
        (
            [pkg("nvidia-utils-595-server"), pkg("libnvidia-compute-595-server")],
            True,
            "nvidia-fabricmanager is not installed",
            "`sudo apt-get install nvidia-fabricmanager-595 libnvidia-nscq-595`, then "
            "`sudo systemctl enable --now nvidia-fabricmanager`.",
        ),
        (
            packages(manager=OLD),
            True,
            "nvidia-fabricmanager-535 535.247.01 is installed, but the driver is 595.58.03",
            "`sudo apt-get install nvidia-fabricmanager-595 libnvidia-nscq-595` (apt replaces",
        ),
        (packages(nscq=None), True, "libnvidia-nscq is not installed", "libnvidia-nscq-595"),
        (
            packages(nscq=OLD),
            True,
            "libnvidia-nscq-535 535.247.01 is installed, but the driver is 595.58.03",
            "nvidia-fabricmanager-595",
        ),
        (
            packages(),
            False,
            "nvidia-fabricmanager.service is not running: CUDA cannot use the GPUs",
            "`sudo systemctl enable --now nvidia-fabricmanager`; if it fails, read "
            "`sudo journalctl -u nvidia-fabricmanager`.",
        ),
        (
            packages(),
            None,
            "nothing says whether nvidia-fabricmanager.service runs",
            "`systemctl status nvidia-fabricmanager`",
        ),
    ],
)
def test_each_way_fabric_manager_can_be_wrong_fails_with_its_fix(installed, active, detail, fix):
    check = check_fabric_manager(hgx(), installed, active, THIS_MACHINE)
    assert not check.ok
    assert detail in check.detail
    assert fix in check.fix


def test_the_old_module_still_loaded_waits_for_the_reboot():
    check = check_fabric_manager(hgx(loaded="535.247.01"), packages(), True, THIS_MACHINE)
    assert not check.ok and "module 535.247.01 is loaded" in check.detail
    assert check.fix == THIS_MACHINE.reboot


def test_no_driver_says_install_it_first():
    check = check_fabric_manager(hgx(loaded=None), [], True, THIS_MACHINE)
    assert not check.ok and check.fix == THIS_MACHINE.install_first


def test_on_a_demo_what_only_a_real_machine_can_do_is_said_as_that():
    fixes = demo_fixes("hgx-h100", None, None, in_wizard=False)
    check = check_fabric_manager(hgx(), packages(), False, fixes)
    assert check.fix.startswith("On a real machine: `sudo systemctl enable --now")


# -- the hgx-h100 demo, as a bundle ------------------------------------------------------------


def demo_copy(tmp_path: Path, name: str, change=None):
    """A bundle host on a copy of demo `name`; `change(folder)` edits its files first."""
    folder = tmp_path / name
    shutil.copytree(find_demo(name).path, folder)
    if change is not None:
        change(folder)
    return bundle_host(folder)


def fabric_check(host):
    result = verify(host, record=False)
    return next((c for c in result.checks if c.name == "fabric-manager"), None)


def test_verify_on_the_hgx_checks_fabric_manager_and_nowhere_else(tmp_path):
    check = fabric_check(demo_copy(tmp_path, "hgx-h100"))
    assert check is not None and check.ok, check
    assert "nvidia-fabricmanager-535 runs at the driver's version 535.247.01" in check.detail
    assert fabric_check(demo_copy(tmp_path, "rtx3090-fresh")) is None  # no NVSwitch


def test_verify_on_the_hgx_fails_when_fabric_manager_does_not_run(tmp_path):
    def failed(folder: Path) -> None:
        path = folder / "gpu-services.txt"
        path.write_text(
            path.read_text().replace(
                "nvidia-fabricmanager.service\tactive", "nvidia-fabricmanager.service\tfailed"
            )
        )

    host = demo_copy(tmp_path, "hgx-h100", failed)
    result = verify(host, record=False)
    check = next(c for c in result.checks if c.name == "fabric-manager")
    assert not result.ok and not check.ok
    assert "nvidia-fabricmanager.service is not running" in check.detail


def test_verify_on_the_hgx_fails_when_fabric_manager_is_another_version(tmp_path):
    def older(folder: Path) -> None:
        for name in ("dpkg-query.txt", "dpkg-l.txt"):
            path = folder / name
            lines = path.read_text().splitlines(keepends=True)
            path.write_text(
                "".join(
                    line.replace("535.247.01-", "535.230.02-") if "fabricmanager" in line else line
                    for line in lines
                )
            )

    check = fabric_check(demo_copy(tmp_path, "hgx-h100", older))
    assert not check.ok
    assert "nvidia-fabricmanager-535 535.230.02 is installed, but the driver is 535.247.01" in (
        check.detail
    )

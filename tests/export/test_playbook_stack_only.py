"""A host that runs the planned driver, rolled out again with options that add to it: it gets
only what they add, never a purge, a driver install or a reboot (nvwizard's plan keeps the
driver: `keeps_driver`). `--cuda latest` resolves on each host at each run, so a newer
toolkit release than the one installed is added beside it, the driver left alone. A host
whose driver is installed and loaded as planned but fails verify is failed with verify's
reason and the nvwizard_options that reinstall it; one with nouveau loaded beside it does not
run it (planned_driver_runs) and is installed again. Run by the real ansible-playbook on a
local demo host."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.export.playbook import (
    NVWIZARD,
    DemoHost,
    demo_state,
    detect,
    files_under,
    log_dir,
    recap,
    report,
    run_playbook,
    write_inventory,
)

RTX = DemoHost("rtx", "rtx3090-fresh")


def _export(folder: Path, *options: str) -> Path:
    subprocess.run(
        [str(NVWIZARD), "export", "ansible", str(folder), *options],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return folder


def _driver(found: dict) -> dict[str, str]:
    """The host's driver packages and their versions, and the loaded module."""
    packages = {
        p["name"]: p["version"]
        for p in found["installed_packages"]
        if "595" in p["name"] or p["name"].startswith("linux-modules-nvidia")
    }
    return {**packages, "loaded": json.dumps(found["loaded_module"])}


def test_a_newer_cuda_release_under_latest_adds_only_its_toolkit(tmp_path):
    root = tmp_path / "hosts"
    inventory = write_inventory(tmp_path / "inventory.ini", [RTX], root)
    older = _export(tmp_path / "older", "--cuda", "12.8")  # the newest when it was rolled out
    first = run_playbook(older, inventory)
    assert first.returncode == 0, first.stdout[-3000:]
    assert report(older)["rtx"]["outcome"] == "installed"
    before = detect(root, RTX)
    assert [t["version"] for t in before["cuda_toolkits"]] == ["12.8"]

    latest = _export(tmp_path / "latest", "--cuda", "latest")
    check = run_playbook(latest, inventory, "--check")
    assert check.returncode == 0, check.stdout[-3000:]
    planned = report(latest, check=True)["rtx"]
    assert planned["outcome"] == "planned", planned
    assert planned["message"].startswith("a run would add cuda-toolkit-"), planned["message"]
    assert "which stays as it runs (no purge, no driver install, no reboot" in planned["message"]
    assert "purged" not in planned["message"]

    run = run_playbook(latest, inventory)
    assert run.returncode == 0, run.stdout[-3000:]
    done = report(latest)["rtx"]
    assert done["outcome"] == "installed", done
    assert done["reboot"] == "not needed" and done["verify"] == "passed"
    assert done["message"].startswith("added cuda-toolkit-"), done["message"]
    assert done["driver_after"] == done["driver_before"]
    after = detect(root, RTX)
    versions = [t["version"] for t in after["cuda_toolkits"]]
    assert versions[0] == "12.8" and len(versions) == 2  # the new one beside the old
    assert _driver(after) == _driver(before)  # nothing of the driver was purged or reinstalled

    again = run_playbook(latest, inventory)
    assert again.returncode == 0, again.stdout[-3000:]
    assert report(latest)["rtx"]["outcome"] == "unchanged"
    assert recap(again.stdout)["rtx"]["changed"] == 0


NEWER_KERNEL = "5.15.0-170-generic"


def _install_a_newer_kernel(root: Path) -> None:
    """A newer linux-image installed beside the running kernel (unattended-upgrades) with no
    nvidia module for it: verify's next-boot-modules check fails, while the driver's packages
    and module are the planned ones and nothing waits for a reboot of the driver's
    (planned_driver_runs holds: the plan keeps the driver)."""
    path = demo_state(root, RTX.name, RTX.demo)
    state = json.loads(path.read_text())
    files = state["files"]
    image, version = f"linux-image-{NEWER_KERNEL}", "5.15.0-170.180"
    files["dpkg-query.txt"] += f"{image}\tinstall ok installed\t{version}\n"
    files["dpkg-l.txt"] += f"ii  {image}  {version}  amd64  Signed kernel image generic\n"
    path.write_text(json.dumps(state))


def test_a_running_driver_that_fails_verify_fails_the_host_with_the_reinstall_to_set(tmp_path):
    root = tmp_path / "hosts"
    inventory = write_inventory(tmp_path / "inventory.ini", [RTX], root)
    plain = _export(tmp_path / "plain")
    first = run_playbook(plain, inventory)
    assert first.returncode == 0, first.stdout[-3000:]
    _install_a_newer_kernel(root)
    before = detect(root, RTX)
    logs_before = files_under(log_dir(root, RTX.name))

    run = run_playbook(plain, inventory)
    assert run.returncode == 2, run.stdout[-3000:]
    failed = report(plain)["rtx"]
    assert failed["outcome"] == "failed" and failed["verify"] == "failed", failed
    assert failed["message"].startswith(
        f"verify failed: next-boot-modules: no nvidia module for {NEWER_KERNEL}"
    ), failed["message"]
    assert (
        "nothing was reinstalled: nvidia-driver-595-server-open is installed and loaded"
        in (failed["message"])
    )
    assert """rtx nvwizard_options='["--reinstall"]'""" in failed["message"]
    assert _driver(detect(root, RTX)) == _driver(before)  # nothing was changed
    assert files_under(log_dir(root, RTX.name)) == logs_before  # no install was run


def _load_nouveau_too(root: Path) -> None:
    """nouveau loaded beside the running nvidia driver (the driver's packages and module are
    the planned ones)."""
    path = demo_state(root, RTX.name, RTX.demo)
    state = json.loads(path.read_text())
    state["files"]["lsmod.txt"] += "nouveau              2318336  0\n"
    path.write_text(json.dumps(state))


def test_nouveau_loaded_beside_the_planned_driver_gets_the_whole_plan_again(tmp_path):
    """With nouveau loaded the driver does not count as running (planned_driver_runs): the
    host is not failed with the --reinstall advice but installed again, nouveau blacklisted."""
    root = tmp_path / "hosts"
    inventory = write_inventory(tmp_path / "inventory.ini", [RTX], root)
    plain = _export(tmp_path / "plain")
    first = run_playbook(plain, inventory)
    assert first.returncode == 0, first.stdout[-3000:]
    _load_nouveau_too(root)
    assert detect(root, RTX)["nouveau_loaded"] is True

    run = run_playbook(plain, inventory)
    assert run.returncode == 0, run.stdout[-3000:]
    done = report(plain)["rtx"]
    assert done["outcome"] == "installed" and done["verify"] == "passed", done
    assert done["message"].startswith("nvidia-driver-595-server-open installed and verified")
    assert "--reinstall" not in done["message"]
    assert detect(root, RTX)["nouveau_loaded"] is False

"""The real apt and dpkg behaviours nvwizard relies on, pinned in the sandbox (APT-SANDBOX.md)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.sandbox.aptsandbox import COMMAND_TIMEOUT_S, AptSandbox
from tests.sandbox.catalogue import KERNEL

OLD_DRIVER = (
    "nvidia-driver-535-server",
    "nvidia-utils-535-server",
    "libnvidia-compute-535-server",
    "nvidia-kernel-common-535-server",
    "nvidia-dkms-535-server",
)


def test_apt_reads_only_the_sandbox_configuration(apt_sandbox: AptSandbox):
    dump = apt_sandbox.run(["apt-config", "dump"]).stdout
    assert f'Dir::State::status "{apt_sandbox.root}/var/lib/dpkg/status";' in dump
    assert apt_sandbox.env["PATH"].split(":")[0] == str(apt_sandbox.bin_dir)
    assert apt_sandbox.status() == {"sandbox-base": "ii"}


def test_installing_changes_the_sandbox_and_not_the_host(apt_sandbox: AptSandbox):
    host_status = Path("/var/lib/dpkg/status")
    before = host_status.stat().st_mtime_ns if host_status.exists() else None

    apt_sandbox.install("nvidia-driver-535-server")

    after = host_status.stat().st_mtime_ns if host_status.exists() else None
    assert before == after
    states = apt_sandbox.status()
    assert all(states[name] == "ii" for name in OLD_DRIVER)
    smi = apt_sandbox.root / "usr/bin/nvidia-smi"
    assert "535.247.01" in subprocess.run([smi], capture_output=True, text=True).stdout
    log = (apt_sandbox.root / "var/log/dpkg.log").read_text()
    assert "install nvidia-driver-535-server" in log


def test_each_test_gets_a_fresh_copy_of_the_template(apt_sandbox: AptSandbox):
    assert "nvidia-driver-535-server" not in apt_sandbox.status()


def test_dkms_postinst_prints_build_lines(apt_sandbox: AptSandbox):
    result = apt_sandbox.run(["apt-get", "-y", "install", "nvidia-dkms-580-server-open"])
    assert result.returncode == 0, result.stderr
    assert "Loading new nvidia-580-server-open-580.95.05 DKMS files..." in result.stdout
    assert f"Building initial module for {KERNEL}" in result.stdout


def test_explicit_purge_keeps_the_container_toolkit(apt_sandbox: AptSandbox):
    apt_sandbox.install("nvidia-driver-535-server", "nvidia-container-toolkit")

    purge = apt_sandbox.run(["apt-get", "-y", "purge", *OLD_DRIVER])
    autoremove = apt_sandbox.run(["apt-get", "-y", "autoremove", "--purge"])

    assert purge.returncode == 0, purge.stderr
    assert autoremove.returncode == 0, autoremove.stderr
    states = apt_sandbox.status()
    assert not set(OLD_DRIVER) & set(states)
    assert "dkms" not in states  # pulled in automatically, so autoremoved
    for name in ("nvidia-container-toolkit", "libnvidia-container1", "libnvidia-container-tools"):
        assert states[name] == "ii"


def test_the_nvidia_glob_also_purges_the_container_toolkit(apt_sandbox: AptSandbox):
    """Why nvwizard never purges by pattern."""
    apt_sandbox.install("nvidia-driver-535-server", "nvidia-container-toolkit")

    simulated = apt_sandbox.run(["apt-get", "-s", "purge", "nvidia-*"])

    purged = {line.split()[1] for line in simulated.stdout.splitlines() if line.startswith("Purg")}
    assert "nvidia-container-toolkit" in purged
    assert "nvidia-driver-535-server" in purged


def test_autoremove_without_purge_leaves_config_files(apt_sandbox: AptSandbox):
    apt_sandbox.install("nvidia-driver-535-server")
    apt_sandbox.run(["apt-get", "-y", "purge", "nvidia-driver-535-server"], check=True)
    apt_sandbox.run(["apt-get", "-y", "autoremove"], check=True)
    assert apt_sandbox.status()["nvidia-kernel-common-535-server"] == "rc"
    assert (apt_sandbox.root / "etc/modprobe.d/nvidia-graphics-drivers-kms.conf").exists()


def test_failing_postinst_leaves_half_configured_and_unpacked_packages(apt_sandbox: AptSandbox):
    result = apt_sandbox.run(["apt-get", "-y", "install", "nvidia-driver-570"])

    assert result.returncode == 100
    assert "E: Sub-process /usr/bin/dpkg returned an error code (1)" in result.stderr
    assert f"Bad return status for module build on kernel: {KERNEL}" in result.stdout
    states = apt_sandbox.status()
    assert states["nvidia-dkms-570"] == "iF"
    assert states["nvidia-driver-570"] == "iU"

    retry = apt_sandbox.run(["apt-get", "-y", "install", "nvidia-driver-570"])
    assert retry.returncode == 100

    apt_sandbox.fix_postinst("nvidia-dkms-570")
    repair = apt_sandbox.run(["dpkg", "--configure", "-a"])
    assert repair.returncode == 0, repair.stderr
    assert apt_sandbox.status()["nvidia-driver-570"] == "ii"


def test_any_postinst_can_be_made_to_fail(apt_sandbox: AptSandbox):
    apt_sandbox.fail_postinst("nvidia-utils-580-server")
    result = apt_sandbox.run(["apt-get", "-y", "install", "nvidia-utils-580-server"])
    assert result.returncode == 100
    assert apt_sandbox.status()["nvidia-utils-580-server"] == "iF"


def test_killed_dpkg_leaves_dpkg_interrupted(apt_sandbox: AptSandbox):
    result = apt_sandbox.interrupt_dpkg("nvidia-dkms-580-server")

    assert result.returncode == 100
    assert "E: Sub-process /usr/bin/dpkg exited unexpectedly" in result.stdout
    assert os.listdir(apt_sandbox.root / "var/lib/dpkg/updates")
    assert apt_sandbox.run(["dpkg", "--audit"]).stdout.strip()
    assert apt_sandbox.status()["nvidia-dkms-580-server"] == "iF"

    next_run = apt_sandbox.run(["apt-get", "-y", "install", "dkms"])
    assert next_run.returncode == 100
    assert "E: dpkg was interrupted, you must manually run 'dpkg --configure -a'" in (
        next_run.stderr
    )

    repair = apt_sandbox.run(["dpkg", "--configure", "-a"])
    assert repair.returncode == 0, repair.stderr
    assert apt_sandbox.run(["dpkg", "--audit"]).stdout.strip() == ""


def test_a_held_lock_names_its_holder(apt_sandbox: AptSandbox):
    with apt_sandbox.hold_lock() as holder:
        result = apt_sandbox.run(["apt-get", "-y", "install", "dkms"])

    assert result.returncode == 100
    assert (
        f"E: Could not get lock {apt_sandbox.root}/var/lib/dpkg/lock-frontend. "
        f"It is held by process {holder.pid} (unattended-upgr)"
    ) in result.stderr


def test_lock_timeout_waits_then_gives_up(apt_sandbox: AptSandbox):
    with apt_sandbox.hold_lock():
        result = apt_sandbox.run(
            ["apt-get", "-y", "-o", "DPkg::Lock::Timeout=1", "install", "dkms"]
        )

    assert result.returncode == 100
    assert "Waiting for cache lock" in result.stdout
    assert "Unable to acquire the dpkg frontend lock" in result.stderr
    assert "dkms" not in apt_sandbox.status()


def test_lock_timeout_proceeds_once_the_lock_is_released(apt_sandbox: AptSandbox):
    with apt_sandbox.hold_lock() as holder:
        apt = subprocess.Popen(
            ["apt-get", "-y", "-o", "DPkg::Lock::Timeout=120", "install", "dkms"],
            env=apt_sandbox.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        seen = b""
        while b"Waiting for cache lock" not in seen:
            chunk = os.read(apt.stdout.fileno(), 4096)
            assert chunk, f"apt-get ended without waiting: {seen!r}"
            seen += chunk
        holder.release()
        rest, _ = apt.communicate(timeout=COMMAND_TIMEOUT_S)

    assert apt.returncode == 0, rest
    assert apt_sandbox.status()["dkms"] == "ii"


def test_unknown_package_and_empty_query(apt_sandbox: AptSandbox):
    unknown = apt_sandbox.run(["apt-get", "-y", "install", "nvidia-driver-999"])
    assert unknown.returncode == 100
    assert "E: Unable to locate package nvidia-driver-999" in unknown.stderr

    query = apt_sandbox.run(["dpkg-query", "-W", "nvidia-*"])
    assert query.returncode == 1
    assert "no packages found matching nvidia-*" in query.stderr


def test_fake_machine_commands_only_record_their_calls(apt_sandbox: AptSandbox):
    for argv in (["shutdown", "-r", "+1"], ["systemctl", "enable", "nvidia-persistenced"]):
        assert apt_sandbox.run(argv).returncode == 0
    apt_sandbox.run(["modprobe", "nvidia"])

    assert apt_sandbox.calls() == [
        ["shutdown", "-r", "+1"],
        ["systemctl", "enable", "nvidia-persistenced"],
        ["modprobe", "nvidia"],
    ]


def test_installing_another_branch_replaces_the_old_one(apt_sandbox: AptSandbox):
    """Ubuntu's branch packages conflict through shared virtual names: no file clashes."""
    apt_sandbox.install("nvidia-driver-535-server")

    simulated = apt_sandbox.run(["apt-get", "-s", "install", "nvidia-driver-580-server"])
    removed = {line.split()[1] for line in simulated.stdout.splitlines() if line.startswith("Remv")}
    assert {"nvidia-utils-535-server", "nvidia-dkms-535-server"} <= removed

    apt_sandbox.install("nvidia-driver-580-server")
    states = apt_sandbox.status()
    assert states["nvidia-utils-580-server"] == "ii"
    assert "nvidia-utils-535-server" not in states

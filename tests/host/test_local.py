"""LocalHost on this machine (no GPU here) and on fake roots and fake commands."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from nvwizard.host.apt_show_query import apt_show_pattern
from nvwizard.host.local import LocalHost
from nvwizard.host.local_command import wants_status_fd
from nvwizard.host.package_queries import deb822_to_one_line
from nvwizard.host.processes import parse_proc_locks
from nvwizard.host.sources import SOURCES


def test_every_source_is_text_or_none_on_this_machine():
    host = LocalHost()
    for source in SOURCES:
        value = host.read(source.name)
        assert value is None or isinstance(value, str), source.name
        if value is None:
            assert host.missing.get(source.name), f"{source.name} is None without a reason"
    assert host.read("uname-r.txt") == os.uname().release + "\n"
    assert "ID=" in host.read("os-release.txt")


def test_unknown_source_is_none_and_recorded():
    host = LocalHost()
    assert host.read("no-such-source.txt") is None
    assert host.missing["no-such-source.txt"] == "not a known source"


def test_missing_command_is_recorded(fake_bin):
    host = LocalHost()
    assert host.read("nvidia-smi.txt") is None
    assert host.missing["nvidia-smi.txt"] == "command not found: nvidia-smi"
    assert host.read("lspci-nn.txt") is None
    assert "lspci" in host.missing["lspci-nn.txt"]


def test_each_command_runs_once(fake_bin, tmp_path):
    counter = tmp_path / "count"
    fake_bin(
        "lspci", f'echo run >> {counter}\necho "01:00.0 VGA compatible controller [0300]: x"\n'
    )
    host = LocalHost()
    first = host.read("lspci-nn.txt")
    assert first.startswith("01:00.0 VGA")
    assert host.read("lspci-nn.txt") == first
    assert counter.read_text().count("run") == 1


def test_ubuntu_drivers_keeps_stdout_only(fake_bin):
    fake_bin(
        "ubuntu-drivers",
        'echo "udevadm hwdb is deprecated. Use systemd-hwdb instead." >&2\n'
        'echo "== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 =="\n',
    )
    text = LocalHost().read("ubuntu-drivers-devices.txt")
    assert text == "== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==\n"


def test_mokutil_keeps_stderr_of_a_failing_command(fake_bin):
    fake_bin("mokutil", 'echo "EFI variables are not supported on this system" >&2\nexit 255\n')
    host = LocalHost()
    assert host.read("mokutil-sb-state.txt") == "EFI variables are not supported on this system\n"
    assert "mokutil-sb-state.txt" not in host.missing


def test_failing_command_without_output_is_missing(fake_bin):
    fake_bin("modinfo", 'echo "modinfo: ERROR: Module nvidia not found." >&2\nexit 1\n')
    host = LocalHost()
    assert host.read("modinfo-nvidia.txt") is None
    assert "Module nvidia not found" in host.missing["modinfo-nvidia.txt"]


def test_command_timeout_is_missing(fake_bin):
    fake_bin("nvidia-smi", "sleep 5\n")
    host = LocalHost(timeout_s=0.2)
    assert host.read("nvidia-smi.txt") is None
    assert "timed out" in host.missing["nvidia-smi.txt"]


APT_NAMES = (
    "nvidia-driver-580-open nvidia-utils-580 nvidia-settings nvidia-cuda-toolkit "
    "nvidia-container-toolkit nvidia-fabricmanager-580 nvidia-headless-no-dkms-580-open "
    "libnvidia-compute-580 libnvidia-gl-580 libnvidia-nscq-580 "
    "linux-modules-nvidia-580-open-{kernel} linux-modules-nvidia-580-open-5.15.0-1-generic "
    "linux-modules-nvidia-580-open-generic linux-modules-nvidia-580-generic-hwe-24.04 "
    "cuda-drivers cuda-drivers-580 linux-headers-{kernel} linux-headers-5.15.0-1-generic "
    "nvidia-driver-580-openXsomething linux-modules-nvidia-580-server-open-generic-hwe-22.04-edge "
    "cuda-toolkit-12-8 cuda-toolkit-12-8-config-common cudnn9-cuda-12 libcudnn9-cuda-12 "
    "cuda-keyring "
    "linux-modules-nvidia-580-server-6.8.0-1-generic linux-modules-nvidia-580-server-aws"
)


def fake_apt_cache(fake_bin, names: str) -> None:
    """`apt-cache show REGEX` as apt does it: the names matching a POSIX extended regular
    expression (grep -E), each as a stanza; none: exit 100, "E: No packages found"."""
    grep = shutil.which("grep", path="/usr/bin:/bin")
    fake_bin("grep", f'exec {grep} "$@"\n')
    fake_bin(
        "apt-cache",
        f'[ "$1" = show ] || exit 2\nfound=$(printf "%s\\n" {names} | grep -E -i -- "$2")\n'
        'if [ -z "$found" ]; then echo "E: No packages found" >&2; exit 100; fi\n'
        'for p in $found; do printf "Package: %s\\n\\n" "$p"; done\n',
    )


def test_apt_cache_show_asks_only_for_driver_packages_in_one_call(fake_bin):
    kernel = os.uname().release
    fake_apt_cache(fake_bin, APT_NAMES.format(kernel=kernel))
    text = LocalHost().read("apt-cache-show.txt")
    asked = {line.split(": ")[1] for line in text.splitlines() if line.startswith("Package:")}
    assert asked == {
        "nvidia-driver-580-open",
        "nvidia-utils-580",
        "nvidia-fabricmanager-580",
        "nvidia-headless-no-dkms-580-open",
        "libnvidia-compute-580",
        "libnvidia-nscq-580",
        f"linux-modules-nvidia-580-open-{kernel}",
        "linux-modules-nvidia-580-open-generic",
        "linux-modules-nvidia-580-generic-hwe-24.04",
        # the developer stack: NVIDIA's toolkit (not its parts), cuDNN's metapackage, the
        # distribution's toolkit, the container toolkit and the CUDA keyring
        "cuda-toolkit-12-8",
        "cudnn9-cuda-12",
        "nvidia-cuda-toolkit",
        "nvidia-container-toolkit",
        "cuda-keyring",
        "cuda-drivers",
        "cuda-drivers-580",
        f"linux-headers-{kernel}",
        "nvidia-driver-580-openXsomething",  # a driver name as the old prefix filter took it
        "linux-modules-nvidia-580-server-open-generic-hwe-22.04-edge",
        "linux-modules-nvidia-580-server-aws",
    }


DEBIAN_AND_LEGACY_NAMES = {
    # Debian 12's driver families (knowledge/debian.py), asked for
    "nvidia-driver": True,
    "nvidia-tesla-535-driver": True,
    "nvidia-tesla-driver": True,
    "nvidia-legacy-390xx-driver": True,
    "nvidia-open-kernel-dkms": True,
    "nvidia-kernel-dkms": True,
    "nvidia-tesla-535-kernel-dkms": True,
    "nvidia-smi": True,
    "nvidia-legacy-390xx-smi": True,
    "libcuda1": True,
    "libnvidia-tesla-535-cuda1": True,
    "libnvidia-cfg1": True,  # nvidia-persistenced's dependency, named by Debian plans
    "libnvidia-tesla-535-cfg1": True,
    "firmware-nvidia-gsp": True,
    "firmware-nvidia-tesla-535-gsp": True,
    # Ubuntu's legacy names (ranking reads them on old releases), asked for
    "nvidia-340": True,
    "nvidia-331-updates": True,
    # the developer stack (knowledge/cuda.py, containers.py), asked for
    "nvidia-cuda-toolkit": True,
    "nvidia-container-toolkit": True,
    # not the driver: never asked for
    "nvidia-settings": False,
    "nvidia-driver-bin": False,
    "nvidia-kernel-support": False,
    "firmware-misc-nonfree": False,
    "libcuda1-i386": False,
    "nvidia-340-dev": False,
}


def test_apt_cache_show_asks_for_debian_and_legacy_driver_names(fake_bin):
    fake_apt_cache(fake_bin, " ".join(DEBIAN_AND_LEGACY_NAMES))
    text = LocalHost().read("apt-cache-show.txt")
    asked = {line.split(": ")[1] for line in text.splitlines() if line.startswith("Package:")}
    assert asked == {name for name, wanted in DEBIAN_AND_LEGACY_NAMES.items() if wanted}
    pattern = re.compile(apt_show_pattern("6.1.0-40-amd64"))  # Python's re agrees with grep -E
    assert {n for n in DEBIAN_AND_LEGACY_NAMES if pattern.match(n)} == asked


@pytest.mark.parametrize(
    ("kernel", "asked", "not_asked"),
    [
        (
            "5.15.0-163-generic",
            [
                "linux-headers-5.15.0-163-generic",
                "linux-headers-generic",
                "linux-headers-generic-hwe-22.04",
                "linux-headers-generic-hwe-22.04-edge",
                "linux-headers-virtual",  # the virtual kernels are generic ones
            ],
            ["linux-headers-5.15.0-164-generic", "linux-headers-aws", "linux-headers-5.15.0-163"],
        ),
        (
            "6.8.0-1021-aws",
            ["linux-headers-6.8.0-1021-aws", "linux-headers-aws", "linux-headers-aws-lts-22.04"],
            ["linux-headers-generic", "linux-headers-virtual"],
        ),
        ("6.18.44-fc-v1272", ["linux-headers-6.18.44-fc-v1272"], ["linux-headers-v1272"]),
    ],
)
def test_apt_is_asked_for_the_headers_metapackages_of_the_kernels_flavour(kernel, asked, not_asked):
    """What a plan with DKMS installs beside the running kernel's headers, so that the next
    kernel gets its headers too (report/kernel_headers.py)."""
    pattern = re.compile(apt_show_pattern(kernel))  # Python's re agrees with grep -E
    assert [n for n in asked if pattern.match(n)] == asked
    assert [n for n in not_asked if pattern.match(n)] == []


def test_apt_offering_none_is_an_empty_answer_and_a_broken_apt_is_missing(fake_bin):
    fake_apt_cache(fake_bin, "nvidia-settings")
    host = LocalHost()
    assert host.read("apt-cache-show.txt") == ""
    fake_bin(
        "apt-cache",
        'echo "E: The package lists or status file could not be parsed" >&2\nexit 100\n',
    )
    host = LocalHost()
    assert host.read("apt-cache-show.txt") is None
    assert "could not be parsed" in host.missing["apt-cache-show.txt"]


def test_holds_come_from_dpkg_query_without_apt_mark(fake_bin):
    fake_bin(
        "dpkg-query",
        'printf "nvidia-utils-580\\thold ok installed\\t580.1\\n'
        "nvidia-driver-580\\tinstall ok installed\\t580.1\\n"
        'libfoo\\thold ok config-files\\t1\\n"\n',
    )
    fake_bin("apt-mark", "exit 99\n")  # never asked
    assert LocalHost().read("apt-mark-showhold.txt") == "nvidia-utils-580\nlibfoo\n"


def test_holds_without_dpkg_query_ask_apt_mark(fake_bin):
    fake_bin("dpkg-query", "exit 2\n")
    fake_bin("apt-mark", 'echo "nvidia-utils-580"\n')
    assert LocalHost().read("apt-mark-showhold.txt") == "nvidia-utils-580\n"


def test_prefetch_produces_each_source_once(fake_bin, tmp_path):
    counter = tmp_path / "runs"
    fake_bin("dpkg-query", f'echo run >> {counter}\nprintf "a\\tinstall ok installed\\t1\\n"\n')
    host = LocalHost()
    host.prefetch(["dpkg-query.txt", "dpkg-query.txt", "uname-r.txt"])
    assert host.read("dpkg-query.txt") == "a\tinstall ok installed\t1\n"
    assert counter.read_text().count("run") == 1


# -- fake roots -------------------------------------------------------------------------------


def test_sysfs_pci_line_format(tmp_path):
    device = tmp_path / "sys/bus/pci/devices/0000:01:00.0"
    device.mkdir(parents=True)
    (device / "class").write_text("0x030000\n")
    (device / "vendor").write_text("0x10de\n")
    (device / "device").write_text("0x2204\n")
    (device / "modalias").write_text("pci:v000010DEd00002204sv00001458sd0000403Bbc03sc00i00\n")
    (tmp_path / "drivers/nouveau").mkdir(parents=True)
    os.symlink(tmp_path / "drivers/nouveau", device / "driver")
    bare = tmp_path / "sys/bus/pci/devices/0000:00:00.0"
    bare.mkdir()
    (bare / "class").write_text("0x060000\n")
    text = LocalHost(root=str(tmp_path)).read("sysfs-pci.txt")
    assert text.splitlines() == [
        "0000:00:00.0 class=0x060000",
        "0000:01:00.0 class=0x030000 vendor=0x10de device=0x2204 "
        "modalias=pci:v000010DEd00002204sv00001458sd0000403Bbc03sc00i00 driver=nouveau",
    ]


def test_lsmod_is_formatted_from_proc_modules(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/modules").write_text(
        "nvidia_drm 122880 0 - Live 0x0000000000000000\n"
        "nvidia 56795136 2 nvidia_uvm,nvidia_modeset, Live 0x0000000000000000 (POE)\n"
    )
    text = LocalHost(root=str(tmp_path)).read("lsmod.txt")
    lines = text.splitlines()
    assert lines[0].split() == ["Module", "Size", "Used", "by"]
    assert lines[1].split() == ["nvidia_drm", "122880", "0"]
    assert lines[2].split() == ["nvidia", "56795136", "2", "nvidia_uvm,nvidia_modeset"]


def test_files_and_absent_files(tmp_path):
    (tmp_path / "proc/driver/nvidia").mkdir(parents=True)
    (tmp_path / "proc/driver/nvidia/version").write_text("NVRM version: NVIDIA UNIX Open ...\n")
    (tmp_path / "var/lib/dpkg/updates").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/updates/0003").write_text("")
    host = LocalHost(root=str(tmp_path))
    assert host.read("proc-driver-nvidia-version.txt").startswith("NVRM version")
    assert host.read("dpkg-updates.txt") == "0003\n"
    assert host.read("reboot-required.txt") is None
    assert "no reboot is pending" in host.missing["reboot-required.txt"]
    assert host.read("run-installer.txt") == ""


def test_run_installer_traces(tmp_path):
    (tmp_path / "usr/bin").mkdir(parents=True)
    (tmp_path / "usr/bin/nvidia-uninstall").write_text("")
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/nvidia-installer.log").write_text(
        "nvidia-installer log file '/var/log/nvidia-installer.log'\n"
    )
    lines = LocalHost(root=str(tmp_path)).read("run-installer.txt").splitlines()
    assert lines[0] == "/usr/bin/nvidia-uninstall"
    assert lines[1] == "/var/log/nvidia-installer.log"
    assert lines[2].startswith("  nvidia-installer log file")


def test_gpu_processes_from_open_device_files(tmp_path):
    fds = tmp_path / f"proc/{os.getpid()}/fd"
    fds.mkdir(parents=True)
    os.symlink("/dev/nvidiactl", fds / "3")
    os.symlink("/dev/nvidia1", fds / "4")
    os.symlink("/dev/nvidia0", fds / "5")
    os.symlink("/dev/null", fds / "6")
    text = LocalHost(root=str(tmp_path)).read("gpu-processes.txt")
    (line,) = text.splitlines()
    pid, name, _user, devices = line.split("\t")
    assert int(pid) == os.getpid()
    assert name  # the process name psutil reports
    assert devices == "/dev/nvidia0,/dev/nvidia1"


def test_dpkg_lock_holder_from_proc_locks(tmp_path):
    lock = tmp_path / "var/lib/dpkg/lock-frontend"
    lock.parent.mkdir(parents=True)
    lock.write_text("")
    st = os.stat(lock)
    key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/locks").write_text(
        f"1: POSIX  ADVISORY  WRITE {os.getpid()} {key} 0 EOF\n"
        f"1: -> POSIX  ADVISORY  WRITE 4242 {key} 0 EOF\n"
        "2: FLOCK  ADVISORY  WRITE 77 00:19:999999 0 EOF\n"
    )
    text = LocalHost(root=str(tmp_path)).read("dpkg-lock.txt")
    (line,) = text.splitlines()
    pid, _name, path = line.split("\t")
    assert int(pid) == os.getpid()
    assert path == "/var/lib/dpkg/lock-frontend"


# -- start(): streaming a child ---------------------------------------------------------------

SCRIPT = """
import os, sys, time
print("out 1", flush=True)
print("err 1", file=sys.stderr, flush=True)
if len(sys.argv) > 1:
    os.write(3, b"pmstatus:nvidia-utils-580:42.5:Unpacking\\n")
print("out 2 " + os.environ.get("NVW_TEST", ""), flush=True)
sys.exit(7)
"""


def _run(argv, env=None):
    command = LocalHost().start(argv, env)
    lines = list(command.lines())
    return lines, command.wait()


def test_start_streams_stdout_and_stderr_apart(tmp_path):
    import sys

    script = tmp_path / "child.py"
    script.write_text(SCRIPT)
    lines, code = _run([sys.executable, str(script)], {"NVW_TEST": "yes"})
    assert code == 7
    assert [(line.stream, line.text) for line in lines if line.stream == "stdout"] == [
        ("stdout", "out 1"),
        ("stdout", "out 2 yes"),
    ]
    assert [line.text for line in lines if line.stream == "stderr"] == ["err 1"]
    assert not [line for line in lines if line.stream == "status"]


def test_start_gives_apt_a_status_pipe_on_fd_3(tmp_path):
    import sys

    script = tmp_path / "child.py"
    script.write_text(SCRIPT)
    lines, code = _run([sys.executable, str(script), "-o", "APT::Status-Fd=3"])
    assert code == 7
    assert [line.text for line in lines if line.stream == "status"] == [
        "pmstatus:nvidia-utils-580:42.5:Unpacking"
    ]


def test_start_missing_command_raises():
    with pytest.raises(FileNotFoundError):
        LocalHost().start(["nvwizard-no-such-command"])


# -- pure helpers -----------------------------------------------------------------------------


def test_wants_status_fd():
    assert wants_status_fd(["apt-get", "-o", "APT::Status-Fd=3", "install"])
    assert wants_status_fd(["apt-get", "-oAPT::Status-Fd=3"])
    assert not wants_status_fd(["apt-get", "-o", "APT::Status-Fd=4"])
    assert not wants_status_fd(["apt-get", "install", "APT::Status-Fd=3"])


def test_parse_proc_locks():
    text = (
        "1: POSIX  ADVISORY  WRITE 1873 08:02:1577 0 EOF\n"
        "1: -> POSIX  ADVISORY  WRITE 1999 08:02:1577 0 EOF\n"
        "garbage\n"
    )
    assert parse_proc_locks(text) == [(1873, (8, 2, 1577))]


def test_deb822_sources():
    text = (
        "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates\n"
        "Components: main restricted\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n"
        "\n# disabled\nTypes: deb\nURIs: http://x/\nSuites: y\nComponents: z\nEnabled: no\n"
    )
    key = "[signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg]"
    assert deb822_to_one_line(text) == [
        f"deb {key} http://archive.ubuntu.com/ubuntu/ noble main restricted",
        f"deb {key} http://archive.ubuntu.com/ubuntu/ noble-updates main restricted",
    ]


def test_apt_sources_name_each_file_and_an_inline_key(tmp_path):
    from nvwizard.detect.apt_sources import INLINE_KEY, parse_apt_source_entries
    from nvwizard.host.package_queries import INLINE_KEY as WRITTEN
    from nvwizard.host.package_queries import apt_sources

    apt = tmp_path / "etc/apt"
    (apt / "sources.list.d").mkdir(parents=True)
    (apt / "sources.list").write_text("# nothing enabled here\n")
    (apt / "sources.list.d/debian.sources").write_text(
        "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\n"
        "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mQINBGPL0BUBEADmW5Nd\n"
        " -----END PGP PUBLIC KEY BLOCK-----\n"
    )
    (apt / "sources.list.d/local.list").write_text("deb [trusted=yes] file:/srv/repo ./\n")
    text = apt_sources(tmp_path)
    assert text == (
        "# file: /etc/apt/sources.list.d/local.list\n"
        "deb [trusted=yes] file:/srv/repo ./\n"
        "# file: /etc/apt/sources.list.d/debian.sources\n"
        f"deb [signed-by={WRITTEN}] http://deb.debian.org/debian trixie main\n"
    )
    assert WRITTEN == INLINE_KEY
    debian = parse_apt_source_entries(text)[1]
    assert (debian.file, debian.deb822, debian.inline_key) == (
        "/etc/apt/sources.list.d/debian.sources",
        True,
        True,
    )


def test_session_finds_sshd_among_the_ancestors_when_sudo_dropped_ssh_variables(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    parent = os.getppid()
    (tmp_path / f"proc/{parent}").mkdir(parents=True)
    (tmp_path / f"proc/{parent}/stat").write_text(f"{parent} (sudo) S 4242 1 1 0 -1\n")
    (tmp_path / "proc/4242").mkdir()
    (tmp_path / "proc/4242/stat").write_text("4242 (sshd-session) S 1 4242 4242 0 -1\n")
    (tmp_path / "proc/1").mkdir()
    (tmp_path / "proc/1/stat").write_text("1 (systemd) S 0 1 1 0 -1\n")
    (tmp_path / "proc/1/comm").write_text("systemd\n")
    text = LocalHost(root=str(tmp_path)).read("session.txt")
    assert "ssh=yes\n" in text and "systemd=yes\n" in text
    (tmp_path / "proc/4242/stat").write_text("4242 (tmux: server (1)) S 1 4242 4242 0 -1\n")
    assert "ssh=no\n" in LocalHost(root=str(tmp_path)).read("session.txt")


# -- the facts of loading a driver without a reboot -------------------------------------------


def test_gpu_services_from_systemctl(fake_bin, tmp_path):
    fake_bin(
        "systemctl",
        'if [ "$1" = is-active ]; then\n'
        '  printf "active\\nactive\\ninactive\\ninactive\\ninactive\\n"; exit 3\n'
        "fi\n"
        'printf "enabled\\nenabled\\ndisabled\\nnot-found\\nnot-found\\n"; exit 1\n',
    )
    text = LocalHost(root=str(tmp_path)).read("gpu-services.txt")
    assert text.splitlines() == [
        "nvidia-persistenced.service\tactive\tenabled",
        "nvidia-fabricmanager.service\tactive\tenabled",
        "nvidia-dcgm.service\tinactive\tdisabled",
        "dcgm.service\tinactive\tnot-found",
        "nvidia-powerd.service\tinactive\tnot-found",
    ]


def test_gpu_services_unavailable_when_systemctl_answers_otherwise(fake_bin, tmp_path):
    fake_bin(
        "systemctl", 'echo "System has not been booted with systemd as init system" >&2; exit 1\n'
    )
    host = LocalHost(root=str(tmp_path))
    assert host.read("gpu-services.txt") is None
    assert "printed 0 lines for 5 units" in host.missing["gpu-services.txt"]


def test_the_host_units_are_the_knowledge_tables():
    from nvwizard.host.processes import GPU_SERVICE_UNITS
    from nvwizard.knowledge import kernel_modules

    assert set(GPU_SERVICE_UNITS) == set(kernel_modules.GPU_SERVICE_UNITS)


def test_proc_fb_and_reboot_required_pkgs(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/fb").write_text("0 astdrmfb\n1 nouveaudrmfb\n")
    host = LocalHost(root=str(tmp_path))
    assert host.read("proc-fb.txt") == "0 astdrmfb\n1 nouveaudrmfb\n"
    assert host.read("reboot-required-pkgs.txt") is None
    (tmp_path / "var/run").mkdir(parents=True)
    (tmp_path / "var/run/reboot-required.pkgs").write_text("linux-image-6.8.0-95-generic\n")
    assert LocalHost(root=str(tmp_path)).read("reboot-required-pkgs.txt") == (
        "linux-image-6.8.0-95-generic\n"
    )


def test_fresh_reads_the_machine_again(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/modules").write_text("nouveau 2424832 0 - Live 0x0\n")
    host = LocalHost(root=str(tmp_path))
    assert "nouveau" in host.read("lsmod.txt")
    (tmp_path / "proc/modules").write_text("nvidia 56795136 0 - Live 0x0\n")
    assert "nouveau" in host.read("lsmod.txt")  # read once per host
    assert "nvidia" in host.fresh().read("lsmod.txt")


def test_session_says_unknown_when_systemctl_cannot_answer(tmp_path):
    """Without systemd (a container) `systemctl is-active` prints nothing on stdout and fails:
    no evidence of a display manager either way, so unknown, never no."""
    from nvwizard.host.processes import session
    from nvwizard.host.reading import CommandResult, Unavailable

    no_systemd = CommandResult(
        "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n", 1
    )
    answers = {
        "no systemd": no_systemd,
        "no systemctl": Unavailable("systemctl: not found"),
        "unit missing": CommandResult("inactive\n", "", 3),
        "running": CommandResult("active\n", "", 0),
    }
    states = {}
    for name, answer in answers.items():
        text = session(tmp_path, lambda argv, answer=answer: answer)
        states[name] = dict(line.split("=", 1) for line in text.splitlines())["display_manager"]
    assert states == {
        "no systemd": "unknown",
        "no systemctl": "unknown",
        "unit missing": "no",
        "running": "yes",
    }


def test_an_unknown_display_manager_is_no_evidence_of_headless():
    from nvwizard.report.headless import is_headless

    assert is_headless({"display_manager": "unknown", "default_target": "graphical.target"}) is None
    assert is_headless({"display_manager": "unknown", "default_target": "multi-user.target"})


def test_sysfs_pci_reads_an_nvidia_devices_revision_from_its_config_space(tmp_path):
    """sysfs' own `revision` file keeps the boot-time value; the config space is what lspci
    reads, all ones (0xff) for a GPU that fell off the bus since. Other vendors' devices are
    not read (nothing needs them)."""
    devices = tmp_path / "sys/bus/pci/devices"
    for address, vendor, config in (
        ("0000:0b:00.0", "0x10de", b"\xff" * 64),  # lost
        ("0000:0c:00.0", "0x10de", bytes.fromhex("de10041e0000100ca1")),  # answers: rev a1
        ("0000:0d:00.0", "0x8086", bytes.fromhex("86801015000000000a")),
    ):
        folder = devices / address
        folder.mkdir(parents=True)
        (folder / "vendor").write_text(f"{vendor}\n")
        (folder / "revision").write_text("0xa1\n")  # cached: never the evidence
        (folder / "config").write_bytes(config)
    text = LocalHost(root=str(tmp_path)).read("sysfs-pci.txt")
    assert text.splitlines() == [
        "0000:0b:00.0 vendor=0x10de revision=0xff",
        "0000:0c:00.0 vendor=0x10de revision=0xa1",
        "0000:0d:00.0 vendor=0x8086",
    ]

"""The simulated machine: apt, dpkg and friends answered from a bundle, never run for real."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nvwizard.detect.dpkg import parse_dpkg_l, parse_dpkg_query
from nvwizard.engine.status_fd import parse_status_line
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import DEMOS, find_demo
from nvwizard.simulator import SimulatedMachine, bundle_host, demo_speed
from nvwizard.simulator.output import size_to_str

KERNEL = "6.8.0-94-generic"
OLD = "535.247.01-0ubuntu0.24.04.1"
NEW = "580.95.05-0ubuntu0.24.04.1"
QUICK = {"NVWIZARD_DEMO_SPEED": "0"}
APT_Y = ["apt-get", "-y", "-o", "APT::Status-Fd=3"]

INSTALLED = {
    "libc6": "2.39-0ubuntu8.6",
    "initramfs-tools": "0.142ubuntu25.5",
    "docker-ce": "5:28.5.1-1~ubuntu.24.04~noble",
    "dkms": "3.0.11-1ubuntu13",
    "nvidia-driver-535-server": OLD,
    "nvidia-utils-535-server": OLD,
    "libnvidia-compute-535-server": OLD,
    "nvidia-kernel-common-535-server": OLD,
    "nvidia-dkms-535-server": OLD,
    "nvidia-container-toolkit": "1.18.0-1",
    "libnvidia-container1": "1.18.0-1",
}


def stanza(name: str, version: str, depends: str = "", **headers: str) -> str:
    lines = [f"Package: {name}", "Architecture: amd64", f"Version: {version}"]
    lines += ["Section: restricted/libs", "Origin: Ubuntu", "Installed-Size: 2048"]
    if depends:
        lines.append(f"Depends: {depends}")
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    lines += ["Size: 1500000", f"Description: {name} for the tests"]
    return "\n".join(lines) + "\n"


def branch_stanzas(base: str, version: str, flavours: tuple[str, ...]) -> list[str]:
    stanzas = [
        stanza(f"nvidia-utils-{base}", version, Provides="nvidia-utils", Conflicts="nvidia-utils"),
        stanza(
            f"libnvidia-compute-{base}",
            version,
            Provides="libnvidia-compute",
            Conflicts="libnvidia-compute",
        ),
        stanza(f"nvidia-kernel-common-{base}", version),
    ]
    for flavour in flavours:
        common = f"libnvidia-compute-{base} (= {version}), nvidia-kernel-common-{base}"
        stanzas += [
            stanza(
                f"nvidia-driver-{flavour}",
                version,
                f"{common}, nvidia-dkms-{flavour} (<= {version}), nvidia-utils-{base}",
                Provides="nvidia-driver-binary",
                Conflicts="nvidia-driver-binary",
            ),
            stanza(f"nvidia-headless-no-dkms-{flavour}", version, common),
            stanza(
                f"nvidia-dkms-{flavour}",
                version,
                f"dkms, nvidia-kernel-common-{base}",
                Provides="nvidia-dkms-kernel",
                Conflicts="nvidia-dkms-kernel",
            ),
            stanza(f"linux-modules-nvidia-{flavour}-{KERNEL}", "6.8.0-94.96"),
        ]
    return stanzas


def make_bundle(folder: Path, **extra_files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    query = "".join(f"{n}\tinstall ok installed\t{v}\n" for n, v in INSTALLED.items())
    query += f"nvidia-kernel-common-525-server\tdeinstall ok config-files\t{OLD}\n"
    stanzas = branch_stanzas("535-server", OLD, ("535-server",))
    stanzas += branch_stanzas("580-server", NEW, ("580-server", "580-server-open"))
    stanzas += [
        stanza("dkms", INSTALLED["dkms"]),
        stanza("nvidia-container-toolkit", "1.18.0-1", "libnvidia-container1 (>= 1.18.0)"),
        stanza("libnvidia-container1", "1.18.0-1"),
    ]
    files = {
        "dpkg-query.txt": query,
        "apt-cache-show.txt": "\n".join(stanzas),
        "uname-r.txt": KERNEL + "\n",
        "os-release.txt": 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n',
        "apt-sources.txt": "deb http://archive.ubuntu.com/ubuntu/ noble main restricted\n"
        "deb http://archive.ubuntu.com/ubuntu/ noble-updates main restricted\n",
        "dpkg-audit.txt": "",
        "dpkg-updates.txt": "",
        **extra_files,
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def host(tmp_path, monkeypatch) -> BundleHost:
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)
    monkeypatch.delenv("NVWIZARD_DEMO_SPEED", raising=False)
    return bundle_host(make_bundle(tmp_path / "bundle"))


def host_with_sleep(folder: Path, sleep, kind: str = "bundle") -> BundleHost:
    """A host on the bundle in `folder` whose simulated machine sleeps with `sleep`."""
    machine = SimulatedMachine(folder, sleep=sleep)
    return BundleHost(folder, kind=kind, simulator=machine)


def run(host, argv, **env) -> tuple[int, list]:
    command = host.start(argv, {**QUICK, **env})
    lines = list(command.lines())
    return command.wait(), lines


def texts(lines, stream: str | None = None) -> list[str]:
    return [line.text for line in lines if stream is None or line.stream == stream]


def states(host) -> dict[str, str]:
    return {e.name: e.state for e in parse_dpkg_query(host.read("dpkg-query.txt") or "")}


# -- simulations ----------------------------------------------------------------------------------


def test_simulated_install_prints_apt_simulation_lines_and_changes_nothing(host):
    code, lines = run(host, ["apt-get", "-s", "install", "nvidia-driver-580-server-open"])

    out = texts(lines, "stdout")
    assert code == 0
    release = "Ubuntu:24.04/noble-updates [amd64]"
    assert f"Inst nvidia-driver-580-server-open ({NEW} {release})" in out
    assert f"Conf nvidia-dkms-580-server-open ({NEW} {release})" in out
    # Ubuntu's branch packages conflict through shared virtual names: the old branch goes
    assert f"Remv nvidia-utils-535-server [{OLD}]" in out
    assert f"Remv nvidia-driver-535-server [{OLD}]" in out
    assert not any(line.startswith("Remv nvidia-container") for line in out)
    inst = [line for line in out if line.startswith("Inst")]
    assert inst.index(next(i for i in inst if "nvidia-dkms-580" in i)) < inst.index(
        next(i for i in inst if "nvidia-driver-580" in i)
    )
    assert host.simulator.state.files == {}  # nothing written back


def test_simulated_purge_also_removes_what_depends_on_a_purged_package(host):
    code, lines = run(host, ["apt-get", "-s", "purge", "libnvidia-compute-535-server"])

    out = texts(lines, "stdout")
    assert code == 0
    assert f"Purg libnvidia-compute-535-server [{OLD}]" in out
    assert f"Purg nvidia-driver-535-server [{OLD}]" in out  # its metapackage goes with it
    assert "The following packages will be REMOVED:" in out


def test_simulated_purge_with_autoremove_takes_leftovers_but_not_the_toolkit(host):
    code, lines = run(host, ["apt-get", "-s", "purge", "--autoremove", "nvidia-driver-535-server"])

    purged = {line.split()[1] for line in texts(lines) if line.startswith("Purg")}
    assert code == 0
    assert {"nvidia-driver-535-server", "nvidia-dkms-535-server", "dkms"} <= purged
    assert "nvidia-container-toolkit" not in purged
    assert "libnvidia-container1" not in purged
    assert "docker-ce" not in purged and "libc6" not in purged


def test_unknown_package_is_an_apt_error(host):
    code, lines = run(host, ["apt-get", "-s", "install", "nvidia-driver-999"])
    assert code == 100
    assert "E: Unable to locate package nvidia-driver-999" in texts(lines, "stderr")


def test_bad_apt_option_is_an_error_not_a_crash(host):
    code, lines = run(host, ["apt-get", "--frobnicate", "install", "dkms"])
    assert code == 100
    assert texts(lines, "stderr")[0].startswith("E: Command line option '--frobnicate'")


# -- changes ---------------------------------------------------------------------------------------


def test_purge_changes_the_model_and_the_bundle_text(host):
    old = [n for n in INSTALLED if "535" in n] + ["nvidia-kernel-common-525-server"]
    code, lines = run(host, [*APT_Y, "purge", *old])

    out = texts(lines, "stdout")
    assert code == 0, texts(lines)
    assert f"Removing nvidia-driver-535-server ({OLD}) ..." in out
    assert f"Purging configuration files for nvidia-kernel-common-525-server ({OLD}) ..." in out
    assert "Removing all DKMS Modules" in out
    after = states(host)
    assert not set(old) & set(after)
    assert after["nvidia-container-toolkit"] == "ii"
    assert after["dkms"] == "ii"  # autoremove's job
    listed = {e.name for e in parse_dpkg_l(host.read("dpkg-l.txt"))}
    assert listed == set(after)
    assert host.read("reboot-required.txt")

    code, lines = run(host, [*APT_Y, "autoremove", "--purge"])
    assert code == 0
    assert "dkms" not in states(host)
    assert "libnvidia-container1" in states(host)


def test_install_reports_progress_on_the_status_stream(host):
    code, lines = run(host, [*APT_Y, "install", "nvidia-headless-no-dkms-580-server-open"])

    assert code == 0, texts(lines)
    parsed = [parse_status_line(text) for text in texts(lines, "status")]
    assert parsed and all(p is not None for p in parsed)
    installs = [p.percent for p in parsed if p.kind == "install"]
    assert installs == sorted(installs)
    assert installs[-1] >= 90
    assert any(p.kind == "download" for p in parsed)
    assert not any(text.startswith(("pmstatus", "dlstatus")) for text in texts(lines, "stdout"))


def test_install_without_status_fd_prints_no_status_lines(host):
    code, lines = run(host, ["apt-get", "-y", "install", "nvidia-utils-580-server"])
    assert code == 0
    assert texts(lines, "status") == []


def test_a_redetect_after_install_sees_the_new_driver(host):
    from nvwizard.report.build import build_report

    code, lines = run(host, [*APT_Y, "install", "nvidia-driver-580-server"])

    assert code == 0, texts(lines)
    report = build_report(host)
    installed = {p.name: p.state for p in report.installed_packages}
    assert installed["nvidia-driver-580-server"] == "ii"
    assert "nvidia-driver-535-server" not in installed  # removed: it conflicts
    assert "nvidia-utils-535-server" not in installed
    assert report.reboot_required


def test_dkms_packages_print_the_module_build(host):
    code, lines = run(host, [*APT_Y, "install", "nvidia-dkms-580-server"])

    out = texts(lines, "stdout")
    assert code == 0
    assert f"Setting up nvidia-dkms-580-server ({NEW}) ..." in out
    assert f"Building initial module for {KERNEL}" in out
    assert f"   - Installing to /lib/modules/{KERNEL}/updates/dkms/" in out
    assert f"Processing triggers for initramfs-tools ({INSTALLED['initramfs-tools']}) ..." in out


def test_signed_modules_print_their_construction(host):
    package = f"linux-modules-nvidia-580-server-open-{KERNEL}"
    code, lines = run(host, [*APT_Y, "install", package])

    out = texts(lines, "stdout")
    assert code == 0
    assert f"linux-image-nvidia-{KERNEL}: constructing .ko files" in out
    assert "nvidia.ko: OK" in out
    assert not any("DKMS" in line for line in out)


def test_requested_package_already_installed(host):
    code, lines = run(host, ["apt-get", "-y", "install", "dkms"])
    assert code == 0
    assert f"dkms is already the newest version ({INSTALLED['dkms']})." in texts(lines)


# -- Debian's DKMS packages ----------------------------------------------------------------------

DEBIAN_KERNEL = (find_demo("debian12-t4").path / "uname-r.txt").read_text().strip()
TRIXIE_KERNEL = (find_demo("debian13-l4").path / "uname-r.txt").read_text().strip()
UBUNTU_ONLY = ("INFO:", "DEBUG:", "ubuntu-drivers", "Building for architecture", "/var/crash/")


def debian_host(sb_state: str | None = None, demo: str = "debian12-t4"):
    from nvwizard.simulator import demo_host

    host = demo_host(demo)
    if sb_state is not None:
        host.simulator.write("mokutil-sb-state.txt", sb_state)
    return host


@pytest.mark.parametrize(
    ("demo", "package", "module", "version", "files"),
    [
        ("debian12-t4", "nvidia-kernel-dkms", "nvidia-current", "535.309.01", 5),
        ("debian12-t4", "nvidia-tesla-535-kernel-dkms", "nvidia-tesla-535", "535.216.03", 5),
        ("debian12-t4", "nvidia-tesla-470-kernel-dkms", "nvidia-tesla-470", "470.256.02", 5),
        # bookworm's open modules lag its driver (apt refuses them): trixie's match it
        ("debian13-l4", "nvidia-open-kernel-dkms", "nvidia-current-open", "550.163.01", 5),
        ("debian13-l4", "nvidia-tesla-535-kernel-dkms", "nvidia-tesla-535", "535.274.02", 5),
    ],
)
def test_debian_dkms_packages_build_the_module_debian_names(demo, package, module, version, files):
    host = debian_host(demo=demo)
    kernel = host.read("uname-r.txt").strip()

    code, lines = run(host, [*APT_Y, "install", package])

    out = texts(lines, "stdout")
    assert code == 0, texts(lines)
    start = out.index(f"Loading new {module}-{version} DKMS files...")
    assert out[start + 1 : start + 4] == [
        f"Building for {kernel}",
        f"Building initial module for {kernel}",
        "Done.",
    ]
    built = [line[:-1] for line in out if line.endswith(".ko:")]
    suffixes = ["", "-modeset", "-drm", "-uvm", "-peermem"][:files]
    assert built == [f"{module}{suffix}.ko" for suffix in suffixes]
    assert f"   - Installing to /lib/modules/{kernel}/updates/dkms/" in out
    assert not [line for line in texts(lines) if line.startswith(UBUNTU_ONLY)]
    assert host.read("dkms-status.txt") == (f"{module}/{version}, {kernel}, x86_64: installed\n")


def test_a_failed_debian_dkms_build_is_debian_s_error(monkeypatch):
    host = debian_host()
    fail = {"NVWIZARD_DEMO_FAIL": "nvidia-kernel-dkms"}

    code, lines = run(host, [*APT_Y, "install", "nvidia-driver"], **fail)

    assert code == 100
    out = texts(lines, "stdout")
    building = out.index(f"Building initial module for {DEBIAN_KERNEL}")
    assert out[building + 1 : building + 3] == [
        f"Error! Bad return status for module build on kernel: {DEBIAN_KERNEL} (x86_64)",
        "Consult /var/lib/dkms/nvidia-current/535.309.01/build/make.log for more information.",
    ]
    assert (
        " installed nvidia-kernel-dkms package post-installation script subprocess returned "
        "error exit status 10" in texts(lines, "stderr")
    )
    assert not [line for line in texts(lines) if line.startswith(UBUNTU_ONLY)]
    assert states(host)["nvidia-kernel-dkms"] == "iF"
    assert not host.read("dkms-status.txt")  # nothing was built


def test_purging_a_debian_dkms_package_removes_its_module_and_row():
    host = debian_host()
    assert run(host, [*APT_Y, "install", "nvidia-tesla-535-kernel-dkms"])[0] == 0
    host.simulator.write(
        "dkms-status.txt",
        host.read("dkms-status.txt") + f"zfs/2.1.11, {DEBIAN_KERNEL}, x86_64: installed\n",
    )

    code, lines = run(host, [*APT_Y, "purge", "nvidia-tesla-535-kernel-dkms"])

    out = texts(lines, "stdout")
    assert code == 0, texts(lines)
    assert f"Module nvidia-tesla-535-535.216.03 for kernel {DEBIAN_KERNEL} (x86_64)." in out
    assert "nvidia-tesla-535-uvm.ko:" in out
    assert f"   - Deleting from: /lib/modules/{DEBIAN_KERNEL}/updates/dkms/" in out
    assert "Deleting module nvidia-tesla-535-535.216.03 completely from the DKMS tree." in out
    assert not [line for line in texts(lines) if line.startswith(UBUNTU_ONLY)]
    assert host.read("dkms-status.txt") == f"zfs/2.1.11, {DEBIAN_KERNEL}, x86_64: installed\n"


def test_a_debian_dkms_module_loads_at_boot_under_its_debian_name():
    host = debian_host(demo="debian13-l4")
    assert run(host, [*APT_Y, "install", "nvidia-open-kernel-dkms", "nvidia-smi"])[0] == 0
    old_row = "nvidia-current/550.54.14, 6.12.38+deb13-amd64, x86_64: installed\n"
    host.simulator.write("dkms-status.txt", old_row)

    result = host.simulator.boot()

    assert result.module is not None, result.why_no_module
    assert (result.module.version, result.module.open) == ("550.163.01", True)
    assert result.module.path == f"/lib/modules/{TRIXIE_KERNEL}/updates/dkms/nvidia-current-open.ko"
    assert host.read("dkms-status.txt") == (
        f"nvidia-current-open/550.163.01, {TRIXIE_KERNEL}, x86_64: installed\n"
    )


def test_under_secure_boot_debian_s_dkms_module_needs_its_key_enrolled():
    host = debian_host("SecureBoot enabled\n")
    code, lines = run(host, [*APT_Y, "install", "nvidia-kernel-dkms"])
    assert code == 0
    # bookworm's postinst hides `dkms build`'s output, its signing lines included
    assert not any(line.startswith(("Sign command:", "Signing key:")) for line in texts(lines))

    result = host.simulator.boot()

    assert result.module is None
    assert result.why_no_module == (
        "Secure Boot rejected the DKMS-built module: its key (/var/lib/dkms/mok.pub) is not "
        "enrolled, and the simulator enrols none"
    )
    assert host.read("dkms-status.txt") == (  # built and installed; the kernel refuses it
        f"nvidia-current/535.309.01, {DEBIAN_KERNEL}, x86_64: installed\n"
    )


@pytest.mark.parametrize("sb_state", ["SecureBoot enabled\n", "SecureBoot disabled\n"])
def test_under_secure_boot_ubuntu_s_postinst_queues_no_enrolment_and_the_boot_rejects(sb_state):
    """Ubuntu's nvidia-dkms postinst asks update-secureboot-policy to queue the key's enrolment;
    under apt's non-interactive frontend that prints "Running in non-interactive mode, doing
    nothing." (stderr) between the build and "Done.", so nothing is enrolled and the boot
    rejects the module, naming Ubuntu's DKMS key."""
    from nvwizard.simulator import demo_host

    host = demo_host("gtx1080-secureboot")
    host.simulator.write("mokutil-sb-state.txt", sb_state)
    kernel = host.read("uname-r.txt").strip()
    code, lines = run(host, [*APT_Y, "install", "nvidia-dkms-580-server"])
    assert code == 0, texts(lines)
    enabled = sb_state.startswith("SecureBoot enabled")
    nothing = "Running in non-interactive mode, doing nothing."
    assert (nothing in texts(lines, "stderr")) == enabled
    out = texts(lines)
    building = out.index(f"Building initial module for {kernel}")
    assert out[building + 1 : building + 3] == ([nothing, "Done."] if enabled else ["Done.", ""])

    result = host.simulator.boot()
    if enabled:
        assert result.module is None
        assert result.why_no_module == (
            "Secure Boot rejected the DKMS-built module: its key "
            "(/var/lib/shim-signed/mok/MOK.der) is not enrolled, and the simulator enrols none"
        )
    else:
        assert result.module is not None and not result.module.signed_by_canonical


def test_dkms_2_writes_status_rows_in_its_comma_layout(tmp_path):
    installed = "".join(f"{n}\tinstall ok installed\t{v}\n" for n, v in INSTALLED.items())
    installed = installed.replace(INSTALLED["dkms"], "2.8.7-2ubuntu2")
    host = bundle_host(make_bundle(tmp_path / "bundle", **{"dpkg-query.txt": installed}))

    assert run(host, [*APT_Y, "install", "nvidia-dkms-580-server"])[0] == 0

    assert host.read("dkms-status.txt") == f"nvidia, 580.95.05, {KERNEL}, x86_64: installed\n"


# -- failures --------------------------------------------------------------------------------------


def test_demo_fail_makes_the_postinst_fail_like_a_dkms_build(host):
    fail = {"NVWIZARD_DEMO_FAIL": "nvidia-dkms-580-server"}
    code, lines = run(host, [*APT_Y, "install", "nvidia-driver-580-server"], **fail)

    errors = texts(lines, "stderr")
    assert code == 100
    assert f"Error! Bad return status for module build on kernel: {KERNEL} (x86_64)" in texts(
        lines, "stdout"
    )
    assert "dpkg: error processing package nvidia-dkms-580-server (--configure):" in errors
    assert "dpkg: dependency problems prevent configuration of nvidia-driver-580-server:" in errors
    assert errors[-1] == "E: Sub-process /usr/bin/dpkg returned an error code (1)"
    assert any(text.startswith("pmerror:nvidia-dkms-580-server:") for text in texts(lines))
    after = states(host)
    assert after["nvidia-dkms-580-server"] == "iF"
    assert after["nvidia-driver-580-server"] == "iU"
    assert after["nvidia-utils-580-server"] == "ii"

    code, lines = run(host, ["dpkg", "--audit"])
    assert "The following packages are only half configured" in "\n".join(texts(lines))

    code, lines = run(host, ["dpkg", "--configure", "-a"], **fail)
    assert code == 1
    assert states(host)["nvidia-dkms-580-server"] == "iF"

    code, lines = run(host, ["dpkg", "--configure", "-a"])
    assert code == 0, texts(lines)
    assert states(host)["nvidia-driver-580-server"] == "ii"
    assert host.read("dpkg-audit.txt") == ""


def test_demo_fail_works_for_any_package(host):
    fail = {"NVWIZARD_DEMO_FAIL": "nvidia-utils-580-server"}
    code, lines = run(host, [*APT_Y, "install", "nvidia-utils-580-server"], **fail)

    assert code == 100
    assert (
        " installed nvidia-utils-580-server package post-installation script subprocess "
        "returned error exit status 1" in texts(lines, "stderr")
    )
    assert states(host)["nvidia-utils-580-server"] == "iF"


def test_interrupted_dpkg_stops_apt(tmp_path):
    host = bundle_host(make_bundle(tmp_path / "b", **{"dpkg-updates.txt": "0001\n"}))
    code, lines = run(host, [*APT_Y, "install", "dkms"])
    assert code == 100
    assert texts(lines, "stderr")[0].startswith("E: dpkg was interrupted")

    code, lines = run(host, ["dpkg", "--configure", "-a"])
    assert code == 0
    assert host.read("dpkg-updates.txt") == ""


LOCKED = {"dpkg-lock.txt": "1873\tunattended-upgr\t/var/lib/dpkg/lock-frontend\n"}


def test_a_held_lock_without_timeout_fails_naming_the_holder(tmp_path):
    host = bundle_host(make_bundle(tmp_path / "b", **LOCKED))
    code, lines = run(host, [*APT_Y, "install", "nvidia-utils-580-server"])
    assert code == 100
    assert (
        "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1873 "
        "(unattended-upgr)" in texts(lines, "stderr")
    )


def test_a_held_lock_with_timeout_waits_then_proceeds(tmp_path):
    host = bundle_host(make_bundle(tmp_path / "b", **LOCKED))
    argv = ["apt-get", "-y", "-o", "DPkg::Lock::Timeout=300", "install", "nvidia-utils-580-server"]
    code, lines = run(host, argv)

    assert code == 0
    assert any(t.startswith("Waiting for cache lock: Could not get lock") for t in texts(lines))
    assert states(host)["nvidia-utils-580-server"] == "ii"
    assert host.read("dpkg-lock.txt") == ""


def test_a_held_lock_with_a_short_timeout_gives_up(tmp_path):
    host = bundle_host(make_bundle(tmp_path / "b", **LOCKED))
    argv = ["apt-get", "-y", "-o", "DPkg::Lock::Timeout=2", "install", "nvidia-utils-580-server"]
    code, lines = run(host, argv)
    assert code == 100
    assert "Unable to acquire the dpkg frontend lock" in texts(lines, "stderr")[-1]


# -- other tools -----------------------------------------------------------------------------------


def test_dpkg_query_formats_and_reports_missing_patterns(host):
    fmt = "-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n"
    code, lines = run(host, ["dpkg-query", "-W", fmt, "nvidia-dkms-*", "nvidia-driver-999"])

    assert code == 1
    assert texts(lines, "stdout") == [f"nvidia-dkms-535-server\tii \t{OLD}"]
    assert texts(lines, "stderr") == ["dpkg-query: no packages found matching nvidia-driver-999"]


def test_apt_mark_hold_is_written_back(host):
    code, lines = run(host, ["apt-mark", "hold", "nvidia-utils-535-server"])
    assert code == 0
    assert texts(lines) == ["nvidia-utils-535-server set on hold."]
    assert host.read("apt-mark-showhold.txt") == "nvidia-utils-535-server\n"
    assert states(host)["nvidia-utils-535-server"] == "hi"

    code, lines = run(host, ["apt-mark", "hold", "nvidia-utils-535-server"])
    assert texts(lines) == ["nvidia-utils-535-server was already set on hold."]


def test_held_package_blocks_a_change(host):
    run(host, ["apt-mark", "hold", "nvidia-utils-535-server"])
    code, lines = run(host, [*APT_Y, "purge", "nvidia-utils-535-server"])
    assert code == 100
    assert "E: Held packages were changed" in texts(lines, "stderr")[-1]


def test_systemctl_knows_which_units_the_packages_ship(host):
    code, lines = run(host, ["systemctl", "enable", "nvidia-fabricmanager.service"])
    assert code == 1
    assert "Unit file nvidia-fabricmanager.service does not exist" in texts(lines)[0]

    code, lines = run(host, ["systemctl", "enable", "nvidia-persistenced"])
    assert code == 0
    assert texts(lines)[0].startswith("Created symlink")
    code, lines = run(host, ["systemctl", "enable", "nvidia-persistenced"])
    assert code == 0 and texts(lines) == []  # already enabled


def test_debian_nvidia_persistenced_package_ships_its_unit(tmp_path):
    query = "nvidia-persistenced\tinstall ok installed\t535.171.04-1~deb12u1\n"
    host = bundle_host(make_bundle(tmp_path / "bundle", **{"dpkg-query.txt": query}))
    code, lines = run(host, ["systemctl", "enable", "nvidia-persistenced.service"])
    assert code == 0, texts(lines)
    assert texts(lines)[0].startswith("Created symlink")


def test_shutdown_schedules_and_cancels(host):
    code, lines = run(host, ["shutdown", "-r", "+1", "nvwizard: reboot"])
    assert code == 0
    assert "Reboot scheduled for" in texts(lines)[0]
    assert run(host, ["shutdown", "-c"])[0] == 0
    assert run(host, ["shutdown", "-r", "tomorrow"])[0] == 1


def test_captured_and_hardware_and_unknown_commands(host):
    code, lines = run(host, ["uname", "-r"])
    assert (code, texts(lines)) == (0, [KERNEL])

    code, lines = run(host, ["update-initramfs", "-u"])
    assert (code, texts(lines)) == (0, ["simulated: update-initramfs -u"])

    code, lines = run(host, ["frobnicate", "--now"])
    assert code == 127
    assert texts(lines, "stderr") == [
        "simulated: frobnicate: command not found on the simulated machine"
    ]


CUDA_REPO = "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64"


def test_update_prints_one_line_per_release_file_as_apt_does(tmp_path):
    """apt fetches one InRelease per archive and suite, however many lines name its
    components (checked against apt 2.6 in a sandbox root): deb-src entries and a trailing
    slash share it, lines are numbered in the order the archives first appear."""
    sources = (
        "deb http://archive.ubuntu.com/ubuntu/ jammy main restricted\n"
        "deb http://archive.ubuntu.com/ubuntu/ jammy universe\n"
        "deb http://archive.ubuntu.com/ubuntu jammy-updates main\n"
        "deb http://archive.ubuntu.com/ubuntu/ jammy-updates universe\n"
        "deb-src http://archive.ubuntu.com/ubuntu/ jammy main\n"
        f"deb {CUDA_REPO}/ /\n"
        "deb http://security.ubuntu.com/ubuntu/ jammy-security main\n"
        "deb http://archive.ubuntu.com/ubuntu/ jammy multiverse\n"
        "deb-src http://archive.canonical.com/ubuntu jammy partner\n"
    )
    host = bundle_host(make_bundle(tmp_path / "b", **{"apt-sources.txt": sources}))
    code, lines = run(host, ["apt-get", "update"])
    assert code == 0
    assert texts(lines) == [
        "Hit:1 http://archive.ubuntu.com/ubuntu jammy InRelease",
        "Hit:2 http://archive.ubuntu.com/ubuntu jammy-updates InRelease",
        f"Hit:3 {CUDA_REPO}  InRelease",  # a flat repository: no suite, as apt prints it
        "Hit:4 http://security.ubuntu.com/ubuntu jammy-security InRelease",
        "Hit:5 http://archive.canonical.com/ubuntu jammy InRelease",
        "Reading package lists...",
    ]


def test_no_real_command_ever_runs(host, monkeypatch):
    def trap(*args, **kwargs):
        raise AssertionError(f"a real command ran: {args}")

    monkeypatch.setattr(subprocess, "Popen", trap)
    monkeypatch.setattr("os.execvp", trap)
    monkeypatch.setattr("os.system", trap)
    for argv in (
        ["apt-get", "update"],
        [*APT_Y, "purge", "nvidia-driver-535-server"],
        [*APT_Y, "install", "nvidia-driver-580-server"],
        ["dpkg", "--configure", "-a"],
        ["shutdown", "-r", "+1"],
        ["reboot"],
    ):
        run(host, argv)


# -- reboot ---------------------------------------------------------------------------------------

GPU_LINE = (
    "0000:01:00.0 class=0x030000 vendor=0x10de device=0x2204 "
    "modalias=pci:v000010DEd00002204sv00001458sd0000403Bbc03sc00i00 driver=nouveau\n"
)
NOUVEAU_LSMOD = (
    "Module                  Size  Used by\n"
    "nouveau              2424832  1\n"
    "ttm                   110592  2 drm_ttm_helper,nouveau\n"
    "drm_ttm_helper         12288  1 nouveau\n"
    "igb                   299008  0\n"
)


def test_reboot_now_loads_the_installed_signed_open_module(tmp_path):
    from nvwizard.detect.nvidia_smi import parse_nvidia_smi
    from nvwizard.detect.proc_version import parse_modinfo, parse_proc_driver_version
    from nvwizard.report.build import build_report

    files = {"sysfs-pci.txt": GPU_LINE, "lsmod.txt": NOUVEAU_LSMOD, "gpu-processes.txt": "7\tpy\n"}
    host = bundle_host(make_bundle(tmp_path / "bundle", **files))
    wanted = [
        "nvidia-headless-no-dkms-580-server-open",
        f"linux-modules-nvidia-580-server-open-{KERNEL}",
    ]
    assert run(host, [*APT_Y, "install", "nvidia-utils-580-server", *wanted])[0] == 0
    assert host.read("reboot-required.txt")

    code, lines = run(host, ["shutdown", "-r", "now"])

    assert code == 0
    assert texts(lines)[-1] == (
        f"simulated: booted {KERNEL}: nvidia 580.95.05 (open) loaded; nvidia-smi: table"
    )
    proc = parse_proc_driver_version(host.read("proc-driver-nvidia-version.txt"))
    assert (proc.version, proc.flavor) == ("580.95.05", "open")
    info = parse_modinfo(host.read("modinfo-nvidia.txt"))
    assert info["license"] == "Dual MIT/GPL" and info["vermagic"].startswith(KERNEL)
    assert "Canonical" in info["signer"]
    modules = [line.split()[0] for line in host.read("lsmod.txt").splitlines()[1:]]
    assert modules[:4] == ["nvidia_uvm", "nvidia_drm", "nvidia_modeset", "nvidia"]
    assert "nouveau" not in modules and "ttm" not in modules  # blacklisted, with what it used
    assert "igb" in modules
    smi_text = host.read("nvidia-smi.txt")
    smi = parse_nvidia_smi(smi_text)
    assert (smi.status, smi.driver_version, smi.cuda_version) == ("ok", "580.95.05", "13.0")
    assert [(g.name, g.bus_id) for g in smi.gpus] == [
        ("NVIDIA GeForce RTX 3090", "00000000:01:00.0")
    ]
    assert smi.processes == () and "No running processes found" in smi_text
    assert {len(line) for line in smi_text.splitlines()[1:]} == {91}  # the 545+ layout
    assert host.read("sysfs-pci.txt").rstrip().endswith("driver=nvidia")
    assert host.read("reboot-required.txt") is None
    assert host.read("gpu-processes.txt") == ""
    report = build_report(host)
    assert not report.reboot_required and report.nouveau_loaded is False
    assert (report.loaded_module.version, report.loaded_module.flavor) == ("580.95.05", "open")


def test_reboot_command_boots_the_newest_installed_kernel(tmp_path):
    newer = "6.8.0-100-generic"
    query = "".join(f"linux-image-{k}\tinstall ok installed\t1\n" for k in (KERNEL, newer))
    host = bundle_host(make_bundle(tmp_path / "bundle", **{"dpkg-query.txt": query}))

    code, lines = run(host, ["reboot"])

    assert code == 0 and texts(lines)[0] == "simulated: reboot: the simulated machine reboots"
    assert host.read("uname-r.txt") == newer + "\n"
    assert run(host, ["uname", "-r"])[1][0].text == newer


def test_under_secure_boot_a_dkms_module_is_rejected(tmp_path):
    from nvwizard.detect.nvidia_smi import parse_nvidia_smi

    host = bundle_host(
        make_bundle(tmp_path / "bundle", **{"mokutil-sb-state.txt": "SecureBoot enabled\n"})
    )
    assert run(host, [*APT_Y, "install", "nvidia-driver-580-server"])[0] == 0

    run(host, ["shutdown", "-r", "now"])

    result = host.simulator.last_boot
    assert result.module is None and "MOK" in result.why_no_module
    assert host.read("proc-driver-nvidia-version.txt") is None
    assert parse_nvidia_smi(host.read("nvidia-smi.txt")).status == "no-driver"


def test_without_secure_boot_dkms_builds_and_loads_the_module(tmp_path):
    old_row = (
        f"nvidia/535.247.01, {KERNEL}, x86_64: installed\nzfs/2.2.2, {KERNEL}, x86_64: installed\n"
    )
    host = bundle_host(make_bundle(tmp_path / "bundle", **{"dkms-status.txt": old_row}))
    assert run(host, [*APT_Y, "install", "nvidia-driver-580-server"])[0] == 0

    result = host.simulator.boot()

    assert (result.module.version, result.module.open) == ("580.95.05", False)
    assert result.module.path == f"/lib/modules/{KERNEL}/updates/dkms/nvidia.ko.zst"
    assert host.read("dkms-status.txt") == (
        f"zfs/2.2.2, {KERNEL}, x86_64: installed\nnvidia/580.95.05, {KERNEL}, x86_64: installed\n"
    )
    assert "license:        NVIDIA" in host.read("modinfo-nvidia.txt")


def test_a_scheduled_reboot_boots_after_its_minutes_unless_cancelled(host):
    slept: list[float] = []
    machine = host.simulator
    assert machine.wait_for_scheduled_reboot(sleep=slept.append) is False  # nothing scheduled
    run(host, ["shutdown", "-r", "+2"])
    run(host, ["shutdown", "-c"])
    assert machine.wait_for_scheduled_reboot(sleep=slept.append) is False
    assert machine.last_boot is None

    run(host, ["shutdown", "-r", "+2"])
    assert machine.scheduled_reboot == "+2"
    assert machine.wait_for_scheduled_reboot({"NVWIZARD_DEMO_SPEED": "1"}, slept.append) is True

    assert machine.last_boot is not None and machine.scheduled_reboot is None
    assert sum(slept) == pytest.approx(2 * 5.0 + 3.0)  # two simulated minutes, then the boot


def test_the_last_nvidia_smi_table_gives_names_and_memory_the_table_did_not_know(tmp_path):
    from nvwizard.detect.nvidia_smi import parse_nvidia_smi

    old_smi = (
        Path(__file__).parents[2] / "nvwizard/demo_machines/hgx-h100/nvidia-smi.txt"
    ).read_text()
    odd = GPU_LINE.replace("0x2204", "0x2335").replace("d00002204", "d00002335")
    files = {"sysfs-pci.txt": odd.replace("01:00.0", "18:00.0"), "nvidia-smi.txt": old_smi}
    host = bundle_host(make_bundle(tmp_path / "bundle", **files))
    run(host, [*APT_Y, "install", "nvidia-utils-535-server"])

    host.simulator.boot()

    smi = parse_nvidia_smi(host.read("nvidia-smi.txt"))
    assert [(g.name, g.memory_total_mib) for g in smi.gpus] == [("NVIDIA H100 80GB HBM3", 81559)]
    assert smi.processes == ()  # the training job died with the reboot
    assert {len(line) for line in host.read("nvidia-smi.txt").splitlines()[1:]} == {89}


def test_without_pci_files_the_gpus_come_from_the_last_nvidia_smi_table(tmp_path):
    from nvwizard.detect.nvidia_smi import parse_nvidia_smi

    old_smi = (
        Path(__file__).parents[2] / "nvwizard/demo_machines/hgx-h100/nvidia-smi.txt"
    ).read_text()
    host = bundle_host(make_bundle(tmp_path / "bundle", **{"nvidia-smi.txt": old_smi}))
    run(host, [*APT_Y, "install", "nvidia-utils-535-server"])

    host.simulator.boot()

    smi = parse_nvidia_smi(host.read("nvidia-smi.txt"))
    assert len(smi.gpus) == 8 and smi.gpus[7].bus_id == "00000000:DB:00.0"
    assert smi.processes == ()


def test_a_machine_without_a_driver_boots_with_nouveau_and_no_nvidia_smi(tmp_path):
    query = "igb-dkms\tinstall ok installed\t1\n"
    files = {"sysfs-pci.txt": GPU_LINE, "lsmod.txt": NOUVEAU_LSMOD, "dpkg-query.txt": query}
    host = bundle_host(make_bundle(tmp_path / "bundle", **files))

    result = host.simulator.boot()

    assert result.module is None and result.nouveau and result.smi == "not-installed"
    assert host.read("nvidia-smi.txt") is None
    assert host.read("lsmod.txt").splitlines()[1].startswith("nouveau")
    assert host.read("sysfs-pci.txt").rstrip().endswith("driver=nouveau")


@pytest.mark.parametrize(
    ("version", "width", "title"),
    [
        ("470.256.02", 79, "Driver Version: 470.256.02   CUDA Version: 11.4"),
        ("535.247.01", 89, "Driver Version: 535.247.01   CUDA Version: 12.2"),
        ("550.163.01", 91, "Driver Version: 550.163.01     CUDA Version: 12.4"),
        ("610.43.02", 91, "KMD Version: 610.43.02     CUDA UMD Version: "),
    ],
)
def test_nvidia_smi_tables_have_each_generations_layout(version, width, title):
    from nvwizard.detect.nvidia_smi import parse_nvidia_smi
    from nvwizard.simulator.smi_table import GPU_FACTS, SmiGpuRow, render_nvidia_smi

    text = render_nvidia_smi(version, [SmiGpuRow("00000000:00:1E.0", GPU_FACTS["1eb8"])], False)

    assert {len(line) for line in text.splitlines()[1:]} == {width}
    assert title in text.splitlines()[2]
    smi = parse_nvidia_smi(text)
    assert (smi.status, smi.driver_version) == ("ok", version)
    assert [(g.name, g.memory_total_mib) for g in smi.gpus] == [("Tesla T4", 15360)]


# -- a reboot after the default install, on each demo machine -----------------------------------


def install_default_plan(name: str):
    from nvwizard.engine.runner import Engine
    from nvwizard.plan.build import build_plan, default_choices
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    host = demo_host(name)
    report = build_report(host)
    outcome = Engine(host, build_plan(report, default_choices(report))).run()
    assert outcome.status == "done", outcome
    return host


DEMOS_WITH_GPU = [d.name for d in DEMOS if d.name != "vm-no-gpu"]


@pytest.mark.parametrize("name", DEMOS_WITH_GPU)
def test_verify_passes_after_the_default_install_and_a_reboot(name, monkeypatch, tmp_path):
    from nvwizard.engine.verify import verify

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(tmp_path / "log"))
    host = install_default_plan(name)
    assert not verify(host).ok  # installed, not yet running

    run(host, ["shutdown", "-r", "now"])

    result = verify(host)
    if name == "gtx1080-secureboot":
        # the recommended (supported) 580 is built by DKMS under Secure Boot: its module
        # loads only after the MOK is enrolled at the console, which no reboot here does
        failing = {c.name for c in result.checks if not c.ok}
        assert "module-loaded" in failing and any("MOK" in (c.fix or "") for c in result.checks)
        return
    assert [c.name for c in result.checks if not c.ok] == [], result.checks


def test_verify_after_a_reboot_without_installing_names_the_missing_driver(monkeypatch):
    from nvwizard.engine.verify import verify
    from nvwizard.simulator import demo_host

    host = demo_host("rtx3090-fresh")
    run(host, ["shutdown", "-r", "now"])

    checks = {c.name: c for c in verify(host).checks}
    assert not any(c.ok for c in checks.values())
    # the demo's own install, not this computer's `sudo nvwizard`
    assert checks["module-loaded"].fix == (
        "Install the driver first: `nvwizard --demo rtx3090-fresh` (the wizard) or "
        "`nvwizard install --demo rtx3090-fresh`."
    )
    assert checks["nvidia-smi"].detail == "nvidia-smi is not installed"
    assert checks["nouveau"].detail == "nouveau is still loaded"


def test_a_reboot_cures_the_nvml_mismatch_and_boots_the_newer_kernel():
    from nvwizard.engine.verify import verify
    from nvwizard.simulator import demo_host

    host = demo_host("nvml-mismatch")
    run(host, ["shutdown", "-r", "now"])

    assert host.read("uname-r.txt").strip() == "5.15.0-164-generic"
    assert verify(host).ok


def test_the_proprietary_module_drives_no_blackwell_gpu():
    from nvwizard.simulator import demo_host

    host = demo_host("rtx5090-workstation")
    run(host, ["shutdown", "-r", "now"])

    assert host.read("nvidia-smi.txt") == "No devices were found\n"


# -- pace ------------------------------------------------------------------------------------------


def paused_seconds(folder: Path, argv, speed: str) -> float:
    slept: list[float] = []
    command = host_with_sleep(folder, slept.append).start(argv, {"NVWIZARD_DEMO_SPEED": speed})
    command.wait()
    return sum(slept)


def test_speed_scales_every_pause_and_zero_never_sleeps(tmp_path):
    argv = [*APT_Y, "install", "nvidia-driver-580-server"]
    fresh = [make_bundle(tmp_path / str(i)) for i in range(3)]

    assert paused_seconds(fresh[0], argv, "0") == 0
    normal = paused_seconds(fresh[1], argv, "1")
    slow = paused_seconds(fresh[2], argv, "2")
    assert normal > 0
    assert slow == pytest.approx(2 * normal)


def test_a_demo_install_takes_twenty_to_forty_seconds_at_default_speed(monkeypatch):
    """The documented pace: the whole default plan on the HGX demo, counted, not timed."""
    from nvwizard.plan.build import build_plan, default_choices
    from nvwizard.report.build import build_report

    monkeypatch.delenv("NVWIZARD_DEMO_SPEED", raising=False)
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)
    slept: list[float] = []
    host = host_with_sleep(find_demo("hgx-h100").path, slept.append, kind="demo")
    plan = build_plan(build_report(host), default_choices(build_report(host)))
    for step in plan.steps:
        for argv in step.commands:
            command = host.start(argv, {})
            assert command.wait() == 0, argv
    assert 20 <= sum(slept) <= 40


def test_demo_speed_parsing():
    assert demo_speed({}) == 1.0
    assert demo_speed({"NVWIZARD_DEMO_SPEED": "0"}) == 0.0
    assert demo_speed({"NVWIZARD_DEMO_SPEED": "0.5"}) == 0.5
    assert demo_speed({"NVWIZARD_DEMO_SPEED": "fast"}) == 1.0
    assert demo_speed({"NVWIZARD_DEMO_SPEED": "-3"}) == 0.0
    # a pause past the platform's clock was an OverflowError traceback mid-install
    for endless in ("inf", "1e309", "nan", "-inf"):
        assert demo_speed({"NVWIZARD_DEMO_SPEED": endless}) == 1.0, endless
    assert demo_speed({"NVWIZARD_DEMO_SPEED": "1e300"}) == 100.0


def test_apt_size_format():
    assert size_to_str(4612) == "4612 B"
    assert size_to_str(15600) == "15.6 kB"
    assert size_to_str(93_100_000) == "93.1 MB"
    assert size_to_str(312_000_000) == "312 MB"

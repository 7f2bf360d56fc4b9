"""The simulated machine: apt, dpkg and friends answered from a bundle, never run for real."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nvwizard.detect.dpkg import parse_dpkg_l, parse_dpkg_query
from nvwizard.engine.status_fd import parse_status_line
from nvwizard.host.bundle import BundleHost
from nvwizard.host.simulated import SimulatedMachine, demo_speed, size_to_str

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
    return BundleHost(make_bundle(tmp_path / "bundle"))


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
    assert host.files == {}  # nothing written back


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
    host = BundleHost(make_bundle(tmp_path / "b", **{"dpkg-updates.txt": "0001\n"}))
    code, lines = run(host, [*APT_Y, "install", "dkms"])
    assert code == 100
    assert texts(lines, "stderr")[0].startswith("E: dpkg was interrupted")

    code, lines = run(host, ["dpkg", "--configure", "-a"])
    assert code == 0
    assert host.read("dpkg-updates.txt") == ""


LOCKED = {"dpkg-lock.txt": "1873\tunattended-upgr\t/var/lib/dpkg/lock-frontend\n"}


def test_a_held_lock_without_timeout_fails_naming_the_holder(tmp_path):
    host = BundleHost(make_bundle(tmp_path / "b", **LOCKED))
    code, lines = run(host, [*APT_Y, "install", "nvidia-utils-580-server"])
    assert code == 100
    assert (
        "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1873 "
        "(unattended-upgr)" in texts(lines, "stderr")
    )


def test_a_held_lock_with_timeout_waits_then_proceeds(tmp_path):
    host = BundleHost(make_bundle(tmp_path / "b", **LOCKED))
    argv = ["apt-get", "-y", "-o", "DPkg::Lock::Timeout=300", "install", "nvidia-utils-580-server"]
    code, lines = run(host, argv)

    assert code == 0
    assert any(t.startswith("Waiting for cache lock: Could not get lock") for t in texts(lines))
    assert states(host)["nvidia-utils-580-server"] == "ii"
    assert host.read("dpkg-lock.txt") == ""


def test_a_held_lock_with_a_short_timeout_gives_up(tmp_path):
    host = BundleHost(make_bundle(tmp_path / "b", **LOCKED))
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
    host = BundleHost(make_bundle(tmp_path / "bundle", **{"dpkg-query.txt": query}))
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

    code, lines = run(host, ["modprobe", "nvidia"])
    assert (code, texts(lines)) == (0, ["simulated: modprobe nvidia"])

    code, lines = run(host, ["frobnicate", "--now"])
    assert code == 127
    assert texts(lines, "stderr") == [
        "simulated: frobnicate: command not found on the simulated machine"
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


# -- pace ------------------------------------------------------------------------------------------


def paused_seconds(host, argv, speed: str) -> float:
    slept: list[float] = []
    command = SimulatedMachine(host, sleep=slept.append).start(argv, {"NVWIZARD_DEMO_SPEED": speed})
    command.wait()
    return sum(slept)


def test_speed_scales_every_pause_and_zero_never_sleeps(tmp_path):
    argv = [*APT_Y, "install", "nvidia-driver-580-server"]
    fresh = [BundleHost(make_bundle(tmp_path / str(i))) for i in range(3)]

    assert paused_seconds(fresh[0], argv, "0") == 0
    normal = paused_seconds(fresh[1], argv, "1")
    slow = paused_seconds(fresh[2], argv, "2")
    assert normal > 0
    assert slow == pytest.approx(2 * normal)


def test_a_demo_install_takes_twenty_to_forty_seconds_at_default_speed(monkeypatch):
    """The documented pace: the whole default plan on the HGX demo, counted, not timed."""
    from nvwizard.host.demo import demo_host
    from nvwizard.plan.build import build_plan, default_choices
    from nvwizard.report.build import build_report

    monkeypatch.delenv("NVWIZARD_DEMO_SPEED", raising=False)
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)
    host = demo_host("hgx-h100")
    plan = build_plan(build_report(host), default_choices(build_report(host)))
    slept: list[float] = []
    for step in plan.steps:
        for argv in step.commands:
            command = SimulatedMachine(host, sleep=slept.append).start(argv, {})
            assert command.wait() == 0, argv
    assert 20 <= sum(slept) <= 40


def test_demo_speed_parsing():
    assert demo_speed({}) == 1.0
    assert demo_speed({"NVWIZARD_DEMO_SPEED": "0"}) == 0.0
    assert demo_speed({"NVWIZARD_DEMO_SPEED": "0.5"}) == 0.5
    assert demo_speed({"NVWIZARD_DEMO_SPEED": "fast"}) == 1.0
    assert demo_speed({"NVWIZARD_DEMO_SPEED": "-3"}) == 0.0


def test_apt_size_format():
    assert size_to_str(4612) == "4612 B"
    assert size_to_str(15600) == "15.6 kB"
    assert size_to_str(93_100_000) == "93.1 MB"
    assert size_to_str(312_000_000) == "312 MB"

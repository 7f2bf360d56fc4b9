"""The demo machines: complete, self-consistent bundles that ship inside the package."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from nvwizard.detect.apt_cache import parse_apt_cache_show
from nvwizard.detect.dpkg import parse_dpkg_l, parse_dpkg_query
from nvwizard.detect.lspci import parse_lspci
from nvwizard.detect.sysfs_pci import parse_sysfs_pci
from nvwizard.host.bundle import read_bundle_file
from nvwizard.host.demo import DEMO_ROOT, DEMOS
from nvwizard.host.sources import SOURCE_NAMES
from nvwizard.simulator import demo_host

NAMES = [d.name for d in DEMOS]
GPU_DEMOS = [n for n in NAMES if n != "vm-no-gpu"]
# Their package data is a recorded subset of Debian's real archive (tests/debian_archive),
# which real apt resolves there; Ubuntu's demos are written by hand and checked here.
DEBIAN_DEMOS = ["debian12-t4", "debian13-l4"]
UBUNTU_GPU_DEMOS = [n for n in GPU_DEMOS if n not in DEBIAN_DEMOS]
CORE = {
    "machine.txt", "os-release.txt", "uname-r.txt", "lspci-nn.txt", "sysfs-pci.txt",
    "dpkg-l.txt", "dpkg-query.txt", "dpkg-audit.txt", "apt-mark-showhold.txt", "lsmod.txt",
    "mokutil-sb-state.txt", "df.txt", "session.txt", "gpu-processes.txt", "dpkg-lock.txt",
}  # fmt: skip


def read(demo: str, source: str) -> str:
    """The demo's file as stored: for apt-cache-show.txt all the simulated apt offers, not only
    what detection's `apt-cache show` query answers."""
    return read_bundle_file(DEMO_ROOT / demo, source) or ""


def test_every_listed_demo_has_a_folder_and_every_folder_is_listed():
    folders = {p.name for p in DEMO_ROOT.iterdir() if p.is_dir()}
    assert folders == set(NAMES)
    assert len(NAMES) >= 7


@pytest.mark.parametrize("demo", NAMES)
def test_files_are_known_sources_and_the_core_is_present(demo):
    files = {p.name for p in (DEMO_ROOT / demo).iterdir()}
    assert files <= SOURCE_NAMES, files - SOURCE_NAMES
    assert CORE <= files, CORE - files
    assert f"name={demo}\n" in read(demo, "machine.txt")


@pytest.mark.parametrize("demo", NAMES)
def test_dpkg_l_and_dpkg_query_agree(demo):
    listed = {(e.name, e.version, e.state) for e in parse_dpkg_l(read(demo, "dpkg-l.txt"))}
    queried = {(e.name, e.version, e.state) for e in parse_dpkg_query(read(demo, "dpkg-query.txt"))}
    assert listed and listed == queried


@pytest.mark.parametrize("demo", NAMES)
def test_lspci_and_sysfs_describe_the_same_devices(demo):
    lspci = {(d.address, d.vendor_id, d.device_id) for d in parse_lspci(read(demo, "lspci-nn.txt"))}
    sysfs = {
        (d.address, d.vendor_id, d.device_id) for d in parse_sysfs_pci(read(demo, "sysfs-pci.txt"))
    }
    assert lspci and lspci == sysfs


def _installed(demo: str) -> set[str]:
    return {
        e.name for e in parse_dpkg_query(read(demo, "dpkg-query.txt")) if e.state in ("ii", "hi")
    }


@pytest.mark.parametrize("demo", UBUNTU_GPU_DEMOS)
def test_apt_stanzas_are_closed_under_depends(demo):
    """The simulator resolves plans from apt-cache-show.txt: every dependency must resolve."""
    packages = parse_apt_cache_show(read(demo, "apt-cache-show.txt"))
    known = _installed(demo) | {p.package for p in packages}
    known |= {re.split(r"[ (]", v)[0] for p in packages for v in p.provides}
    unresolved = set()
    for package in packages:
        for clause in package.depends:
            options = [re.split(r"[ (]", alt.strip())[0] for alt in clause.split("|")]
            if not any(o in known for o in options):
                unresolved.add(f"{package.package}: {clause}")
    assert not unresolved, sorted(unresolved)[:5]


@pytest.mark.parametrize("demo", UBUNTU_GPU_DEMOS)
def test_fabric_manager_and_nscq_depend_on_their_branchs_kernel_common(demo):
    """As Ubuntu's do (Launchpad bug 2129682; the apt sandbox's catalogue too): a purge of a
    branch's driver takes its fabric manager and NSCQ library along, never leaves them."""
    stanzas = parse_apt_cache_show(read(demo, "apt-cache-show.txt"))
    fabric = [
        p for p in stanzas if re.fullmatch(r"(nvidia-fabricmanager|libnvidia-nscq)-\d+", p.package)
    ]
    assert len(fabric) >= 10
    for package in fabric:
        branch = package.package.rsplit("-", 1)[1]
        upstream = package.version.split("-")[0]
        assert f"nvidia-kernel-common-{branch}-server (>= {upstream})" in package.depends, (
            package.package
        )


def test_a_purge_of_the_kernel_common_package_takes_the_nscq_library_along():
    host = demo_host("hgx-h100")
    purge = ["apt-get", "-s", "purge", "nvidia-kernel-common-535-server"]
    # held there, as real apt keeps a held package the command does not name, it refuses
    command = host.start(purge)
    text = "\n".join(line.text for line in command.lines())
    assert command.wait() == 100, text
    assert "this may be caused by held packages" in text
    command = host.start(["apt-mark", "unhold", "libnvidia-nscq-535", "nvidia-fabricmanager-535"])
    assert command.wait() == 0
    command = host.start(purge)
    text = "\n".join(line.text for line in command.lines())
    assert command.wait() == 0, text
    assert re.search(r"^Purg libnvidia-nscq-535 ", text, re.M), text
    assert re.search(r"^Purg nvidia-fabricmanager-535 ", text, re.M), text


@pytest.mark.parametrize("demo", UBUNTU_GPU_DEMOS)
def test_everything_a_plan_installs_is_offered(demo):
    offered = {p.package for p in parse_apt_cache_show(read(demo, "apt-cache-show.txt"))}
    kernel = read(demo, "uname-r.txt").strip()
    drivers = [p for p in offered if re.fullmatch(r"nvidia-driver-\d+(-server)?(-open)?", p)]
    assert drivers
    for driver in drivers:
        flavour = driver.removeprefix("nvidia-driver-")
        library = flavour.removesuffix("-open")
        branch = flavour[:3]
        for needed in (
            f"nvidia-headless-no-dkms-{flavour}",
            f"nvidia-dkms-{flavour}",
            f"nvidia-utils-{library}",
            f"libnvidia-compute-{library}",
            f"nvidia-kernel-common-{library}",
            f"nvidia-fabricmanager-{branch}",
            f"libnvidia-nscq-{branch}",
            f"linux-headers-{kernel}",
        ):
            assert needed in offered, needed


@pytest.mark.parametrize("demo", UBUNTU_GPU_DEMOS)
def test_ubuntu_drivers_names_only_packages_apt_offers(demo):
    offered = {p.package for p in parse_apt_cache_show(read(demo, "apt-cache-show.txt"))}
    named = re.findall(
        r"^driver\s*:\s*(nvidia-driver-\S+)", read(demo, "ubuntu-drivers-devices.txt"), re.M
    )
    assert named and set(named) <= offered
    assert read(demo, "ubuntu-drivers-devices.txt").count("recommended") >= 1


@pytest.mark.parametrize("demo", DEBIAN_DEMOS)
def test_debian_demo_has_no_ubuntu_drivers(demo):
    assert demo_host(demo).read("ubuntu-drivers-devices.txt") is None
    assert "ID=debian" in read(demo, "os-release.txt")


@pytest.mark.parametrize(
    ("demo", "driver_version", "gone"),
    [
        # bookworm-security's driver; the open modules stay at bookworm's 535.261.03
        ("debian12-t4", "535.309.01-0+deb12u1", "nvidia-legacy-390xx-driver"),
        ("debian13-l4", "550.163.01-2", "nvidia-tesla-470-driver"),
    ],
)
def test_debian_demo_offers_debians_own_packages_without_modaliases(demo, driver_version, gone):
    stanzas = parse_apt_cache_show(read(demo, "apt-cache-show.txt"))
    offered: dict = {}
    for stanza in stanzas:
        offered.setdefault(stanza.package, stanza)  # the first stanza: the newest version
    assert not [p for p in offered if re.fullmatch(r"nvidia-driver-\d+.*", p)]  # no Ubuntu names
    assert not any(p.modaliases for p in stanzas)  # Debian's packages carry no Modaliases
    assert offered["nvidia-driver"].version == driver_version
    assert gone not in offered  # what the archive does not have is not offered
    assert not any("ubuntu" in (p.version or "") for p in stanzas)


@pytest.mark.parametrize(("demo", "count"), [("debian12-t4", 3), ("debian13-l4", 3)])
def test_every_debian_plan_installs_only_what_apt_offers(demo, count):
    from nvwizard.plan.build import build_plan
    from nvwizard.plan.models import Choices
    from nvwizard.report.build import build_report

    offered = {p.package for p in parse_apt_cache_show(read(demo, "apt-cache-show.txt"))}
    report = build_report(demo_host(demo))
    runnable = [c.package for c in report.driver_candidates if c.runnable]
    assert len(runnable) == count
    for driver in runnable:
        for headless in (True, False):
            plan = build_plan(report, Choices(driver=driver, headless=headless))
            assert set(plan.install_list) <= offered, (driver, headless)


def test_an_installed_copy_finds_the_demos(tmp_path):
    """Build the wheel from a copy of the tree, unpack it, and run detect from it."""
    root = Path(__file__).resolve().parent.parent
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    shutil.copytree(
        root / "nvwizard", source / "nvwizard", ignore=shutil.ignore_patterns("__pycache__")
    )
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
    built = subprocess.run(
        [*pip, "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if built.returncode != 0 and re.search(r"connection|resolve|network|index", built.stderr, re.I):
        pytest.skip(f"cannot build a wheel offline: {built.stderr.strip().splitlines()[-1]}")
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("nvwizard-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    shipped = {
        p.relative_to(site / "nvwizard") for p in (site / "nvwizard/demo_machines").rglob("*")
    }
    assert shipped == {p.relative_to(root / "nvwizard") for p in DEMO_ROOT.rglob("*")}
    code = (
        "import nvwizard, sys; print(nvwizard.__file__); from nvwizard.cli.main import main; "
        "sys.exit(main(['detect', '--demo', 'rtx3090-fresh']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(site))
    assert "GeForce RTX 3090" in done.stdout


@pytest.mark.parametrize(
    "demo, device, gpu_runs",
    [
        ("gtx1080-secureboot", "1B80", lambda name: not name.endswith("-open")),  # Pascal
        ("rtx5090-workstation", "2B85", lambda name: name.endswith("-open")),  # Blackwell
    ],
)
def test_apt_offers_every_variant_and_modaliases_list_only_what_the_gpu_runs(
    demo, device, gpu_runs
):
    """Like Ubuntu's archive: all four variants of each branch, each listing only its GPUs."""
    from nvwizard.detect.apt_cache import modalias_matches
    from nvwizard.knowledge.packages import parse_driver_package

    modalias = f"pci:v000010DEd0000{device}sv00001043sd00008591bc03sc00i00"
    drivers = {
        p.package: p
        for p in parse_apt_cache_show(read(demo, "apt-cache-show.txt"))
        if parse_driver_package(p.package)
    }
    branches = {parse_driver_package(name).branch for name in drivers}
    for branch in branches:
        for suffix in ("", "-open", "-server", "-server-open"):
            assert f"nvidia-driver-{branch}{suffix}" in drivers
    for name, stanza in drivers.items():
        listed = any(modalias_matches(pattern, modalias) for pattern in stanza.modaliases)
        if not gpu_runs(name):
            assert stanza.modaliases and not listed, name

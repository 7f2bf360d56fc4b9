import pytest

from nvwizard.detect.apt_sources import parse_apt_source_entries
from nvwizard.detect.models import (
    AptPackage,
    DfEntry,
    GpuProcess,
    LockHolder,
    NvidiaSmi,
)
from nvwizard.report import findings as f
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.models import LoadedModule

from .helpers import dpkg, gpu, report

RTX3090 = gpu("2204", "GA102 [GeForce RTX 3090]")
GTX1080 = gpu("1b80", "GP104 [GeForce GTX 1080]")
RTX5090 = gpu("2b85", None)
NONE = ExtraFacts()


def ids(rep, facts=NONE):
    return {x.id for x in f.find_all(rep, facts)}


def test_no_nvidia_gpu():
    assert f.no_nvidia_gpu(report(), NONE).severity == "info"
    assert f.no_nvidia_gpu(report(gpus=[RTX3090]), NONE) is None


def test_nouveau_loaded_only_matters_with_an_nvidia_gpu():
    assert f.nouveau_loaded(report(gpus=[RTX3090], nouveau_loaded=True), NONE).id == (
        "nouveau-loaded"
    )
    assert f.nouveau_loaded(report(gpus=[RTX3090], nouveau_loaded=False), NONE) is None
    assert f.nouveau_loaded(report(nouveau_loaded=True), NONE) is None


def test_secure_boot_with_only_dkms_modules():
    rep = report(gpus=[GTX1080], secure_boot="enabled", kernel="6.8.0-87-generic")
    found = f.secure_boot_dkms_only(rep, NONE)
    assert found.id == "secure-boot-dkms-only" and "6.8.0-87-generic" in found.message
    assert f.secure_boot_dkms_only(report(gpus=[GTX1080], secure_boot="disabled"), NONE) is None


@pytest.mark.parametrize(
    ("os_id", "certificate"),
    [("ubuntu", "/var/lib/shim-signed/mok/MOK.der"), ("debian", "/var/lib/dkms/mok.pub")],
)
def test_secure_boot_with_dkms_says_the_import_the_install_cannot_queue(os_id, certificate):
    """No boot asks by itself (apt runs non-interactively): the fix names the import and
    what to choose in MOK Manager at the next boot."""
    rep = report(gpus=[GTX1080], secure_boot="enabled", kernel="6.8.0-87-generic", os_id=os_id)
    fix = f.secure_boot_dkms_only(rep, NONE).fix
    assert (
        f"after the install, run `sudo mokutil --import {certificate}` in a terminal (it asks "
        "twice for a one-time password), then at the next boot, on the console or BMC: MOK "
        "Manager (press a key within 10 seconds) -> Enroll MOK -> Continue -> Yes -> the "
        "password (not possible over SSH alone); or turn Secure Boot off."
    ) in fix


def test_secure_boot_with_signed_modules_for_the_recommended_driver_is_fine():
    signed = ["linux-modules-nvidia-580-6.8.0-87-generic"]
    rep = report(
        gpus=[GTX1080],
        secure_boot="enabled",
        kernel="6.8.0-87-generic",
        signed_modules_available=signed,
        recommended_driver="nvidia-driver-580",
    )
    assert f.secure_boot_dkms_only(rep, NONE) is None
    rep.recommended_driver = "nvidia-driver-535"  # signed modules only exist for 580
    assert "nvidia-driver-535" in f.secure_boot_dkms_only(rep, NONE).message


def test_nvml_mismatch_from_versions():
    rep = report(
        gpus=[RTX3090],
        loaded_module=LoadedModule("550.127.05", "proprietary"),
        installed_packages=[
            dpkg("libnvidia-compute-550", "550.163.01-0ubuntu0.22.04.1"),
            dpkg("nvidia-utils-550", "550.163.01-0ubuntu0.22.04.1"),
        ],
    )
    found = f.nvml_mismatch(rep, NONE)
    assert "550.127.05" in found.message and "550.163.01" in found.message


def test_nvml_mismatch_does_not_fire_when_versions_agree_or_libs_are_removed():
    agree = report(
        loaded_module=LoadedModule("550.163.01", "open"),
        installed_packages=[dpkg("libnvidia-compute-550", "550.163.01-0ubuntu0.22.04.1")],
    )
    assert f.nvml_mismatch(agree, NONE) is None
    removed = report(
        loaded_module=LoadedModule("550.127.05", "open"),
        installed_packages=[dpkg("libnvidia-compute-550", "550.163.01-0ubuntu1", "rc")],
    )
    assert f.nvml_mismatch(removed, NONE) is None


def test_nvml_mismatch_from_nvidia_smi_alone():
    rep = report(nvidia_smi=NvidiaSmi("version-mismatch", nvml_library_version="550.163"))
    assert f.nvml_mismatch(rep, NONE).id == "nvml-mismatch"


def test_dpkg_interrupted_blocks():
    assert f.dpkg_interrupted(report(dpkg_interrupted=True), NONE).severity == "block"
    assert f.dpkg_interrupted(report(), NONE) is None


def test_half_configured_packages():
    rep = report(installed_packages=[dpkg("nvidia-dkms-580", state="iF"), dpkg("nvidia-utils-580")])
    found = f.half_configured_packages(rep, NONE)
    assert "nvidia-dkms-580" in found.message and "nvidia-utils-580" not in found.message
    assert "dpkg --configure -a" in found.fix
    assert f.half_configured_packages(report(installed_packages=[dpkg("x")]), NONE) is None


@pytest.mark.parametrize("state", ["iF", "iU", "iH", "iW", "it", "hF"])
def test_every_unfinished_state_is_a_blocking_finding(state):
    rep = report(installed_packages=[dpkg("nvidia-dkms-580", state=state)])
    found = f.half_configured_packages(rep, NONE)
    assert found is not None and found.severity == "block"
    assert f"nvidia-dkms-580 ({state})" in found.message
    assert rep.needs_dpkg_repair and not rep.dpkg_interrupted


@pytest.mark.parametrize("state", ["ii", "hi", "rc", "un", "pn"])
def test_finished_states_need_no_repair(state):
    rep = report(installed_packages=[dpkg("nvidia-dkms-580", state=state)])
    assert f.half_configured_packages(rep, NONE) is None
    assert not rep.needs_dpkg_repair


def test_dpkg_lock_names_the_process():
    rep = report(lock_holders=[LockHolder(812, "unattended-upgr", "/var/lib/dpkg/lock-frontend")])
    assert "unattended-upgr (pid 812)" in f.dpkg_lock_held(rep, NONE).message
    assert f.dpkg_lock_held(report(), NONE) is None


def test_gpu_processes_are_listed():
    procs = [GpuProcess(4242, "python3", "alice", "/dev/nvidia0")]
    found = f.gpu_processes(report(gpu_processes=procs), NONE)
    assert "python3 (pid 4242, alice)" in found.message
    many = [GpuProcess(i, "worker") for i in range(8)]
    assert "and 3 more" in f.gpu_processes(report(gpu_processes=many), NONE).message
    assert f.gpu_processes(report(), NONE) is None


def test_nvidias_gpu_services_are_no_jobs_to_drain():
    """hgx-h100: nvidia-persistenced and fabric manager hold /dev/nvidia* beside the training
    job; a plan stops them (the purge, activation's first step): they are not jobs."""
    daemons = [
        GpuProcess(2981, "nvidia-persiste", "nvidia-persistenced", "/dev/nvidia0"),
        GpuProcess(3107, "nv-fabricmanage", "root", "/dev/nvidiactl"),
    ]
    job = GpuProcess(4242, "python3", "alice", "/dev/nvidia0")
    assert f.gpu_processes(report(gpu_processes=daemons), NONE) is None
    found = f.gpu_processes(report(gpu_processes=[*daemons, job]), NONE)
    assert found.message.startswith("1 process(es) use the GPU: python3 (pid 4242, alice);")
    assert "nvidia-persiste (pid" not in found.message
    assert (
        "NVIDIA's services nvidia-persistenced and nvidia-fabricmanager use it too: not jobs"
        in found.message
    )
    assert report(gpu_processes=[*daemons, job]).gpu_jobs == [job]


def test_reboot_required():
    assert f.reboot_required(report(reboot_required=True), NONE).id == "reboot-required"
    assert f.reboot_required(report(), NONE) is None


def test_kernel_older_than_installed():
    facts = ExtraFacts(
        all_packages=[
            dpkg("linux-image-6.8.0-87-generic"),
            dpkg("linux-image-6.8.0-90-generic"),
            dpkg("linux-image-generic", "6.8.0.90.90"),
            dpkg("linux-image-6.8.0-100-generic", state="rc"),  # removed: does not count
        ]
    )
    found = f.kernel_older_than_installed(report(kernel="6.8.0-87-generic"), facts)
    assert "6.8.0-90-generic" in found.message
    assert f.kernel_older_than_installed(report(kernel="6.8.0-90-generic"), facts) is None
    # Numeric, not textual: 6.8.0-100 is newer than 6.8.0-90.
    newer = ExtraFacts(all_packages=[dpkg("linux-image-6.8.0-100-generic")])
    assert f.kernel_older_than_installed(report(kernel="6.8.0-90-generic"), newer) is not None


def test_held_packages():
    found = f.held_packages(report(held_packages=["nvidia-driver-535"]), NONE)
    assert "apt-mark unhold nvidia-driver-535" in found.fix
    assert found.fix.startswith("nvwizard's plan releases those the driver change needs")
    assert f.held_packages(report(), NONE) is None


def test_mixed_sources_from_installed_cuda_repo_packages():
    rep = report(
        installed_packages=[dpkg("cuda-drivers-550", "550.54.15-1"), dpkg("nvidia-driver-550")]
    )
    assert f.mixed_driver_sources(rep, NONE).id == "mixed-driver-sources"
    only_cuda = report(
        installed_packages=[dpkg("cuda-drivers", "560.35.03-1"), dpkg("nvidia-open")]
    )
    assert f.mixed_driver_sources(only_cuda, NONE) is None


def test_mixed_sources_by_nvidia_origin():
    installed = [dpkg("nvidia-driver-550", "550.54.15-0ubuntu1"), dpkg("libnvidia-compute-550")]
    facts = ExtraFacts(
        apt_packages=[AptPackage("libnvidia-compute-550", version="1.0", origin="NVIDIA")]
    )
    assert f.mixed_driver_sources(report(installed_packages=installed), facts) is not None
    assert f.mixed_driver_sources(report(installed_packages=installed), NONE) is None


def test_mixed_sources_from_a_configured_cuda_repository():
    rep = report(installed_packages=[dpkg("nvidia-driver-580-server")])
    keyring = ExtraFacts(all_packages=[dpkg("cuda-keyring", "1.1-1")])
    sources = ExtraFacts(
        apt_sources=parse_apt_source_entries(
            "deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] "
            "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/ /"
        )
    )
    found = f.mixed_driver_sources(rep, keyring)
    assert "configured" in found.message
    # what nvwizard's own plan does about it, and where
    assert found.fix.startswith("Installing the driver with nvwizard does it: its plan writes")
    assert "/etc/apt/preferences.d/nvwizard-cuda-repository-drivers" in found.fix
    assert "from the Ubuntu archive" in found.fix
    assert f.mixed_driver_sources(rep, sources) is not None
    # The repository alone, with no archive driver installed, is not a mix.
    assert f.mixed_driver_sources(report(), keyring) is None


def test_debian_nvidia_driver_is_not_a_cuda_repo_package():
    # Beside an archive driver package, Ubuntu's unnumbered nvidia-driver comes from NVIDIA's
    # CUDA repository (a mix); Debian's nvidia-driver is the archive's own driver (no mix).
    installed = [dpkg("nvidia-driver", "535.216.03-1"), dpkg("nvidia-driver-535")]
    debian = report(os_id="debian", installed_packages=installed)
    assert f.mixed_driver_sources(debian, NONE) is None
    ubuntu = f.mixed_driver_sources(report(installed_packages=installed), NONE)
    assert ubuntu is not None
    assert "CUDA repository (nvidia-driver) are installed" in ubuntu.message


def test_low_disk_on_root_or_var():
    low = ExtraFacts(disk=[DfEntry("/", 900_000), DfEntry("/boot", 100_000)])
    assert "/ (0.9 GiB free)" in f.low_disk(report(), low).message
    fine = ExtraFacts(disk=[DfEntry("/", 50_000_000), DfEntry("/boot", 100_000)])
    assert f.low_disk(report(), fine) is None


def test_run_installer():
    traces = ExtraFacts(run_installer_traces=["/usr/bin/nvidia-uninstall"])
    assert f.run_installer(report(), traces).severity == "block"
    assert f.run_installer(report(), ExtraFacts(manual_install=True)).severity == "block"
    log_only = ExtraFacts(
        run_installer_traces=["/var/log/nvidia-installer.log", "  nvidia-installer log file"]
    )
    assert f.run_installer(report(), log_only).severity == "info"
    assert f.run_installer(report(), NONE) is None


def test_open_impossible_and_required():
    assert f.open_impossible(report(gpus=[GTX1080]), NONE).id == "open-impossible"
    assert f.open_impossible(report(gpus=[RTX3090]), NONE) is None
    assert f.open_required(report(gpus=[RTX5090]), NONE).id == "open-required"
    assert f.open_required(report(gpus=[RTX3090]), NONE) is None


def test_over_ssh():
    assert f.over_ssh(report(gpus=[RTX3090], over_ssh=True), NONE).severity == "info"
    assert f.over_ssh(report(gpus=[RTX3090]), NONE) is None


def test_find_all_orders_by_severity_and_ids_are_unique():
    rep = report(gpus=[RTX3090], dpkg_interrupted=True, over_ssh=True, nouveau_loaded=True)
    found = f.find_all(rep)
    assert [x.id for x in found] == [
        "dpkg-interrupted",
        "nouveau-loaded",
        "over-ssh",
        "headless-unknown",
    ]
    assert len({c.__name__ for c in f.CHECKS}) == len(f.CHECKS)


def test_a_healthy_machine_has_no_findings():
    rep = report(gpus=[RTX3090], nouveau_loaded=False, secure_boot="disabled", headless=True)
    assert ids(rep) == set()


def test_headless_unknown_is_said():
    assert "headless-unknown" in ids(report(gpus=[RTX3090], headless=None))
    assert "headless-unknown" not in ids(report(gpus=[RTX3090], headless=False))


RTX5090 = gpu("2b85", "GB202 [GeForce RTX 5090]")
GTX1080 = gpu("1b80", "GP104 [GeForce GTX 1080]")


@pytest.mark.parametrize(
    ("gpus", "module", "smi_status", "fires"),
    [
        ([RTX5090], LoadedModule("570.195.03", "proprietary"), "no-devices", True),
        ([RTX5090], LoadedModule("570.195.03", "proprietary"), None, True),
        ([GTX1080], LoadedModule("580.95.05", "open"), None, True),
        ([RTX5090], LoadedModule("595.45.04", "open"), "ok", False),
        ([GTX1080], LoadedModule("580.95.05", "proprietary"), "ok", False),
        ([RTX3090], LoadedModule("580.95.05", None), "no-devices", True),
        ([RTX5090], None, "no-driver", False),
    ],
)
def test_a_loaded_driver_that_cannot_drive_the_gpu_blocks(gpus, module, smi_status, fires):
    smi = NvidiaSmi(status=smi_status) if smi_status else None
    rep = report(gpus=gpus, loaded_module=module, nvidia_smi=smi, recommended_driver="x-open")
    found = f.loaded_driver_cannot_drive_gpu(rep, ExtraFacts())
    assert (found is not None) == fires
    if found:
        assert found.severity == "block" and "x-open" in found.fix


def _candidates(gpus, branches_, today):
    from nvwizard.report.lifecycle import with_lifecycle

    from .helpers import candidate

    return with_lifecycle([candidate(f"nvidia-driver-{b}", gpus) for b in branches_], today)


def test_every_driver_past_end_of_life_says_what_to_do():
    import datetime as dt

    today = dt.date(2026, 12, 7)
    old = report(
        gpus=[RTX3090], driver_candidates=_candidates([RTX3090], (470, 535), today), today=today
    )
    found = f.every_driver_past_end_of_life(old, ExtraFacts())
    assert found is not None and "apt-get update" in found.fix
    # Ubuntu adds branches to its supported releases; NVIDIA's repository is the other way
    assert found.fix.startswith("Ubuntu adds new branches to the releases it supports")
    assert "NVIDIA's CUDA repository for ubuntu2204" in found.fix
    kepler = gpu("128b", "GK208B [GeForce GT 710]")
    legacy = report(
        gpus=[kepler], driver_candidates=_candidates([kepler], (390, 470), today), today=today
    )
    found = f.every_driver_past_end_of_life(legacy, ExtraFacts())
    assert found is not None and "Kepler GPUs ended with branch 470" in found.fix
    alive = report(gpus=[RTX3090], driver_candidates=_candidates([RTX3090], (535, 580), today))
    assert f.every_driver_past_end_of_life(alive, ExtraFacts()) is None


@pytest.mark.parametrize(
    ("demo", "release", "newer"),
    [
        ("debian13-l4", "Debian trixie", "and it is the newest Debian release"),
        ("debian12-t4", "Debian bookworm", "and so does trixie, the newest Debian release"),
    ],
)
def test_every_driver_past_end_of_life_on_debian_names_the_real_options(demo, release, newer):
    import datetime as dt

    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    found = next(
        x
        for x in build_report(demo_host(demo), dt.date(2026, 12, 7)).findings
        if x.id == "every-driver-past-end-of-life"
    )
    assert found.fix.startswith(f"{release} offers only branches past NVIDIA's end of life")
    assert newer in found.fix
    # no promise that a newer release or an update brings a supported branch
    assert "should then be offered" not in found.fix and "move to a newer" not in found.fix
    assert "it works, without NVIDIA's fixes" in found.fix
    assert f"NVIDIA's CUDA repository for debian{demo[6:8]}" in found.fix


def test_a_branch_newer_than_the_tables_is_an_info():
    import datetime as dt

    newer = _candidates([RTX3090], (630,), dt.date(2026, 12, 7))
    found = f.newer_than_known(report(gpus=[RTX3090], driver_candidates=newer), ExtraFacts())
    assert found is not None and "630" in found.message


def test_newer_than_known_names_only_the_evidence_present():
    import dataclasses
    import datetime as dt

    [bare] = _candidates([RTX3090], (630,), dt.date(2026, 12, 7))
    assert bare.support_header is None and not bare.ubuntu_drivers_recommended

    def message(candidate):
        found = f.newer_than_known(
            report(gpus=[RTX3090], driver_candidates=[candidate]), ExtraFacts()
        )
        return found.message

    neither = message(bare)
    assert "Support header" not in neither.replace("no Support header", "")
    assert "mark" not in neither.replace("no ubuntu-drivers mark", "")
    assert "no Support header and no ubuntu-drivers mark" in neither and "undesignated" in neither
    header = message(dataclasses.replace(bare, support_header="PB", support="PB"))
    assert "comes from apt's Support: PB header." in header and "mark" not in header
    marked = message(dataclasses.replace(bare, ubuntu_drivers_recommended=True))
    assert "comes from ubuntu-drivers' recommended mark." in marked and "Support" not in marked
    both = message(
        dataclasses.replace(
            bare, support_header="PB", support="PB", ubuntu_drivers_recommended=True
        )
    )
    assert "apt's Support: PB header and ubuntu-drivers' recommended mark" in both

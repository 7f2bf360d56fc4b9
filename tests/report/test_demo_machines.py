"""The recommendation and the key findings on every bundled demo machine."""

import datetime as dt

import pytest

from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host

TODAY = dt.date(2026, 11, 27)


def _report(name):
    return build_report(demo_host(name), today=TODAY)


def _ids(report):
    return {f.id for f in report.findings}


def test_rtx3090_fresh_server():
    report = _report("rtx3090-fresh")
    assert [g.architecture for g in report.gpus] == ["Ampere"]
    assert report.headless  # graphical.target but no display manager: Ubuntu Server
    assert report.recommended_driver == "nvidia-driver-595-server-open"
    assert report.ubuntu_drivers_recommended == "nvidia-driver-595-open"
    assert {"nouveau-loaded", "dpkg-lock-held", "over-ssh"} <= _ids(report)
    assert report.installed_packages == []


def test_hgx_h100():
    report = _report("hgx-h100")
    assert len(report.gpus) == 8 and {g.architecture for g in report.gpus} == {"Hopper"}
    assert report.nvswitch_count == 4
    assert report.recommended_driver == "nvidia-driver-595-server-open"
    assert report.loaded_module.version.startswith("535.")
    assert {"gpu-processes", "held-packages"} <= _ids(report)
    names = {p.name for p in report.installed_packages}
    assert {"nvidia-driver-535-server", "nvidia-container-toolkit"} <= names


def test_gtx1080_secureboot():
    report = _report("gtx1080-secureboot")
    assert [(g.architecture, g.open_kernel) for g in report.gpus] == [("Pascal", "unsupported")]
    assert not any(c.open for c in report.driver_candidates if c.runnable)
    recommended = report.candidate(report.recommended_driver)
    assert recommended.runnable and not recommended.open
    # Secure Boot: only the ended 570 has signed modules for this kernel; a supported branch
    # built by DKMS (and a MOK enrolled at the console) beats an ended one.
    assert report.recommended_driver == "nvidia-driver-580-server"
    assert not any(
        m.startswith(f"linux-modules-nvidia-{recommended.flavour}-")
        for m in report.signed_modules_available
    )
    assert {"open-impossible", "secure-boot-dkms-only"} <= _ids(report)
    # ubuntu-drivers marks the ended 535: 580's Prefer-Variant: Open demotes its plain variant
    assert report.ubuntu_drivers_recommended == "nvidia-driver-535"
    assert "the newer nvidia-driver-580 ranks lower on the variant alone" in (
        report.recommendation_reason
    )


def test_gtx1080_lists_the_open_variants_apt_offers_as_not_runnable():
    report = _report("gtx1080-secureboot")
    unrunnable = {c.package: c for c in report.driver_candidates if not c.runnable}
    assert set(unrunnable) == {
        f"nvidia-driver-{branch}{suffix}"
        for branch in (535, 570, 580)
        for suffix in ("-open", "-server-open")
    }
    for candidate in unrunnable.values():
        assert candidate.open and not candidate.recommended
        assert "Pascal" in candidate.reason and "GSP" in candidate.reason
    # by branch, newest first, then plain, -open, -server, -server-open
    assert [c.package for c in report.driver_candidates][:4] == [
        "nvidia-driver-580",
        "nvidia-driver-580-open",
        "nvidia-driver-580-server",
        "nvidia-driver-580-server-open",
    ]
    # apt offers 590 to 610 too, but Pascal ends with 580: no variant of those is a choice
    assert report.recommended_driver == "nvidia-driver-580-server"  # 570 (signed) has ended
    assert {c.branch for c in report.driver_candidates} == {535, 570, 580}


def test_rtx5090_workstation():
    report = _report("rtx5090-workstation")
    assert [(g.architecture, g.open_kernel) for g in report.gpus] == [("Blackwell", "required")]
    assert not report.headless
    assert report.recommended_driver == "nvidia-driver-595-open"
    assert all(c.open for c in report.driver_candidates if c.runnable)
    assert "open-required" in _ids(report)
    unrunnable = {c.package: c for c in report.driver_candidates if not c.runnable}
    assert set(unrunnable) == {
        f"nvidia-driver-{branch}{suffix}"
        for branch in (570, 580, 590, 595, 610)
        for suffix in ("", "-server")
    }
    for candidate in unrunnable.values():
        assert not candidate.open and "Blackwell" in candidate.reason


@pytest.mark.parametrize("name", ["rtx3090-fresh", "hgx-h100", "nvml-mismatch"])
def test_gpus_that_run_both_kinds_of_module_get_no_disabled_rows(name):
    assert all(c.runnable for c in _report(name).driver_candidates)


def test_nvml_mismatch():
    report = _report("nvml-mismatch")
    assert report.nvidia_smi.status == "version-mismatch"
    assert {"nvml-mismatch", "reboot-required"} <= _ids(report)
    assert report.recommended_driver is not None


def test_debian12_t4_without_ubuntu_drivers():
    report = _report("debian12-t4")
    assert report.os_id == "debian"
    assert [g.name for g in report.gpus] == ["Tesla T4"]
    assert report.ubuntu_drivers_recommended is None
    # Debian's own driver names, from apt (Debian has no Modaliases headers); bookworm's
    # transitional nvidia-tesla-driver (-> nvidia-driver) is no candidate of its own
    found = {c.package: c for c in report.driver_candidates}
    assert list(found) == [
        "nvidia-driver",
        "nvidia-open-kernel-dkms",
        "nvidia-tesla-535-driver",
        "nvidia-tesla-470-driver",
    ]
    assert {n: c.branch for n, c in found.items()} == {
        "nvidia-driver": 535,  # from the version 535.309.01-0+deb12u1
        "nvidia-open-kernel-dkms": 535,
        "nvidia-tesla-535-driver": 535,
        "nvidia-tesla-470-driver": 470,
    }
    assert found["nvidia-open-kernel-dkms"].open and not found["nvidia-driver"].open
    assert found["nvidia-tesla-535-driver"].server and not found["nvidia-driver"].server
    # the open modules lag bookworm-security's driver: apt cannot install them together
    lagging = found["nvidia-open-kernel-dkms"]
    assert not lagging.runnable and "lag nvidia-driver (535.309.01-0+deb12u1)" in lagging.reason
    assert report.debian.versions["nvidia-open-kernel-dkms"] == "535.261.03-1"
    # headless, the server ranking would take the data-center (Tesla) build, but within the
    # branch the newer build comes first: bookworm-security's nvidia-driver 535.309.01
    assert found["nvidia-driver"].version == "535.309.01-0+deb12u1"
    assert found["nvidia-tesla-535-driver"].version == "535.216.03-3~deb12u1"
    assert report.recommended_driver == "nvidia-driver"
    assert (
        "nvidia-driver 535.309.01-0+deb12u1 is a newer build than nvidia-tesla-535-driver "
        "535.216.03-3~deb12u1, which the server ranking (headless machine) alone would take"
    ) in report.recommendation_reason
    assert "Debian's security updates move nvidia-driver" in report.recommendation_reason
    assert "past its end of life" in report.recommendation_reason
    assert report.signed_modules_available == []
    assert "nouveau-loaded" in _ids(report)
    assert "debian-components-missing" not in _ids(report)


def test_debian13_l4_on_trixie():
    report = _report("debian13-l4")
    assert (report.os_id, report.os_version) == ("debian", "13")
    assert report.kernel.endswith("+deb13-amd64")
    assert [(g.name, g.architecture) for g in report.gpus] == [("L4", "Ada")]
    found = {c.package: c for c in report.driver_candidates}
    assert {n: (c.branch, c.runnable) for n, c in found.items()} == {
        "nvidia-driver": (550, True),
        "nvidia-open-kernel-dkms": (550, True),  # same version as the driver on trixie
        "nvidia-tesla-535-driver": (535, True),
    }
    # every branch trixie offers is past its end of life: the long-term one that ended last
    assert report.recommended_driver == "nvidia-tesla-535-driver"
    assert "every-driver-past-end-of-life" in _ids(report)
    assert report.secure_boot == "disabled"
    assert "nouveau-loaded" in _ids(report)


def test_vm_without_a_gpu():
    report = _report("vm-no-gpu")
    assert report.gpus == [] and report.recommended_driver is None
    assert "no-nvidia-gpu" in _ids(report)
    # over SSH, but there is no driver to install: no reboot to warn of, no verify to run
    assert report.over_ssh and "over-ssh" not in _ids(report)


@pytest.mark.parametrize(
    "name",
    [
        "rtx3090-fresh",
        "hgx-h100",
        "gtx1080-secureboot",
        "rtx5090-workstation",
        "nvml-mismatch",
        "debian12-t4",
        "debian13-l4",
        "vm-no-gpu",
    ],
)
def test_every_demo_recommends_a_runnable_driver_with_a_reason(name):
    report = _report(name)
    if report.gpus:
        chosen = report.candidate(report.recommended_driver)
        assert chosen is not None and chosen.runnable and chosen.recommended
        assert report.recommendation_reason.startswith(chosen.package)
    assert len({f.id for f in report.findings}) == len(report.findings)


def _own_words(report) -> str:
    """nvwizard's sentence about its pick, without its rule and ubuntu-drivers' part."""
    return report.recommendation_reason.split(" nvwizard's rule:")[0]


def test_the_reason_says_why_the_variant_and_names_prefer_variant_only_where_it_decided():
    # Pascal: proprietary because the GPU cannot run the open modules, whatever the header says
    pascal = _own_words(_report("gtx1080-secureboot"))
    assert pascal.endswith(
        "the data-center (-server) build with the proprietary kernel modules comes first in "
        "the server ranking (headless machine): the open kernel modules need the GSP of Turing "
        "or newer; the GeForce GTX 1080 (Pascal) cannot run them."
    )
    assert "preferred" not in pascal and "Prefer-Variant" not in pascal
    # Blackwell runs only the open modules: the header decided nothing either
    blackwell = _own_words(_report("rtx5090-workstation"))
    assert "needs the open kernel modules" in blackwell and "Prefer-Variant" not in blackwell
    # Hopper runs both: Prefer-Variant: Open put -server-open before -server
    hopper = _own_words(_report("hgx-h100"))
    assert hopper.endswith(": open modules preferred (Prefer-Variant: Open).")
    # Debian's Tesla family comes first in the server ranking with or without a preference
    debian = _own_words(_report("debian12-t4"))
    assert "preference" not in debian and "preferred" not in debian


def test_nouveau_loaded_offers_the_load_without_a_reboot_as_well():
    """The Reboot screen can unload nouveau where nothing holds it: the finding and the plan
    do not call the reboot mandatory."""
    from nvwizard.plan.build import build_plan
    from nvwizard.plan.models import Choices

    report = _report("debian12-t4")
    finding = next(f for f in report.findings if f.id == "nouveau-loaded")
    assert "mandatory" not in finding.fix and "nvwizard activate" in finding.fix
    plan = build_plan(report, Choices(driver=report.recommended_driver))
    said = [w for w in plan.warnings if w.startswith("nouveau is loaded")]
    assert said and "--activate" in said[0] and "only works after a reboot" not in said[0]

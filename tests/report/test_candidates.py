import datetime as dt

from nvwizard.detect.models import AptPackage, UbuntuDriversDevice, UbuntuDriversDriver
from nvwizard.report.candidates import (
    branch_of_version,
    build_candidates,
    from_apt,
    from_ubuntu_drivers,
    not_understood,
    transitional_target,
    unrunnable_variants,
)

from .helpers import gpu

TODAY = dt.date(2026, 12, 7)
RTX3090 = gpu("2204", "GA102 [GeForce RTX 3090]")
GTX1080 = gpu("1b80", "GP104 [GeForce GTX 1080]")
RTX5090 = gpu("2b85", "GB202 [GeForce RTX 5090]")
T4 = gpu("1eb8", "TU104GL [Tesla T4]")
T4_MODALIAS = "pci:v000010DEd00001EB8sv000010DEsd000012A2bc03sc02i00"


def _driver(package, source="distro", recommended=False):
    return UbuntuDriversDriver(package, source, recommended=recommended)


def _nvidia_device(*drivers, modalias="pci:v000010DEd00002204sv00001462sd00003881bc03sc00i00"):
    return UbuntuDriversDevice(
        sysfs_path="/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0",
        modalias=modalias,
        vendor="NVIDIA Corporation",
        drivers=drivers,
    )


def test_ubuntu_drivers_nvidia_drivers_only_once_each():
    devices = [
        _nvidia_device(
            _driver("nvidia-driver-580-open", recommended=True),
            _driver("nvidia-driver-580-server"),
            _driver("xserver-xorg-video-nouveau"),
        ),
        _nvidia_device(_driver("nvidia-driver-580-server")),
        UbuntuDriversDevice(
            modalias="pci:v00001002d0000744Cbc03sc00i00",
            vendor="Advanced Micro Devices, Inc. [AMD/ATI]",
            drivers=(_driver("nvidia-driver-999"),),  # nonsense under another vendor: ignored
        ),
    ]
    offered = {o.package: o for o in from_ubuntu_drivers(devices)}
    assert set(offered) == {"nvidia-driver-580-open", "nvidia-driver-580-server"}
    assert offered["nvidia-driver-580-open"].ubuntu_drivers_recommended
    assert (
        offered["nvidia-driver-580-server"].server and not offered["nvidia-driver-580-server"].open
    )


def test_third_party_source_is_kept():
    offered = from_ubuntu_drivers([_nvidia_device(_driver("nvidia-driver-595", "third-party"))])
    assert offered[0].source == "third-party"


def test_candidates_are_enriched_and_marked_unrunnable():
    devices = [
        _nvidia_device(
            _driver("nvidia-driver-580"),
            _driver("nvidia-driver-580-open"),
            modalias="pci:v000010DEd00001B80sv00001043sd000085AAbc03sc00i00",
        )
    ]
    apt = [AptPackage("nvidia-driver-580", version="580.95.05-0ubuntu1", support="PB")]
    found = {
        c.package: c
        for c in build_candidates(
            [GTX1080], ubuntu_drivers_devices=devices, apt_packages=apt, today=TODAY
        )
    }
    closed, open_ = found["nvidia-driver-580"], found["nvidia-driver-580-open"]
    assert closed.support == "PB"  # apt's header wins over the table's LTSB
    assert open_.support == "LTSB"  # no header: the table
    assert (closed.end_of_life, closed.cuda) == ("2028-06", "13.0")
    assert closed.runnable and not open_.runnable
    assert "GSP" in open_.reason


def test_blackwell_cannot_run_proprietary_and_pascal_not_past_580():
    devices = [_nvidia_device(_driver("nvidia-driver-595"), _driver("nvidia-driver-595-open"))]
    found = {
        c.package: c
        for c in build_candidates([RTX5090], ubuntu_drivers_devices=devices, today=TODAY)
    }
    assert not found["nvidia-driver-595"].runnable
    assert found["nvidia-driver-595-open"].runnable
    pascal = build_candidates([GTX1080], ubuntu_drivers_list=["nvidia-driver-595"], today=TODAY)
    assert not pascal[0].runnable and "580" in pascal[0].reason


def test_no_gpu_no_candidates():
    devices = [_nvidia_device(_driver("nvidia-driver-580"))]
    assert build_candidates([], ubuntu_drivers_devices=devices, today=TODAY) == []


def test_ubuntu_drivers_list_is_the_fallback():
    found = build_candidates(
        [RTX3090], ubuntu_drivers_list=["nvidia-driver-570", "oem-foo-meta"], today=TODAY
    )
    assert [c.package for c in found] == ["nvidia-driver-570"]


def test_from_apt_matches_modaliases_on_ubuntu():
    apt = [
        AptPackage(
            "nvidia-driver-580-server",
            version="580.95.05-0ubuntu0.24.04.1",
            modaliases=("pci:v000010DEd00001EB8sv*sd*bc03sc*i*",),
        ),
        AptPackage(
            "nvidia-driver-470-server",
            version="470.256.02-0ubuntu0.24.04.1",
            modaliases=("pci:v000010DEd00001021sv*sd*bc03sc*i*",),  # a Kepler only
        ),
        AptPackage("nvidia-utils-580-server", version="580.95.05-0ubuntu0.24.04.1"),
    ]
    assert [o.package for o in from_apt(apt, [T4_MODALIAS])] == ["nvidia-driver-580-server"]


def test_from_apt_on_debian():
    apt = [
        AptPackage("nvidia-driver", version="535.247.01-1~deb12u1"),
        AptPackage("nvidia-driver", version="535.216.03-1~deb12u1"),  # older stanza: ignored
        AptPackage("nvidia-tesla-535-driver", version="535.247.01-1~deb12u1"),
        AptPackage("nvidia-tesla-470-driver", version="470.256.02-1~deb12u1"),
        AptPackage("nvidia-open-kernel-dkms", version="535.247.01-1~deb12u1"),
        AptPackage("nvidia-kernel-dkms", version="535.247.01-1~deb12u1"),
    ]
    offered = {o.package: o for o in from_apt(apt, [T4_MODALIAS])}
    assert set(offered) == {
        "nvidia-driver",
        "nvidia-tesla-535-driver",
        "nvidia-tesla-470-driver",
        "nvidia-open-kernel-dkms",
    }
    assert (
        offered["nvidia-tesla-535-driver"].server
        and offered["nvidia-tesla-535-driver"].branch == 535
    )
    assert (
        offered["nvidia-open-kernel-dkms"].open and offered["nvidia-open-kernel-dkms"].branch == 535
    )


def test_debian_open_modules_need_the_same_branch_as_the_driver():
    apt = [
        AptPackage("nvidia-driver", version="535.247.01-1~deb12u1"),
        AptPackage("nvidia-open-kernel-dkms", version="550.163.01-1"),
    ]
    assert [o.package for o in from_apt(apt, [T4_MODALIAS])] == ["nvidia-driver"]


def test_branch_of_version():
    assert branch_of_version("535.216.03-1~deb12u1") == 535
    assert branch_of_version("1:550.54.15-0ubuntu1") == 550
    assert branch_of_version("garbage") is None
    assert branch_of_version(None) is None


def test_apt_headers_are_kept_as_written():
    apt = [
        AptPackage("nvidia-driver-580", support="LTSB", extra={"Prefer-Variant": "Closed"}),
        AptPackage("nvidia-driver-595", extra={"prefer-variant": "Open"}),
    ]
    found = {
        c.package: c
        for c in build_candidates(
            [RTX3090],
            ubuntu_drivers_list=["nvidia-driver-580", "nvidia-driver-595", "nvidia-driver-570"],
            apt_packages=apt,
            today=TODAY,
        )
    }
    assert (
        found["nvidia-driver-580"].prefer_variant,
        found["nvidia-driver-580"].support_header,
    ) == ("Closed", "LTSB")
    assert found["nvidia-driver-595"].prefer_variant == "Open"
    assert found["nvidia-driver-595"].apt_headers and not found["nvidia-driver-570"].apt_headers


def test_legacy_names_are_candidates_with_their_branch():
    kepler = gpu("128b", "GK208B [GeForce GT 710]")
    devices = [
        _nvidia_device(
            _driver("nvidia-340"),
            _driver("nvidia-384-updates"),
            _driver("nvidia-current"),
            _driver("nvidia-driver-470", recommended=True),
            _driver("nvidia-strange-thing"),
            _driver("xserver-xorg-video-nouveau"),
            modalias="pci:v000010DEd0000128Bsv00001043sd00008576bc03sc00i00",
        )
    ]
    apt = [AptPackage("nvidia-current", version="304.137-0ubuntu0~gpu14.04.1")]
    found = {
        c.package: c
        for c in build_candidates(
            [kepler], ubuntu_drivers_devices=devices, apt_packages=apt, today=TODAY
        )
    }
    assert {n: found[n].branch for n in ("nvidia-340", "nvidia-384-updates", "nvidia-current")} == {
        "nvidia-340": 340,
        "nvidia-384-updates": 384,
        "nvidia-current": 304,
    }
    assert found["nvidia-340"].legacy_name and not found["nvidia-340"].open
    assert all(c.runnable for c in found.values())  # Kepler runs every branch up to 470
    versions = {"nvidia-current": "304.137-0ubuntu0~gpu14.04.1"}
    assert not_understood(devices, versions=versions) == ["nvidia-strange-thing"]
    # without its version nvidia-current's branch is unknown: reported, not dropped silently
    assert not_understood(devices) == ["nvidia-current", "nvidia-strange-thing"]


def test_transitional_package_names_its_target():
    stanza = AptPackage("nvidia-driver-535", depends=("nvidia-driver-550 (>= 550.1)",))
    assert transitional_target(stanza) == "nvidia-driver-550"
    real = AptPackage(
        "nvidia-driver-550", depends=("nvidia-utils-550 (= 550.1)", "libnvidia-gl-550")
    )
    assert transitional_target(real) is None


# Ubuntu's open packages list Turing and newer ids only; its proprietary ones stop before Blackwell.
TURING_ONLY = ("pci:v000010DEd00001E04sv*sd*bc03sc*i*",)
PASCAL_TO_ADA = ("pci:v000010DEd00001B80sv*sd*bc03sc*i*", "pci:v000010DEd00002684sv*sd*bc03sc*i*")


def _apt_branch(branch, open_aliases=TURING_ONLY, closed_aliases=PASCAL_TO_ADA):
    version = f"{branch}.95.05-0ubuntu0.22.04.1"
    return [
        AptPackage(f"nvidia-driver-{branch}{suffix}", version=version, modaliases=aliases)
        for suffix, aliases in (
            ("", closed_aliases),
            ("-open", open_aliases),
            ("-server", closed_aliases),
            ("-server-open", open_aliases),
        )
    ]


def test_pascal_sees_the_open_variants_apt_offers_as_not_runnable():
    devices = [
        _nvidia_device(
            _driver("nvidia-driver-580", recommended=True),
            _driver("nvidia-driver-580-server"),
            modalias="pci:v000010DEd00001B80sv00001043sd00008591bc03sc00i00",
        )
    ]
    apt = _apt_branch(580) + _apt_branch(595, closed_aliases=TURING_ONLY)
    found = build_candidates(
        [GTX1080], ubuntu_drivers_devices=devices, apt_packages=apt, today=TODAY
    )
    assert [(c.package, c.runnable) for c in found] == [
        ("nvidia-driver-580", True),
        ("nvidia-driver-580-open", False),
        ("nvidia-driver-580-server", True),
        ("nvidia-driver-580-server-open", False),
    ]  # 595 is no branch ubuntu-drivers offered: not listed at all
    for unrunnable in (c for c in found if not c.runnable):
        assert "GSP" in unrunnable.reason and "Pascal" in unrunnable.reason
        assert unrunnable.support == "LTSB" and unrunnable.cuda == "13.0"
        assert not unrunnable.recommended and not unrunnable.ubuntu_drivers_recommended


def test_blackwell_sees_the_proprietary_variants_as_not_runnable():
    devices = [_nvidia_device(_driver("nvidia-driver-595-open", recommended=True))]
    apt = _apt_branch(595)
    found = {
        c.package: c
        for c in build_candidates(
            [RTX5090], ubuntu_drivers_devices=devices, apt_packages=apt, today=TODAY
        )
    }
    assert found["nvidia-driver-595-open"].runnable
    for name in ("nvidia-driver-595", "nvidia-driver-595-server"):
        assert not found[name].runnable
        assert "Blackwell" in found[name].reason and "open kernel modules" in found[name].reason
    # runnable variants ubuntu-drivers left out are not second-guessed
    assert "nvidia-driver-595-server-open" not in found


def test_variants_apt_does_not_offer_are_not_invented():
    devices = [_nvidia_device(_driver("nvidia-driver-580"))]
    apt = [AptPackage("nvidia-driver-580-open", version="580.95.05-0ubuntu1")]
    found = build_candidates(
        [GTX1080], ubuntu_drivers_devices=devices, apt_packages=apt, today=TODAY
    )
    assert [c.package for c in found] == ["nvidia-driver-580", "nvidia-driver-580-open"]
    assert build_candidates([GTX1080], ubuntu_drivers_devices=devices, today=TODAY) == [
        c for c in found if c.runnable
    ]


def test_unrunnable_variants_from_apt_on_a_turing_card_add_nothing():
    offered = from_ubuntu_drivers([_nvidia_device(_driver("nvidia-driver-580-server-open"))])
    assert unrunnable_variants(offered, _apt_branch(580), [T4]) == []


def test_unrunnable_debian_open_modules_follow_the_driver_branch():
    gtx = [GTX1080]
    driver = from_apt([AptPackage("nvidia-driver", version="535.247.01-1~deb12u1")], [])
    paired = [AptPackage("nvidia-open-kernel-dkms", version="535.247.01-1~deb12u1")]
    (found,) = unrunnable_variants(driver, paired, gtx)
    assert found.package == "nvidia-open-kernel-dkms" and found.open
    tesla = from_apt([AptPackage("nvidia-tesla-550-driver", version="550.163.01-1")], [])
    unpaired = [AptPackage("nvidia-open-kernel-dkms", version="550.163.01-1")]
    assert unrunnable_variants(tesla, unpaired, gtx) == []

from nvwizard.detect.models import UbuntuDriversDriver
from nvwizard.detect.ubuntu_drivers import (
    parse_devices,
    parse_driver_line,
    parse_list,
)

from ._samples import sample


def test_devices_with_stderr_noise():
    [device] = parse_devices(sample("ubuntu-drivers", "devices-rtx3090-noise.txt"))
    assert device.sysfs_path == "/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0"
    assert device.modalias == "pci:v000010DEd00002204sv00001043sd000087B3bc03sc00i00"
    assert (device.vendor, device.model) == ("NVIDIA Corporation", "GA102 [GeForce RTX 3090]")
    assert device.manual_install is False
    assert len(device.drivers) == 7
    assert [d.package for d in device.drivers if d.recommended] == ["nvidia-driver-580-open"]
    nouveau = device.drivers[-1]
    assert (nouveau.package, nouveau.free, nouveau.builtin) == (
        "xserver-xorg-video-nouveau",
        True,
        True,
    )
    assert not any(d.free for d in device.drivers[:-1])


def test_devices_in_any_key_order_with_missing_model_and_whitespace_separator():
    devices = parse_devices(sample("ubuntu-drivers", "devices-hgx-key-order.txt"))
    assert len(devices) == 2
    first, second = devices
    assert first.model is None
    assert first.modalias == second.modalias
    assert second.model == "GH100 [H100 SXM5 80GB]"
    assert [d.package for d in second.drivers] == [
        "nvidia-driver-535-server",
        "nvidia-driver-580-server-open",
    ]
    assert second.drivers[1].recommended


def test_devices_manual_install():
    [device] = parse_devices(sample("ubuntu-drivers", "devices-manual-install.txt"))
    assert device.manual_install is True
    assert device.model is None


def test_devices_old_version_with_third_party_and_other_hardware():
    devices = parse_devices(sample("ubuntu-drivers", "devices-bionic-third-party.txt"))
    assert [d.vendor for d in devices] == ["NVIDIA Corporation", "Intel Corporation"]
    drivers = {d.package: d for d in devices[0].drivers}
    assert drivers["nvidia-driver-430"] == UbuntuDriversDriver(
        package="nvidia-driver-430", source="third-party", free=True, recommended=True
    )
    assert drivers["nvidia-driver-390"].source == "distro"


def test_devices_without_headers_split_on_repeated_modalias_and_crlf():
    text = (
        "modalias : pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00\r\n"
        "driver   : nvidia-driver-580-server-open - distro non-free recommended\r\n"
        "modalias : pci:v000010DEd00001EB8sv000010DEsd000012A2bc03sc02i00\r\n"
        "driver: nvidia-driver-535-server - distro non-free\r\n"
    )
    devices = parse_devices(text)
    assert [d.sysfs_path for d in devices] == [None, None]
    assert [d.drivers[0].package for d in devices] == [
        "nvidia-driver-580-server-open",
        "nvidia-driver-535-server",
    ]


def test_devices_noise_only_and_empty():
    assert parse_devices("ERROR:root:aplay command not found\nudevadm hwdb is deprecated.\n") == []
    assert parse_devices("") == []


def test_driver_line_rejects_garbage():
    assert parse_driver_line("Not A Package - distro") is None
    assert parse_driver_line("nvidia-driver-550").package == "nvidia-driver-550"


def test_list_with_kernel_modules_packages():
    assert parse_list(sample("ubuntu-drivers", "list-with-modules.txt")) == [
        ("nvidia-driver-580-open", "linux-modules-nvidia-580-open-generic-hwe-24.04"),
        ("nvidia-driver-570-open", "linux-modules-nvidia-570-open-generic-hwe-24.04"),
        ("nvidia-driver-580", "linux-modules-nvidia-580-generic-hwe-24.04"),
        (
            "nvidia-driver-570-server-open",
            "linux-modules-nvidia-570-server-open-generic-hwe-24.04",
        ),
        ("nvidia-driver-535-server", "nvidia-dkms-535-server"),
    ]


def test_list_bare_names():
    assert parse_list(sample("ubuntu-drivers", "list-bare.txt")) == [
        ("nvidia-driver-390", None),
        ("nvidia-driver-430", None),
        ("nvidia-driver-418", None),
    ]


def test_list_recommended_both_formats():
    assert parse_list(sample("ubuntu-drivers", "list-recommended-gpgpu.txt"))[0] == (
        "nvidia-driver-580-server-open",
        "linux-modules-nvidia-580-server-open-generic",
    )
    assert parse_list(sample("ubuntu-drivers", "list-recommended-new.txt"))[0] == (
        "nvidia-driver-580-open",
        "linux-modules-nvidia-580-open-generic",
    )
    assert parse_list("udevadm hwdb is deprecated. Use systemd-hwdb instead.\n") == []


def test_real_listing_without_model_and_one_space_before_the_colons():
    # https://github.com/NVIDIA/open-gpu-kernel-modules/issues/872
    [device] = parse_devices(
        sample("ubuntu-drivers", "devices-rtx5090-laptop-recommends-proprietary.txt")
    )
    assert device.sysfs_path == "/sys/devices/pci0000:00/0000:00:06.0/0000:02:00.0"
    assert (device.vendor, device.model) == ("NVIDIA Corporation", None)
    assert [(d.package, d.recommended, d.builtin) for d in device.drivers] == [
        ("nvidia-driver-570-server-open", False, False),
        ("nvidia-driver-570", True, False),
        ("nvidia-driver-570-open", False, False),
        ("nvidia-driver-570-server", False, False),
        ("xserver-xorg-video-nouveau", False, True),
    ]

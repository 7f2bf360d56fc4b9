import pytest

from nvwizard.detect.models import Modalias
from nvwizard.detect.sysfs_pci import parse_modalias, parse_sysfs_pci

from ._samples import sample


def test_sysfs_pci_lines():
    devices = parse_sysfs_pci(sample("sysfs", "sysfs-pci-hgx.txt"))
    assert [
        (d.address, d.vendor_id, d.device_id, d.class_code, d.driver_in_use) for d in devices
    ] == [
        ("0000:00:00.0", "8086", "09a2", "0600", None),
        ("0000:05:00.0", "10de", "22a3", "0680", "nvidia-nvswitch"),
        ("0000:18:00.0", "10de", "2330", "0302", "nvidia"),
        ("0000:2a:00.0", "10de", "2330", "0302", "nvidia"),
        # vendor, device and class read from the modalias when their own fields are missing
        ("0000:5d:00.0", "10de", "2330", "0302", None),
    ]


def test_sysfs_pci_crlf_and_missing_ids():
    text = (
        "0000:01:00.0 class=0x030000 vendor=0x10de\r\n0000:02:00.0 vendor=0x10de device=0x2204\r\n"
    )
    [device] = parse_sysfs_pci(text)
    assert (device.address, device.device_id, device.class_code) == ("0000:02:00.0", "2204", None)


def test_parse_modalias():
    assert parse_modalias("pci:v000010DEd00002204sv00001043sd000087B3bc03sc00i00\n") == Modalias(
        vendor="10de",
        device="2204",
        subvendor="1043",
        subdevice="87b3",
        base_class="03",
        sub_class="00",
        prog_if="00",
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "pci:v000010DEd00001340sv*sd*bc03sc*i*",  # an apt pattern, not a device
        "pci:v000010DEd00002204sv00001043sd000087B3bc03sc00",  # cut short
        "pci:v000010DEd00002204sv00001043sd000087B3bc03sc00i00trailing",
        "usb:v1D6Bp0003d0606dc09dsc00dp03ic09isc00ip00in00",
        "pci:vXXXX10DEd00002204sv00001043sd000087B3bc03sc00i00",
    ],
)
def test_parse_modalias_rejects_anything_else(text):
    assert parse_modalias(text) is None

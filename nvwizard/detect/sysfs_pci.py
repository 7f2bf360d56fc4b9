"""The sysfs-pci.txt bundle file and PCI modalias strings.

sysfs-pci.txt has one line per device from /sys/bus/pci/devices:
`0000:01:00.0 class=0x030000 vendor=0x10de device=0x2204 modalias=pci:v000010DE... driver=nvidia`
and, for NVIDIA devices, `revision=0xa1`: the revision byte read from the config space, as
lspci reads it (`0xff` when the device does not answer).
"""

from __future__ import annotations

from nvwizard.detect._text import clean_lines, is_hex
from nvwizard.detect.lspci import normalise_pci_address
from nvwizard.detect.models import Modalias, PciDevice

# pci:v0000VVVVd0000DDDDsvSSSSSSSSsdSSSSSSSSbcCCscSSiII: (field prefix, hex digits)
_MODALIAS_FIELDS = (("v", 8), ("d", 8), ("sv", 8), ("sd", 8), ("bc", 2), ("sc", 2), ("i", 2))


def parse_sysfs_pci(text: str) -> list[PciDevice]:
    devices: list[PciDevice] = []
    for line in clean_lines(text):
        tokens = line.split()
        if not tokens:
            continue
        address = normalise_pci_address(tokens[0])
        if address is None:
            continue
        fields = dict(t.partition("=")[::2] for t in tokens[1:] if "=" in t)
        device = _device(address, fields)
        if device is not None:
            devices.append(device)
    return devices


def _device(address: str, fields: dict[str, str]) -> PciDevice | None:
    modalias = parse_modalias(fields.get("modalias", ""))
    vendor = _hex4(fields.get("vendor")) or (modalias.vendor if modalias else None)
    device = _hex4(fields.get("device")) or (modalias.device if modalias else None)
    if vendor is None or device is None:
        return None
    class_code = _class4(fields.get("class"))
    if class_code is None and modalias is not None:
        class_code = modalias.base_class + modalias.sub_class
    driver = fields.get("driver") or None
    return PciDevice(
        address=address,
        vendor_id=vendor,
        device_id=device,
        class_code=class_code,
        driver_in_use=None if driver in (None, "-", "none") else driver,
        revision=_hex2(fields.get("revision")),
    )


def _hex4(value: str | None) -> str | None:
    """ "0x10de" -> "10de"."""
    if not value:
        return None
    digits = value.lower().removeprefix("0x")
    return digits if len(digits) == 4 and is_hex(digits) else None


def _hex2(value: str | None) -> str | None:
    """ "0xff" -> "ff"."""
    digits = (value or "").lower().removeprefix("0x")
    return digits if len(digits) == 2 and is_hex(digits) else None


def _class4(value: str | None) -> str | None:
    """ "0x030200" -> "0302" (base class and subclass; the programming interface dropped)."""
    if not value:
        return None
    digits = value.lower().removeprefix("0x")
    return digits[:4] if len(digits) == 6 and is_hex(digits) else None


def parse_modalias(s: str) -> Modalias | None:
    """A concrete `pci:v...d...sv...sd...bc..sc..i..` modalias; None for anything else
    (including apt's wildcard patterns, which `apt_cache.modalias_matches` handles)."""
    text = s.strip()
    if not text.lower().startswith("pci:"):
        return None
    pos = 4
    values: list[str] = []
    for prefix, width in _MODALIAS_FIELDS:
        if text[pos : pos + len(prefix)] != prefix:
            return None
        pos += len(prefix)
        digits = text[pos : pos + width]
        if len(digits) != width or not is_hex(digits):
            return None
        values.append(digits.lower())
        pos += width
    if pos != len(text):
        return None
    vendor, device, subvendor, subdevice, base_class, sub_class, prog_if = values
    return Modalias(
        vendor=vendor[-4:],
        device=device[-4:],
        subvendor=subvendor[-4:],
        subdevice=subdevice[-4:],
        base_class=base_class,
        sub_class=sub_class,
        prog_if=prog_if,
    )

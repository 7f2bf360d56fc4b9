"""`lspci` in the forms users paste: `-nn`, `-n`, plain, with `-v`/`-k` detail lines, and
grep-filtered (`lspci | grep -i nvidia`).

A `-nn` device line is `[domain:]bus:slot.fn <class text> [cccc]: <description> [vvvv:dddd]
(rev xx)`; `lspci -n` prints `bus:slot.fn cccc: vvvv:dddd (rev xx)`. Plain `lspci` prints
`bus:slot.fn <class text>: <vendor> <description> (rev xx) [(prog-if ...)]` with no ids: an
NVIDIA line of a known class is kept with its class code from the class text and no device id
(unless pci.ids did not know the chip and printed `Device 2b85`, which is the id); the chip
code in the description then tells the generation. Other vendors' plain lines are skipped
(nothing needs them) but Intel's and AMD's display controllers, kept with their class and
vendor: a laptop's integrated GPU, beside which a discrete one may be switched off. A `-nn`
line cut short before its ids is skipped too. `-v` and `-k` add `Subsystem:`, `Kernel driver
in use:` and `Kernel modules:` (and other) lines below a device, read by their key, so lost
indentation does not matter. `(rev ff)` is kept: a device whose
config space reads all ones (a GPU fallen off the bus, or a laptop's switched-off one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from nvwizard.detect._text import clean_lines, is_hex
from nvwizard.detect.models import PciDevice


@dataclass
class _Pending:
    device: PciDevice
    subsystem: str | None = None
    driver: str | None = None
    modules: tuple[str, ...] = field(default_factory=tuple)

    def freeze(self) -> PciDevice:
        return replace(
            self.device,
            subsystem=self.subsystem,
            driver_in_use=self.driver,
            kernel_modules=self.modules,
        )


def parse_lspci(text: str) -> list[PciDevice]:
    devices: list[PciDevice] = []
    pending: _Pending | None = None
    for line in clean_lines(text):
        stripped = line.strip()
        if not stripped:
            continue
        token, _, rest = stripped.partition(" ")
        address = normalise_pci_address(token)
        if address is not None:
            if pending is not None:
                devices.append(pending.freeze())
            device = _device(address, rest)
            pending = _Pending(device) if device is not None else None
            continue
        if pending is not None:
            _read_detail(pending, stripped)
    if pending is not None:
        devices.append(pending.freeze())
    return devices


def normalise_pci_address(token: str) -> str | None:
    """ "01:00.0" or "0000:01:00.0" or "00000000:01:00.0" -> "0000:01:00.0"; else None."""
    parts = token.split(":")
    if len(parts) == 2:
        parts.insert(0, "0000")
    if len(parts) != 3:
        return None
    domain, bus, slot_fn = parts
    slot, dot, fn = slot_fn.partition(".")
    if not (dot and is_hex(domain) and len(domain) <= 8 and len(bus) == 2 and is_hex(bus)):
        return None
    if len(slot) != 2 or not is_hex(slot) or len(fn) != 1 or fn not in "01234567":
        return None
    # nvidia-smi prints 8 domain digits, VMD domains have 5: keep at least 4, drop extra zeros
    return f"{int(domain, 16):04x}:{bus}:{slot}.{fn}".lower()


# Class names lspci prints without -nn (pci.ids "C" section), for the classes that matter.
CLASS_CODES = {
    "vga compatible controller": "0300",
    "xga compatible controller": "0301",
    "3d controller": "0302",
    "display controller": "0380",
    "audio device": "0403",
    "multimedia audio controller": "0401",
    "usb controller": "0c03",
    "serial bus controller": "0c80",
    "bridge": "0680",
    "pci bridge": "0604",
}
NVIDIA_VENDOR = "10de"
_UNKNOWN_DEVICE_RE = re.compile(r"\bDevice ([0-9a-fA-F]{4})\b")
_PROG_IF_RE = re.compile(r"\s*\(prog-if [^)]*\)")
_REVISION_RE = re.compile(r"\(rev ([0-9a-fA-F]{2})\)")


def _revision(text: str) -> str | None:
    """ "... [10de:2204] (rev a1)" -> "a1"; "(rev ff)": the device's config space reads all
    ones (it does not answer: fallen off the bus, or switched off)."""
    found = _REVISION_RE.search(text)
    return found.group(1).lower() if found else None


# Integrated GPUs' vendors in plain lspci, kept (class and vendor only) as the sign of a
# laptop's hybrid graphics: its discrete GPU may be switched off.
_INTEGRATED_GPU_VENDORS = {"intel corporation": "8086", "advanced micro devices, inc.": "1002"}


def _plain_device(address: str, rest: str) -> PciDevice | None:
    """A plain `lspci` line of an NVIDIA device: class from its name, no id (usually)."""
    class_text, sep, description = rest.partition(": ")
    code = CLASS_CODES.get(class_text.strip().lower())
    vendor, _, name = description.partition(" Corporation")
    if sep and code and code.startswith("03") and vendor.strip().lower() != "nvidia":
        return _plain_integrated_gpu(address, code, description)
    if not sep or code is None or vendor.strip().lower() != "nvidia":
        return None
    description = _PROG_IF_RE.sub("", description).strip()
    rev = description.rfind(" (rev ")
    if rev >= 0:
        description = description[:rev]
    unknown = _UNKNOWN_DEVICE_RE.search(name)
    return PciDevice(
        address=address,
        vendor_id=NVIDIA_VENDOR,
        device_id=unknown.group(1).lower() if unknown else None,
        class_code=code,
        description=description.strip() or None,
        revision=_revision(rest),
    )


def _plain_integrated_gpu(address: str, code: str, description: str) -> PciDevice | None:
    lower = description.lower()
    vendor = next(
        (v for name, v in _INTEGRATED_GPU_VENDORS.items() if lower.startswith(name)), None
    )
    if vendor is None:
        return None
    return PciDevice(address=address, vendor_id=vendor, device_id=None, class_code=code)


def _device(address: str, rest: str) -> PciDevice | None:
    ids = _last_id_pair(rest)
    if ids is None:
        class_text = rest.partition(": ")[0]
        return None if class_text.rstrip().endswith("]") else _plain_device(address, rest)
    vendor, device = ids
    class_text, sep, after_class = rest.partition(": ")
    class_code = _class_code(class_text) if sep else None
    description: str | None = None
    if class_code is None and ":" in rest:
        # `lspci -n`: "0300: 10de:2204 (rev a1)"
        first = rest.split()[0].rstrip(":")
        class_code = first.lower() if len(first) == 4 and is_hex(first) else None
    elif after_class:
        description = _strip_ids_and_revision(after_class) or None
    return PciDevice(
        address=address,
        vendor_id=vendor,
        device_id=device,
        class_code=class_code,
        description=description,
        revision=_revision(rest),
    )


def _last_id_pair(text: str) -> tuple[str, str] | None:
    """The last "vvvv:dddd" in the line, bracketed (`-nn`) or bare (`-n`)."""
    end = len(text)
    while True:
        colon = text.rfind(":", 0, end)
        if colon < 4:
            return None
        vendor, device = text[colon - 4 : colon], text[colon + 1 : colon + 5]
        before = text[colon - 5] if colon >= 5 else " "
        after = text[colon + 5] if colon + 5 < len(text) else " "
        if (
            is_hex(vendor)
            and len(device) == 4
            and is_hex(device)
            and before in " ["
            and after in " ]"
        ):
            return vendor.lower(), device.lower()
        end = colon


def _class_code(class_text: str) -> str | None:
    """ "VGA compatible controller [0300]" -> "0300"."""
    open_pos = class_text.rfind("[")
    if open_pos < 0 or not class_text.endswith("]"):
        return None
    code = class_text[open_pos + 1 : -1]
    return code.lower() if len(code) == 4 and is_hex(code) else None


def _strip_ids_and_revision(description: str) -> str:
    """ "NVIDIA Corporation GA102 [GeForce RTX 3090] [10de:2204] (rev a1)" -> the name part."""
    text = description
    rev = text.rfind(" (rev ")
    if rev >= 0:
        text = text[:rev]
    if text.endswith("]"):
        open_pos = text.rfind(" [")
        if open_pos >= 0 and _last_id_pair(text[open_pos:]) is not None:
            text = text[:open_pos]
    return text.strip()


def _read_detail(pending: _Pending, line: str) -> None:
    key, sep, value = line.partition(":")
    if not sep:
        return
    key, value = key.strip(), value.strip()
    if key == "Subsystem":
        pending.subsystem = value or None
    elif key == "Kernel driver in use":
        pending.driver = value or None
    elif key == "Kernel modules":
        pending.modules = tuple(m.strip() for m in value.split(",") if m.strip())

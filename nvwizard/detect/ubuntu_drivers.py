"""`ubuntu-drivers devices` and `ubuntu-drivers list` (also `list --recommended`'s lines).

`devices` prints, per device, a `== <sysfs path> ==` header and `key : value` lines (modalias,
vendor, model, manual_install, driver), in an order that varies between versions. Lines are
read by key; anything else (stderr noise such as `udevadm hwdb is deprecated` or
`ERROR:root:aplay command not found`) is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from nvwizard.detect._text import clean_lines, is_package_name
from nvwizard.detect.models import UbuntuDriversDevice, UbuntuDriversDriver

_DEVICE_KEYS = {"modalias", "vendor", "model", "manual_install", "driver"}
_MODULES_PREFIX = "(kernel modules provided by "


@dataclass
class _Pending:
    device: UbuntuDriversDevice = field(default_factory=UbuntuDriversDevice)
    drivers: list[UbuntuDriversDriver] = field(default_factory=list)

    def freeze(self) -> UbuntuDriversDevice:
        return replace(self.device, drivers=tuple(self.drivers))


def parse_devices(text: str) -> list[UbuntuDriversDevice]:
    devices: list[UbuntuDriversDevice] = []
    pending: _Pending | None = None
    for line in clean_lines(text):
        stripped = line.strip()
        if stripped.startswith("==") and stripped.endswith("==") and len(stripped) > 4:
            if pending is not None:
                devices.append(pending.freeze())
            path = stripped.strip("=").strip()
            pending = _Pending(UbuntuDriversDevice(sysfs_path=path or None))
            continue
        key, sep, value = stripped.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or key not in _DEVICE_KEYS:
            continue
        if pending is None or (key == "modalias" and pending.device.modalias is not None):
            # a paste that lost its `== path ==` header: a second modalias starts a device
            if pending is not None:
                devices.append(pending.freeze())
            pending = _Pending()
        _read_key(pending, key, value)
    if pending is not None:
        devices.append(pending.freeze())
    return devices


def _read_key(pending: _Pending, key: str, value: str) -> None:
    if key == "driver":
        driver = parse_driver_line(value)
        if driver is not None:
            pending.drivers.append(driver)
    elif key == "manual_install":
        pending.device = replace(pending.device, manual_install=value.lower() == "true")
    elif key == "modalias" and value:
        pending.device = replace(pending.device, modalias=value)
    elif key == "vendor" and value:
        pending.device = replace(pending.device, vendor=value)
    elif key == "model" and value:
        pending.device = replace(pending.device, model=value)


def parse_driver_line(value: str) -> UbuntuDriversDriver | None:
    """ "nvidia-driver-580-server-open - distro non-free recommended" -> a driver."""
    package, sep, flags_text = value.partition(" - ")
    package = package.strip()
    if not is_package_name(package):
        return None
    flags = flags_text.split() if sep else []
    return UbuntuDriversDriver(
        package=package,
        source="third-party" if "third-party" in flags else "distro",
        free="free" in flags,
        builtin="builtin" in flags,
        recommended="recommended" in flags,
    )


def parse_list(text: str) -> list[tuple[str, str | None]]:
    """`ubuntu-drivers list`: (package, kernel-modules package or None) per line.

    Accepts `pkg, (kernel modules provided by modules-pkg)` (22.04 and newer), `pkg modules-pkg`
    (`list --recommended` on some versions) and bare `pkg` (older versions).
    """
    entries: list[tuple[str, str | None]] = []
    for line in clean_lines(text):
        entry = _list_line(line.strip())
        if entry is not None:
            entries.append(entry)
    return entries


def _list_line(line: str) -> tuple[str, str | None] | None:
    if not line:
        return None
    package, comma, rest = line.partition(",")
    if comma:
        rest = rest.strip()
        if not rest.startswith(_MODULES_PREFIX) or not rest.endswith(")"):
            return None
        modules = rest[len(_MODULES_PREFIX) : -1].strip()
        package = package.strip()
        if not is_package_name(package) or not is_package_name(modules):
            return None
        return package, modules
    tokens = line.split()
    if len(tokens) > 2 or not all(is_package_name(t) for t in tokens):
        return None
    return tokens[0], tokens[1] if len(tokens) == 2 else None

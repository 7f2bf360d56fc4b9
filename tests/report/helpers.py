"""Small builders for report-layer tests: real dataclasses, only the fields a test cares about."""

from __future__ import annotations

from nvwizard.detect.models import DpkgEntry
from nvwizard.knowledge.architectures import classify_gpu
from nvwizard.report.candidates import OfferedDriver, enrich
from nvwizard.report.models import DriverCandidate, Gpu, Report


def gpu(device_id: str, name: str | None = None, address: str = "0000:01:00.0") -> Gpu:
    found = classify_gpu(device_id, name)
    return Gpu(
        address,
        device_id,
        found.marketing_name,
        found.architecture,
        found.open_kernel,
        found.chip,
    )


def candidate(
    package: str,
    gpus: list[Gpu] | None = None,
    *,
    support: str | None = None,
    ubuntu_drivers_recommended: bool = False,
) -> DriverCandidate:
    from dataclasses import replace

    from nvwizard.knowledge.packages import parse_driver_package

    parsed = parse_driver_package(package)
    assert parsed is not None, package
    offer = OfferedDriver(
        package,
        parsed.branch,
        parsed.open,
        parsed.server,
        ubuntu_drivers_recommended=ubuntu_drivers_recommended,
    )
    found = enrich(offer, gpus or [gpu("2204")], {})
    return replace(found, support=support) if support else found


def flavours(branch: int, gpus: list[Gpu], **kw) -> list[DriverCandidate]:
    return [
        candidate(f"nvidia-driver-{branch}{suffix}", gpus, **kw)
        for suffix in ("", "-open", "-server", "-server-open")
    ]


def report(**fields) -> Report:
    base = dict(os="Ubuntu 22.04.4 LTS", os_id="ubuntu", os_version="22.04", kernel=None)
    base.update(fields)
    return Report(**base)


def dpkg(name: str, version: str | None = "1.0", state: str = "ii") -> DpkgEntry:
    return DpkgEntry(name, version, state)

"""Small builders for report-layer tests: real dataclasses, only the fields a test cares about."""

from __future__ import annotations

import datetime as dt

from nvwizard.detect.models import DpkgEntry
from nvwizard.knowledge.architectures import classify_gpu
from nvwizard.report.candidates import OfferedDriver, enrich
from nvwizard.report.lifecycle import with_lifecycle
from nvwizard.report.models import DriverCandidate, Gpu, Report

TODAY = dt.date(2026, 12, 7)


def gpu(device_id: str | None, name: str | None = None, address: str = "0000:01:00.0") -> Gpu:
    found = classify_gpu(device_id, name)
    return Gpu(
        address,
        device_id,
        found.marketing_name,
        found.architecture,
        found.open_kernel,
        found.chip,
        first_branch=found.first_branch,
        last_branch=found.last_branch,
    )


def candidate(
    package: str,
    gpus: list[Gpu] | None = None,
    *,
    support: str | None = None,
    ubuntu_drivers_recommended: bool = False,
    prefer_variant: str | None = None,
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
    found = replace(found, prefer_variant=prefer_variant)
    return replace(found, support=support) if support else found


def flavours(branch: int, gpus: list[Gpu], **kw) -> list[DriverCandidate]:
    return [
        candidate(f"nvidia-driver-{branch}{suffix}", gpus, **kw)
        for suffix in ("", "-open", "-server", "-server-open")
    ]


def offered(candidates: list[DriverCandidate], today: dt.date = TODAY) -> list[DriverCandidate]:
    """The candidates with their lifecycle on `today`, as build_candidates returns them."""
    return with_lifecycle(candidates, today)


def report(**fields) -> Report:
    base = dict(os="Ubuntu 22.04.4 LTS", os_id="ubuntu", os_version="22.04", kernel=None)
    base.update(fields)
    return Report(**base)


def dpkg(name: str, version: str | None = "1.0", state: str = "ii") -> DpkgEntry:
    return DpkgEntry(name, version, state)

"""What the finding checks share: dpkg states, version strings, thresholds."""

from __future__ import annotations

import re

from nvwizard.detect.debversion import really_upstream
from nvwizard.detect.models import DpkgEntry
from nvwizard.host.demo_advice import on_a_real_machine
from nvwizard.report.models import Report

LOW_DISK_KIB = 2 * 1024 * 1024  # apt needs room for ~1 GiB of driver packages and DKMS builds
CUDA_REPO_URL = "developer.download.nvidia.com/compute/cuda"
KERNEL_IMAGE_RE = re.compile(r"^linux-image-(?:unsigned-)?(\d[\w.+~-]*)$")


def present(entry: DpkgEntry) -> bool:
    """Files of the package are on disk (installed, unpacked or half-configured)."""
    return len(entry.state) >= 2 and entry.state[1] not in "nc"


def by_hand(report: Report, fix: str) -> str:
    """A fix that only a person at the machine applies (`sudo apt-get ...`, `lspci`): as it is,
    or on a demo, which none of this computer's commands reaches, "On a real machine: ..."."""
    return fix if report.demo is None else on_a_real_machine(fix)


def upstream_version(version: str | None) -> str | None:
    """ "1:550.163.01-0ubuntu0.22.04.1" -> "550.163.01"; "440.82+really.440.64-0ubuntu6" ->
    "440.64", the release it really carries (what its module and nvidia-smi report)."""
    if not version:
        return None
    return really_upstream(version.split(":", 1)[-1].split("-", 1)[0].strip()) or None


def times(count: int) -> str:
    """ " x3" after a thing seen 3 times; nothing after one seen once."""
    return f" x{count}" if count > 1 else ""


def api_mismatch_evidence(report: Report) -> str:
    """The kernel log's API mismatches of the module that runs now, as a clause ("" none)."""
    log = report.kernel_log
    loaded = report.loaded_module.version if report.loaded_module else None
    current = [
        m
        for m in (log.api_mismatches if log else ())
        if loaded is None or m.module_version == loaded
    ]
    return "; ".join(
        f"API mismatch{times(m.count)}: libraries {m.client_version}, kernel module "
        f"{m.module_version}" + (f" ({', '.join(m.clients)})" if m.clients else "")
        for m in current
    )

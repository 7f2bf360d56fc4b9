"""What the finding checks share: dpkg states, version strings, thresholds."""

from __future__ import annotations

import re

from nvwizard.host.demo_advice import on_a_real_machine

# what the findings share with report/driver_runs.py, which the plans ask too
from nvwizard.report.driver_runs import present as present
from nvwizard.report.driver_runs import upstream_version as upstream_version
from nvwizard.report.models import Report

LOW_DISK_KIB = 2 * 1024 * 1024  # apt needs room for ~1 GiB of driver packages and DKMS builds
CUDA_REPO_URL = "developer.download.nvidia.com/compute/cuda"
KERNEL_IMAGE_RE = re.compile(r"^linux-image-(?:unsigned-)?(\d[\w.+~-]*)$")


def by_hand(report: Report, fix: str) -> str:
    """A fix that only a person at the machine applies (`sudo apt-get ...`, `lspci`): as it is,
    or on a demo, which none of this computer's commands reaches, "On a real machine: ..."."""
    return fix if report.demo is None else on_a_real_machine(fix)


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

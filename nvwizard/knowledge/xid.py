"""Xid errors: what the NVIDIA driver's `NVRM: Xid (PCI:...): <code>, ...` kernel messages mean,
how much they matter before a driver change, and what to do.

From NVIDIA's Xid documentation, "Xid Errors" (https://docs.nvidia.com/deploy/xid-errors/
index.html) and its catalog with the resolution of each code ("Analyzing Xid Errors with the
Xid Catalog", https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html: RESTART_APP,
RESET_GPU, CONTACT_SUPPORT, ...), and the dynamic page retirement page for 48/63/64
(https://docs.nvidia.com/deploy/dynamic-page-retirement/visibility.html). Only the codes a
sysadmin meets on a server are listed; any other code is named with a pointer to the catalog.

`kind` groups the codes the way the findings speak of them:
- `application`: a program's own fault (13, 31, 43) or the cleanup after one (45): not a
  driver problem, nothing to change in the driver;
- `hardware`: memory (ECC, row remapping), NVLink, a GPU gone from the bus or needing a reset;
- `gsp`: the GPU System Processor's firmware (119, 120), which the open kernel modules always
  use (and the proprietary ones on newer GPUs): a driver or firmware problem.
"""

from __future__ import annotations

from dataclasses import dataclass

XID_CATALOG = "https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html"


@dataclass(frozen=True)
class XidMeaning:
    code: int
    meaning: str  # NVIDIA's name for it, shortened
    kind: str  # "application", "hardware", "gsp" (see above)
    severity: str  # "info" or "warn": how a finding about it reads
    advice: str  # what to do, in one sentence


_RESET = "reset the GPU (`nvidia-smi -r` with nothing using it) or reboot"

XIDS: dict[int, XidMeaning] = {
    meaning.code: meaning
    for meaning in (
        XidMeaning(
            13,
            "graphics engine exception",
            "application",
            "info",
            "usually the program's own fault (an out-of-range access, an illegal instruction): "
            "restart it; if it recurs with programs known to be good, run the GPU's diagnostics",
        ),
        XidMeaning(
            31,
            "GPU memory page fault",
            "application",
            "info",
            "usually the program's own invalid memory access: restart it",
        ),
        XidMeaning(
            43,
            "GPU stopped processing (the driver reset a program's channel)",
            "application",
            "info",
            "a program faulted and was stopped; the GPU goes on: restart the program",
        ),
        XidMeaning(
            45,
            "preemptive cleanup, due to previous errors",
            "application",
            "info",
            "the driver ended a program's work after another error or a killed process: "
            "look at the Xid before it",
        ),
        XidMeaning(
            48,
            "double-bit ECC error (uncorrectable memory error)",
            "hardware",
            "warn",
            f"{_RESET} so the GPU retires or remaps the bad memory; if it recurs, the board "
            "needs service (NVIDIA support, RMA)",
        ),
        XidMeaning(
            63,
            "ECC page retirement or row remapping recorded",
            "hardware",
            "warn",
            f"the remap takes effect once the GPU is reset: {_RESET}",
        ),
        XidMeaning(
            64,
            "ECC page retirement or row remapping failed",
            "hardware",
            "warn",
            f"{_RESET}; the memory could not be repaired: contact NVIDIA support (an RMA "
            "criterion)",
        ),
        XidMeaning(
            74,
            "NVLink error",
            "hardware",
            "warn",
            f"{_RESET}; if it recurs on the same link, check the NVLink bridges or baseboard "
            "and run the field diagnostics",
        ),
        XidMeaning(
            79,
            "GPU has fallen off the bus",
            "hardware",
            "warn",
            "power the machine off and on; if it recurs, check the card's seating, power and "
            "cooling",
        ),
        XidMeaning(
            92,
            "high single-bit ECC error rate",
            "hardware",
            "warn",
            "the errors were corrected, but at a high rate: watch the ECC counters "
            "(`nvidia-smi -q -d ECC`) and have the board checked if they keep rising",
        ),
        XidMeaning(
            94,
            "contained ECC error",
            "hardware",
            "warn",
            "only the program using that memory was stopped: restart it; reset the GPU when "
            "convenient so the row is remapped",
        ),
        XidMeaning(
            95,
            "uncontained ECC error",
            "hardware",
            "warn",
            f"every program on the GPU is affected: {_RESET} before using it again",
        ),
        XidMeaning(
            119,
            "GSP RPC timeout (the GSP firmware did not answer)",
            "gsp",
            "warn",
            f"{_RESET}; it is often a driver or firmware bug fixed in a later release of the "
            "branch: update within the branch, and report it to NVIDIA (nvidia-bug-report.sh) "
            "if it persists",
        ),
        XidMeaning(
            120,
            "GSP error (the GSP firmware failed)",
            "gsp",
            "warn",
            f"{_RESET}; update within the branch, and report it to NVIDIA "
            "(nvidia-bug-report.sh) if it persists",
        ),
        XidMeaning(
            154,
            "GPU recovery action changed (the driver asks for a reset or reboot)",
            "hardware",
            "warn",
            "do the recovery the message names (GPU reset, or reboot)",
        ),
    )
}


def xid_meaning(code: int) -> XidMeaning:
    """The table's row, or a row saying only that the code is in NVIDIA's catalog."""
    return XIDS.get(code) or XidMeaning(
        code, "see NVIDIA's Xid catalog", "other", "info", f"look it up in {XID_CATALOG}"
    )

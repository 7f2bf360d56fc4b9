"""`mokutil --sb-state` (stdout and stderr together)."""

from __future__ import annotations

from nvwizard.detect._text import clean_lines


def parse_sb_state(text: str) -> str:
    """ "enabled", "disabled", "unsupported" (no EFI, or no Secure Boot) or "unknown".

    "SecureBoot validation is disabled in shim" next to "SecureBoot enabled" reads as
    "disabled": shim then loads unsigned kernels and the kernel accepts unsigned modules,
    which is what matters for a DKMS-built driver.
    """
    state = "unknown"
    for line in clean_lines(text):
        lower = line.strip().lower()
        if "validation is disabled" in lower:
            return "disabled"
        if lower.startswith("secureboot enabled"):
            state = "enabled"
        elif lower.startswith("secureboot disabled"):
            state = "disabled"
        elif state == "unknown" and (
            "efi variables are not supported" in lower
            or "doesn't support secure boot" in lower
            or "does not support secure boot" in lower
        ):
            state = "unsupported"
    return state

"""Advice about a bundle machine (`--machine DIR`), said as what an apply there really is.

An apply on a bundle runs on a simulated machine made from the captured files, which lives
only as long as the command: nothing it changes is kept, on this computer or in DIR (unlike a
demo, which NVWIZARD_STATE_DIR keeps). So there is nothing to repair, reboot or verify after it
(`dpkg --configure -a`, `sudo nvwizard verify` would act on this computer); the next command on
DIR starts from the bundle again, and the wizard (`nvwizard --machine DIR`) shows a whole
install, its reboot and its verification in one session. The end of `install`, the outcome the
journal keeps (what `logs` shows) and `status` take their words from here.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

BUNDLE_LABEL = "bundle "  # host/bundle.py's label: "bundle /tmp/x"
SIMULATION = (
    "the apply on the bundle was a simulation: nothing it changed was kept, on this computer "
    "or in the bundle"
)


def bundle_dir(label: str | None) -> str | None:
    """The folder a host label names ("bundle /tmp/x" -> "/tmp/x"); None for another host."""
    if not label or not label.startswith(BUNDLE_LABEL):
        return None
    return label[len(BUNDLE_LABEL) :] or None


def bundle_install(folder: str, driver: str | None, options: Sequence[str] = ()) -> str:
    """The install again on the bundle, with the user's other options (the plan's
    `install_options`)."""
    driver_words = ["--driver", driver] if driver else []
    return shlex.join(["nvwizard", "install", "--machine", folder, *driver_words, *options])


def bundle_wizard(folder: str) -> str:
    return shlex.join(["nvwizard", "--machine", folder])


def after_bundle_failure(folder: str, driver: str | None, options: Sequence[str] = ()) -> str:
    """After a failed or cancelled apply on a bundle (`options`: see `bundle_install`)."""
    again = bundle_install(folder, driver, options)
    return f"nothing to repair: {SIMULATION}; the next `{again}` starts from the bundle again"


def after_bundle_apply(folder: str) -> str:
    """After an apply on a bundle that ended: nothing is pending anywhere."""
    return (
        f"{SIMULATION}; to see an install, its reboot and the verification, run the wizard: "
        f"`{bundle_wizard(folder)}`"
    )

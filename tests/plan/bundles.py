"""A capture bundle of an RTX 3090 server (old 535 driver, container toolkit) for CLI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "detect" / "samples"

DPKG_QUERY = """\
nvidia-driver-535\tinstall ok installed\t535.183.01-0ubuntu0.22.04.1
nvidia-utils-535\tinstall ok installed\t535.183.01-0ubuntu0.22.04.1
libnvidia-compute-535\tinstall ok installed\t535.183.01-0ubuntu0.22.04.1
nvidia-dkms-535\tinstall ok installed\t535.183.01-0ubuntu0.22.04.1
nvidia-container-toolkit\tinstall ok installed\t1.17.8-1
libnvidia-container1\tinstall ok installed\t1.17.8-1
bash\tinstall ok installed\t5.1-6ubuntu1.1
"""


def rtx3090_bundle(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLES / "lspci/lspci-nn-k-rtx3090.txt", dest / "lspci-nn.txt")
    shutil.copy(
        SAMPLES / "ubuntu-drivers/devices-rtx3090-noise.txt", dest / "ubuntu-drivers-devices.txt"
    )
    shutil.copy(SAMPLES / "misc/os-release-jammy.txt", dest / "os-release.txt")
    shutil.copy(SAMPLES / "misc/session.txt", dest / "session.txt")
    (dest / "uname-r.txt").write_text("5.15.0-91-generic\n")
    (dest / "dpkg-query.txt").write_text(DPKG_QUERY)
    (dest / "mokutil-sb-state.txt").write_text("SecureBoot disabled\n")
    return dest

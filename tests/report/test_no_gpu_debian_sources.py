"""On a Debian machine without an NVIDIA GPU there is nothing to install: the sources'
missing contrib and non-free are no warning there (`detect`'s text showed none, its JSON and
the wizard's Detect screen a WARN that "apt offers no NVIDIA driver")."""

import shutil

from nvwizard.host.demo import find_demo
from nvwizard.report.build import build_report
from nvwizard.simulator import bundle_host

MAIN_ONLY = (
    "deb http://deb.debian.org/debian bookworm main\n"
    "deb http://security.debian.org/debian-security bookworm-security main\n"
)


def _bookworm(tmp_path, with_gpu: bool):
    folder = tmp_path / "bookworm"
    shutil.copytree(find_demo("debian12-t4").path, folder)
    (folder / "apt-sources.txt").write_text(MAIN_ONLY)
    if not with_gpu:
        for name in ("sysfs-pci.txt", "lspci-nn.txt"):
            path = folder / name
            lines = path.read_text().splitlines()
            kept = [line for line in lines if "NVIDIA" not in line and "10de" not in line]
            path.write_text("\n".join(kept) + "\n")
    return build_report(bundle_host(folder))


def ids(report) -> set[str]:
    return {f.id for f in report.findings}


def test_no_gpu_no_components_warning(tmp_path):
    report = _bookworm(tmp_path, with_gpu=False)
    assert not report.has_nvidia_gpu
    assert "debian-components-missing" not in ids(report)
    assert "no-nvidia-gpu" in ids(report)


def test_with_a_gpu_the_warning_stays(tmp_path):
    report = _bookworm(tmp_path, with_gpu=True)
    assert "debian-components-missing" in ids(report)

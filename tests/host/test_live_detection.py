"""`build_report` on a LocalHost: the slow commands run only when needed, and side by side.

The machine is a fake root (sysfs with or without an NVIDIA GPU) and fake commands on PATH.
"""

from __future__ import annotations

from pathlib import Path

from nvwizard.host.local import LocalHost
from nvwizard.report.build import build_report


def fake_root(tmp_path: Path, gpu: bool) -> Path:
    root = tmp_path / "root"
    devices = [("0000:00:02.0", "0x030000", "0x1234", "0x1111")]
    if gpu:
        devices.append(("0000:01:00.0", "0x030200", "0x10de", "0x27b8"))
    for address, klass, vendor, device in devices:
        folder = root / "sys/bus/pci/devices" / address
        folder.mkdir(parents=True)
        (folder / "class").write_text(f"{klass}\n")
        (folder / "vendor").write_text(f"{vendor}\n")
        (folder / "device").write_text(f"{device}\n")
    return root


def test_without_a_gpu_neither_apt_nor_ubuntu_drivers_runs(fake_bin, tmp_path):
    ran = tmp_path / "ran"
    for tool in ("apt-cache", "ubuntu-drivers"):
        fake_bin(tool, f"echo {tool} >> {ran}\n")
    fake_bin("dpkg-query", 'printf "nvidia-container-toolkit\\tinstall ok installed\\t1.17\\n"\n')
    host = LocalHost(root=str(fake_root(tmp_path, gpu=False)))
    report = build_report(host)
    assert report.gpus == []
    assert [p.name for p in report.installed_packages] == ["nvidia-container-toolkit"]
    assert not ran.exists()


def _meeting(marks: Path, me: str, other: str, answer: str) -> str:
    """A command that answers only if `other` starts while it runs (waits up to 10 s)."""
    return (
        f": > {marks}/{me}\ni=0\n"
        f"while [ ! -e {marks}/{other} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n"
        f'[ -e {marks}/{other} ] && printf "{answer}"\n'
    )


def test_with_a_gpu_apt_runs_once_beside_the_other_commands(fake_bin, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    stanza = "Package: nvidia-driver-580-open\\nVersion: 580.95.05\\n\\n"
    fake_bin(
        "apt-cache",
        f"echo run >> {tmp_path / 'apt-runs'}\n" + _meeting(marks, "apt", "dpkg", stanza),
    )
    fake_bin("dpkg-query", _meeting(marks, "dpkg", "apt", "bash\\tinstall ok installed\\t5.2\\n"))
    host = LocalHost(root=str(fake_root(tmp_path, gpu=True)))
    report = build_report(host)
    assert [g.device_id for g in report.gpus] == ["27b8"]
    # each answered, so each saw the other running: they ran at the same time
    assert host.read("apt-cache-show.txt") == stanza.replace("\\n", "\n")
    assert host.read("dpkg-query.txt") == "bash\tinstall ok installed\t5.2\n"
    assert (tmp_path / "apt-runs").read_text() == "run\n"
    assert [c.package for c in report.driver_candidates] == ["nvidia-driver-580-open"]

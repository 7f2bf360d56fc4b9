"""Reports built on outputs users posted publicly: the advice on the facts those outputs give.

Sources: tests/detect/samples/*/SOURCES.md.
"""

from __future__ import annotations

from pathlib import Path

from nvwizard.host.bundle import BundleHost
from nvwizard.report.build import build_report

SAMPLES = Path(__file__).resolve().parents[1] / "detect" / "samples"


def bundle(tmp_path: Path, files: dict[str, str]) -> BundleHost:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return BundleHost(tmp_path)


def test_a_branch_290_nvidia_smi_alone_shows_its_gpu(tmp_path):
    # ArchWiki's driver 290.10 table numbers its rows "0.": the GPU it lists is the machine's,
    # not "No NVIDIA GPU found ... there is no driver to install"
    text = (SAMPLES / "nvidia-smi" / "r290-geforce8500-nb-rows.txt").read_text()
    report = build_report(bundle(tmp_path, {"nvidia-smi.txt": text}))
    assert report.has_nvidia_gpu
    assert [(g.pci_address, g.name) for g in report.gpus] == [("0000:01:00.0", "GeForce 8500 GT")]
    assert report.loaded_module is not None and report.loaded_module.version == "290.10"

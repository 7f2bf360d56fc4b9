"""A GPU fallen off the bus, on the command line: `detect` (text and --json) says it, and
`install --yes` refuses it unless accepted by id. The machine is a captured bundle: the
rtx3090-fresh demo's files, its sysfs saying the GPU's config space reads all ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from nvwizard.cli.main import main
from nvwizard.host.demo import find_demo


def lost_gpu_bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    shutil.copytree(find_demo("rtx3090-fresh").path, folder)
    (folder / "machine.txt").unlink()
    sysfs = folder / "sysfs-pci.txt"
    lines = [
        f"{line} revision=0xff" if line.startswith("0000:01:00.0 ") else line
        for line in sysfs.read_text().splitlines()
    ]
    sysfs.write_text("\n".join(lines) + "\n")
    return folder


def test_detect_says_it_in_text_and_json(tmp_path, capsys):
    folder = lost_gpu_bundle(tmp_path)
    assert main(["detect", "--machine", str(folder)]) == 0
    out = capsys.readouterr().out
    assert (
        "  BLOCK gpu-fallen-off-bus: A GPU has fallen off the PCI bus: 0000:01:00.0 (GeForce "
        "RTX 3090), lspci: rev ff, its config space reads all ones." in out
    )
    assert main(["detect", "--machine", str(folder), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [finding] = [f for f in data["findings"] if f["id"] == "gpu-fallen-off-bus"]
    assert finding["severity"] == "block"
    assert finding["fix"].startswith("Installing or reinstalling a driver cannot bring it back")
    assert [(g["pci_address"], g["revision"], g["driver_in_use"]) for g in data["gpus"]] == [
        ("0000:01:00.0", "ff", "nouveau")
    ]


def test_install_yes_refuses_until_it_is_accepted(places, tmp_path, capsys):
    folder = lost_gpu_bundle(tmp_path)
    argv = ["install", "--machine", str(folder), "--yes"]
    assert main(argv) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("nvwizard: not accepted: [gpu-fallen-off-bus] A GPU has fallen off")
    assert err[-1].endswith("add: --accept gpu-fallen-off-bus")
    assert main([*argv, "--accept", "gpu-fallen-off-bus"]) == 0
    assert "Accepted (--accept gpu-fallen-off-bus)" in capsys.readouterr().out

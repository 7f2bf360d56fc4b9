"""A machine without an NVIDIA GPU: `detect` does not ask apt, `plan --driver` still does."""

from __future__ import annotations

import json

from nvwizard.cli.main import main
from tests.report.test_offers import KERNEL, NO_GPU


def _bundle(tmp_path):
    for name, text in NO_GPU.items():
        (tmp_path / name).write_text(text)
    return str(tmp_path)


def test_detect_lists_the_installed_packages_but_no_offers(tmp_path, capsys):
    assert main(["detect", "--json", "--machine", _bundle(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["gpus"] == [] and report["signed_modules_available"] == []
    assert [p["name"] for p in report["installed_packages"]] == [
        "nvidia-container-toolkit",
        "nvidia-driver-535",
    ]


def test_plan_for_a_named_driver_uses_the_signed_modules_apt_offers(tmp_path, capsys):
    machine = _bundle(tmp_path)
    args = ["plan", "--json", "--machine", machine, "--driver", "nvidia-driver-580-server"]
    assert main(args) == 0
    plan = json.loads(capsys.readouterr().out)
    install = next(s for s in plan["steps"] if s["id"] == "install")
    installed = install["commands"][0]
    assert f"linux-modules-nvidia-580-server-{KERNEL}" in installed
    assert "linux-modules-nvidia-580-server-generic" in installed
    assert any("No NVIDIA GPU was found" in w for w in plan["warnings"])

"""`--driver` names a package apt does not offer: refused before anything runs (exit 2, one
line naming what apt offers), not planned with exit 0 for the install's apt simulation to stop
(exit 3). On a machine without a GPU detection does not ask apt, so a named driver makes it
ask; a bundle with no apt listing cannot be checked: a warning, not a refusal."""

from __future__ import annotations

import shutil

import pytest

from nvwizard.cli.main import main
from nvwizard.host.demo import find_demo


@pytest.mark.parametrize(
    "driver", ["nvidia-tesla-535-driver", "nvidia-driver-999-server", "nvidia-open-kernel-dkms"]
)
@pytest.mark.parametrize("command", ["plan", "install"])
def test_a_driver_apt_does_not_offer_is_refused(command, driver, capsys):
    args = [command, "--demo", "vm-no-gpu", "--driver", driver]
    assert main([*args, "--yes"] if command == "install" else args) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert f"--driver {driver}: apt does not offer it here (offered: nvidia-driver-535," in err
    assert "nvidia-driver-580-server-open" in err


def test_a_driver_apt_offers_is_planned_without_a_gpu(capsys):
    assert main(["plan", "--demo", "vm-no-gpu", "--driver", "nvidia-driver-580-server"]) == 0
    out = capsys.readouterr().out
    assert "nvidia-headless-no-dkms-580-server" in out and "No NVIDIA GPU was found" in out
    assert "cannot check that apt offers" not in out


def test_a_bundle_without_an_apt_listing_is_warned_not_refused(tmp_path, capsys):
    bundle = tmp_path / "vm"
    shutil.copytree(find_demo("vm-no-gpu").path, bundle)
    (bundle / "apt-cache-show.txt").unlink()
    args = ["plan", "--machine", str(bundle), "--driver", "nvidia-tesla-535-driver"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "cannot check that apt offers nvidia-tesla-535-driver" in out

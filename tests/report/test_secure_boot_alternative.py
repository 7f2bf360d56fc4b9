"""The driver a demo's Secure Boot warning names instead of a DKMS build: a supported branch
with Canonical's signed modules when one exists; else an ended one, said to be ended."""

from __future__ import annotations

from nvwizard.host.demo_advice import DemoRef
from nvwizard.knowledge import secure_boot as sb
from nvwizard.report.secure_boot import dkms_plan_warning, how_it_ended, signed_alternative

from .helpers import candidate, gpu, offered, report

KERNEL = "5.15.0-163-generic"
GTX1080 = [gpu("1b80", "GP104 [GeForce GTX 1080]")]


def pascal(signed_branches: list[str]):
    candidates = offered(
        [
            candidate(f"nvidia-driver-{flavour}", GTX1080)
            for flavour in ("580", "580-server", "570", "570-server", "535-server")
        ]
    )
    return report(
        kernel=KERNEL,
        gpus=GTX1080,
        secure_boot="enabled",
        driver_candidates=candidates,
        recommended_driver="nvidia-driver-580-server",
        signed_modules_available=[f"linux-modules-nvidia-{b}-{KERNEL}" for b in signed_branches],
        demo=DemoRef("gtx1080-secureboot"),
    )


def test_a_supported_branch_with_signed_modules_comes_before_an_ended_one():
    found = pascal(["570-server", "580-server"])
    alternative = signed_alternative(found, "nvidia-driver-580-server")
    assert alternative is not None and alternative.package == "nvidia-driver-580-server"
    assert how_it_ended(alternative) is None
    warning = dkms_plan_warning(found, "nvidia-driver-580")
    assert (
        "A supported driver with Canonical's signed modules for this kernel does (e.g. "
        "nvidia-driver-580-server)."
    ) in warning
    assert "570" not in warning


def test_only_ended_branches_with_signed_modules_are_named_as_ended():
    found = pascal(["570-server", "535-server"])
    alternative = signed_alternative(found, "nvidia-driver-580-server")
    assert alternative is not None and alternative.package == "nvidia-driver-570-server"
    assert how_it_ended(alternative) == "branch 570 ended 2026-02"
    warning = dkms_plan_warning(found, "nvidia-driver-580-server")
    assert (
        "No supported driver has Canonical's signed modules for this kernel; "
        "nvidia-driver-570-server, past its end of life (branch 570 ended 2026-02), has them: "
        "it loads, without NVIDIA's fixes."
    ) in warning
    assert "e.g." not in warning


def test_no_signed_modules_names_no_driver():
    assert signed_alternative(pascal([]), "nvidia-driver-580-server") is None
    assert sb.signed_instead(None) == ""

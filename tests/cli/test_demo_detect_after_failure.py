"""Detection on a demo that a failed install left half-configured (kept in NVWIZARD_STATE_DIR):
its findings say what repairs the demo, never this computer's `sudo dpkg --configure -a`, in
`detect`'s text and JSON and in the wizard's Detect summary."""

from __future__ import annotations

import json

import pytest

from nvwizard.cli.main import main
from nvwizard.tui.tour import demo_app, settle

DEMO = "gtx1080-secureboot"
DRIVER = "nvidia-driver-580"
ACCEPT = ("--accept", "secure-boot-dkms-only")  # its module is built by DKMS


def demo_fix(saved) -> str:
    return (
        "Repair the demo: an install's plan first finishes what the demo's package manager left "
        f"unfinished (the wizard's install, or `nvwizard install --demo {DEMO}`; add `--driver` "
        "for another driver than the recommended one), or reset the demo to its bundle: "
        f"`rm {saved}`."
    )


@pytest.fixture
def failed_demo(places, monkeypatch, capsys):
    """The demo after an install whose DKMS package failed to configure; the cause now gone."""
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-dkms-580")
    assert main(["install", "--demo", DEMO, "--driver", DRIVER, "--yes", *ACCEPT]) == 1
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL")
    capsys.readouterr()
    state_dir, _log = places
    return state_dir / "demo-machines" / f"{DEMO}.json"


def test_detect_text_says_what_repairs_the_demo(failed_demo, capsys):
    assert main(["detect", "--demo", DEMO]) == 0
    out = capsys.readouterr().out
    assert "BLOCK dpkg-interrupted" in out and "BLOCK half-configured-packages" in out
    assert out.count(f"fix: {demo_fix(failed_demo)}") == 2
    assert "dpkg --configure" not in out and "apt-get -f install" not in out


def test_detect_json_says_what_repairs_the_demo(failed_demo, capsys):
    assert main(["detect", "--demo", DEMO, "--json"]) == 0
    findings = {f["id"]: f for f in json.loads(capsys.readouterr().out)["findings"]}
    for blocking in ("dpkg-interrupted", "half-configured-packages"):
        assert findings[blocking]["fix"] == demo_fix(failed_demo)


def test_the_plan_made_then_carries_the_demo_s_words(failed_demo, capsys):
    """A plan repeats the blocking findings as warnings: in the demo's words too."""
    assert main(["plan", "--demo", DEMO, "--driver", DRIVER, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["steps"][0]["id"] == "repair"
    assert any(demo_fix(failed_demo) in warning for warning in plan["warnings"])
    assert not any("dpkg --configure" in warning for warning in plan["warnings"])


async def test_the_wizard_s_detect_summary_says_what_repairs_the_demo(failed_demo):
    app = demo_app(DEMO)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        summary = app.screen.query_one("#summary").plain.replace("\n", " ")
        assert "dpkg was interrupted" in summary
        assert f"fix: {demo_fix(failed_demo)}" in summary
        assert "dpkg --configure" not in summary


def test_a_bundle_s_findings_keep_this_computer_s_commands():
    """A bundle is a real machine's capture: its repair is still `sudo dpkg --configure -a`."""
    from nvwizard.report import findings
    from tests.report.helpers import report

    found = findings.find_all(report(dpkg_interrupted=True))
    assert found[0].fix == "Run `sudo dpkg --configure -a` before changing the driver."

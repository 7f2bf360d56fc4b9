"""The wizard's Detect screen on a captured bundle whose GPU fell off the bus: the finding
is shown with its fix, as every finding is (keys only, the real layers below)."""

from __future__ import annotations

from nvwizard.host.bundle import BundleHost
from nvwizard.tui.app import WizardApp
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.state import WizardState
from nvwizard.tui.tour import settle
from tests.cli.test_bus_findings_cli import lost_gpu_bundle
from tests.tui.test_demo_machines import SIZE, screen_name, text_of


async def test_detect_shows_the_gpu_fallen_off_the_bus(places, tmp_path):
    host = BundleHost(lost_gpu_bundle(tmp_path))
    app = WizardApp(WizardState(host=host), LayersBackend(), spinners=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"
        summary = " ".join(text_of(app, "#summary").split())
        assert "BLOCK A GPU has fallen off the PCI bus: 0000:01:00.0 (GeForce RTX 3090)" in summary
        assert "fix: Installing or reinstalling a driver cannot bring it back" in summary

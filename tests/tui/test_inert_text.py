"""Control characters in machine data reach the wizard's screen as escapes (`\\x1b`, `\\x07`),
never as the characters themselves: every text the wizard shows passes through its own
boundary (tui/shown_text.py), on every screen. A BEL shows as `\\x07`, which Textual alone
would strip: the escapes are the wizard's own."""

from __future__ import annotations

import shutil
from dataclasses import replace

from nvwizard.engine import events as ev
from nvwizard.engine.state import VerifyCheck, VerifyResult
from nvwizard.host.demo import DEMO_ROOT
from nvwizard.simulator.select import bundle_host
from nvwizard.tui.app import WizardApp
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.state import WizardState
from nvwizard.tui.tour import TOUR_DAY, settle
from tests.tui.fakes import FakeBackend, FakeHost, FakeRun, fake_report
from tests.tui.test_walk_fake import make_app, screen_name
from tests.tui.test_walk_fake import settle as settle_fake

CONTROLS = {chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}
CONTROLS |= {"\u202e", "\u2066"}
# What a stranger's bundle may hold: a title change ending in BEL, reverse video, a screen
# clear, colours, a backspace, a C1 CSI and a right-to-left override.
LABEL = "bundle /tmp/capture\x1b]0;owned\x07"
OS = "Ubuntu \x1b[7mREV\x1b[0m 24.04\x07"
GPU = "H100\x1b[2J SXM5 80GB"
VERSION = "535.183.01-0ubuntu1\x1b[31m"
UNRUNNABLE = "nvidia-driver-470-server\x1b[5m"
REASON = "branch 470 does not support\x08 Hopper GPUs"
LOG_LINE = "Unpacking nvidia-utils\x9b31m (580.95.05) \u202e..."
RESULT = "DEMO: would schedule the reboot \x1b[2J\x07"
CHECK = "nvidia 580.95.05 (open)\x1b[1A\x1b[2K"


def poisoned_report():
    report = fake_report()
    report.os = OS
    report.gpus = [replace(report.gpus[0], name=GPU)]
    report.installed_packages = [replace(p, version=VERSION) for p in report.installed_packages]
    report.driver_candidates = [
        replace(c, package=UNRUNNABLE, reason=REASON) if not c.runnable else c
        for c in report.driver_candidates
    ]
    return report


class PoisonedRun(FakeRun):
    def run(self) -> None:
        self.sink(ev.StepOutput(self.plan.steps[0].id, "stdout", (LOG_LINE,)))
        super().run()


class PoisonedBackend(FakeBackend):
    def start_apply(self, host, plan, sink):
        return PoisonedRun(plan, sink)

    def reboot(self, host, delay_minutes):
        self.reboots.append(delay_minutes)
        return RESULT

    def await_reboot(self, host, hurry=None):
        return False  # stays on the Reboot screen, its result shown

    def verify(self, host):
        return VerifyResult([VerifyCheck("module loaded", True, CHECK)])


def screen_rows(app) -> list[str]:
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


class Screens:
    """Every screen shown: none may hold a control character itself."""

    def __init__(self, app) -> None:
        self.app = app

    def look(self) -> str:
        rows = screen_rows(self.app)
        raw = [row for row in rows if set(row) & CONTROLS]
        assert not raw, (screen_name(self.app), raw)
        return "\n".join(rows)


async def test_every_screen_shows_machine_data_s_control_characters_as_escapes():
    backend = PoisonedBackend(report=poisoned_report())
    app = make_app(backend, host=FakeHost(kind="bundle", label=LABEL))
    async with app.run_test(size=(120, 40)) as pilot:
        screens = Screens(app)
        await settle_fake(pilot)
        detect = screens.look()
        assert "bundle /tmp/capture\\x1b]0;owned\\x07)" in detect  # the banner
        assert "Ubuntu \\x1b[7mREV\\x1b[0m 24.04\\x07" in detect
        assert "H100\\x1b[2J SXM5 80GB" in detect
        await pilot.press("n")
        await settle_fake(pilot)
        assert "535.183.01-0ubuntu1\\x1b[31m" in screens.look()  # the purge list
        await pilot.press("n", "enter")
        await settle_fake(pilot)
        assert screen_name(app) == "SelectScreen"
        assert "470-server\\x1b[5m" in screens.look()  # the driver table
        await pilot.press("down", "down", "enter")  # the driver that cannot run here: refused
        await settle_fake(pilot)
        assert screen_name(app) == "SelectScreen"
        assert "does not support\\x08 Hopper" in screens.look()  # the notification
        await pilot.press("up", "up", "enter")
        await settle_fake(pilot)
        assert screen_name(app) == "StackScreen"
        screens.look()
        await pilot.press("enter")
        await settle_fake(pilot)
        screens.look()  # the plan
        await pilot.press("n", "enter")
        await settle_fake(pilot)
        assert app.state.outcome.status == "done"
        assert "Unpacking nvidia-utils\\x9b31m (580.95.05) \\u202e..." in screens.look()
        await pilot.press("l")
        await settle_fake(pilot)
        assert screen_name(app) == "LogScreen"
        assert "nvidia-utils\\x9b31m" in screens.look()  # the full log
        await pilot.press("escape", "n")
        await settle_fake(pilot)
        assert screen_name(app) == "RebootScreen"
        await pilot.press("enter")  # in one minute: the result (the machine stays down)
        await settle_fake(pilot)
        assert backend.reboots == [1]
        assert "the reboot \\x1b[2J\\x07" in screens.look()
        app.go("verify")
        await settle_fake(pilot)
        assert screen_name(app) == "VerifyScreen"
        assert "(open)\\x1b[1A\\x1b[2K" in screens.look()


async def test_the_detect_summary_of_a_bundle_shows_its_escape_sequences_inert(tmp_path):
    bundle = shutil.copytree(DEMO_ROOT / "nvml-mismatch", tmp_path / "bundle\x1b[5m")
    release = (bundle / "os-release.txt").read_text().splitlines()
    release = [
        'PRETTY_NAME="Ubuntu \x1b[7mREV\x1b[0m 22.04\x07"'
        if line.startswith("PRETTY_NAME=")
        else line
        for line in release
    ]
    (bundle / "os-release.txt").write_text("\n".join(release) + "\n")
    app = WizardApp(
        WizardState(host=bundle_host(bundle)), LayersBackend(today=TOUR_DAY), spinners=False
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = "\n".join(screen_rows(app))
    assert "Ubuntu \\x1b[7mREV\\x1b[0m 22.04\\x07" in screen
    assert "bundle\\x1b[5m" in screen  # the banner and the progress line
    assert not set(screen) & CONTROLS

"""A demo or bundle machine is detected ahead in a child process while the wizard imports
Textual (cli/detect_ahead.py): the first frame shows the child's view, then the wizard builds
its own state (tui/detected_ahead.py). What it shows must be what the Detect screen shows on
its own, for every demo; a child that fails in any way changes nothing but the speed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from textual import events

from nvwizard.cli import detect_ahead, wizard_cmd
from nvwizard.cli.main import main
from nvwizard.errors import EXIT_USAGE
from nvwizard.host.demo import DEMOS, find_demo
from nvwizard.tui.app import WizardApp
from nvwizard.tui.detected_ahead import DetectedAheadApp
from nvwizard.tui.widgets.footer import shown_keys
from tests.tui.test_walk_fake import settle

SIZE = (80, 24)


def shown(app) -> dict[str, object]:
    """What the Detect screen shows: each text, the summary's toned lines, the footer keys."""
    screen = app.screen
    assert type(screen).__name__ == "DetectScreen"
    texts = {
        f"#{name}": str(screen.query_one(f"#{name}").render())
        for name in ("banner", "progress", "hint")
    }
    return {
        **texts,
        "banner shown": screen.query_one("#banner").display,
        "summary": list(screen.query_one("#summary").lines),
        "keys": shown_keys(screen),
    }


async def shown_by_the_wizard_alone(machine: str | None, demo: str | None) -> dict:
    app = WizardApp(*wizard_cmd.wizard_state(machine, demo), spinners=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        return shown(app)


def bundle_of(tmp_path) -> str:
    folder = tmp_path / "bundle"
    shutil.copytree(find_demo("rtx3090-fresh").path, folder)
    return str(folder)


@pytest.mark.parametrize("demo", [d.name for d in DEMOS] + ["a bundle"])
async def test_the_first_frame_shows_what_the_detect_screen_shows(demo, places, tmp_path):
    machine, demo = (bundle_of(tmp_path), None) if demo == "a bundle" else (None, demo)
    ahead = detect_ahead.start(machine, demo)
    assert ahead is not None
    view = ahead.view()
    assert view is not None, "the child failed"
    before_ready = {}

    def build_state():
        before_ready.update(shown(app))  # the first frame is painted; the state is not built
        return wizard_cmd.wizard_state(machine, demo)

    app = DetectedAheadApp(view, build_state)
    app.spinners = False
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.ready
        after_ready = shown(app)
    alone = await shown_by_the_wizard_alone(machine, demo)
    assert alone["#progress"].startswith("✓ Detected ")
    assert before_ready == alone
    assert after_ready == alone


def test_the_view_survives_its_way_through_json():
    plain = {
        "banner": "DEMO: x",
        "progress": "✓ Detected x",
        "summary": [["line", "warn", 2]],
        "hint": "Press q to quit.",
        "failed": False,
        "next_step": None,
        "offers_demo": False,
        "offers_verify": True,
    }
    view = detect_ahead.view_from_plain(plain)
    assert view.summary[0].tone == "warn" and view.summary[0].hang == 2
    assert detect_ahead.plain_view(view) == plain
    with pytest.raises(TypeError):
        detect_ahead.view_from_plain({**plain, "summary": "not lines"})
    with pytest.raises(TypeError):
        detect_ahead.view_from_plain({**plain, "unknown": 1})
    with pytest.raises(TypeError):
        detect_ahead.view_from_plain({**plain, "failed": "no"})


# -- a child that fails: the wizard starts as it did without it --------------------------------


def _raises(*_args):
    raise RuntimeError("the child's detection broke")


def _killed(*_args):
    os.kill(os.getpid(), signal.SIGKILL)


def _unsendable(*_args):
    return object()  # not a view: nothing JSON can carry


def _hangs(*_args):
    time.sleep(60)


@pytest.mark.parametrize("child", [_raises, _killed, _unsendable, _hangs])
def test_a_child_that_fails_gives_no_view_and_leaves_no_zombie(child, monkeypatch):
    monkeypatch.setattr(detect_ahead, "detect_view", child)  # what the forked child runs
    ahead = detect_ahead.start(None, "hgx-h100")
    assert ahead is not None
    assert ahead.view(timeout_s=1.0) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(ahead.pid, os.WNOHANG)  # reaped


class Started(Exception):
    """Raised instead of running the wizard: the app it would have run."""


@pytest.fixture
def started(monkeypatch, places):
    """Run `nvwizard` up to the app it starts (not run: raised as `Started`)."""

    def run(app):
        raise Started(app)

    monkeypatch.setattr(WizardApp, "run", run)
    monkeypatch.setattr(wizard_cmd, "refuse_unless_full_screen", lambda *_: None)

    def start(argv: list[str]):
        with pytest.raises(Started) as raised:
            main(argv)
        return raised.value.args[0]

    return start


def test_a_demo_starts_from_the_child_s_view(started):
    app = started(["--demo", "gtx1080-secureboot"])
    assert isinstance(app, DetectedAheadApp)
    assert app.shown.progress == "✓ Detected demo gtx1080-secureboot"


def test_a_failed_child_starts_the_wizard_as_before(started, monkeypatch):
    monkeypatch.setattr(detect_ahead, "detect_view", _raises)
    app = started(["--demo", "gtx1080-secureboot"])
    assert type(app) is WizardApp
    assert app.state.host.label == "demo gtx1080-secureboot"


def test_this_machine_is_never_forked_for(started, monkeypatch):
    from nvwizard.simulator import select
    from tests.tui.fakes import FakeHost

    def no_fork():
        raise AssertionError("forked for this machine")

    monkeypatch.setattr(os, "fork", no_fork)
    this_machine = FakeHost()  # stands for LocalHost: what no --machine or --demo asks for
    monkeypatch.setattr(select, "host_from_args", lambda machine, demo: this_machine)
    assert detect_ahead.start(None, None) is None
    app = started([])
    assert type(app) is WizardApp and app.state.host is this_machine


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--machine", "/nonexistent-bundle"], "nvwizard: --machine /nonexistent-bundle: no such"),
        (["--demo", "no-such-demo"], "nvwizard: unknown demo machine 'no-such-demo'"),
    ],
)
def test_a_bad_machine_gets_one_line_and_its_exit_code_before_any_screen(argv, said, places):
    done = subprocess.run(
        [sys.executable, "-m", "nvwizard", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    assert done.returncode == EXIT_USAGE
    assert done.stdout == ""  # nothing drawn
    assert done.stderr.startswith(said) and done.stderr.count("\n") == 1, done.stderr


# -- keys before the state is built ----------------------------------------------------------


async def test_keys_before_the_state_is_built_are_held_then_handled_in_order(places):
    ahead = detect_ahead.start(None, "hgx-h100")
    assert ahead is not None
    view = ahead.view()
    assert view is not None and view.next_step == "purge"
    app = DetectedAheadApp(view, lambda: wizard_cmd.wizard_state(None, "hgx-h100"))
    build = app._build_state
    app._build_state = lambda: app.set_timer(0.5, build)  # keys have time to come meanwhile
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key, character in (("j", "j"), ("n", "n")):  # typed while the first frame is up
            app.post_message(events.Key(key, character))
        await pilot.pause(0.1)
        assert not app.ready and type(app.screen).__name__ == "DetectScreen"
        assert [key.key for key in app.held_keys or []] == ["j", "n"]
        await pilot.pause(0.6)
        await settle(pilot)
        assert app.ready
        # n went to Purge, from the real state
        assert type(app.screen).__name__ == "PurgeScreen"
        assert app.state.report is not None and app.state.proposed_purge


def test_the_wizard_forks_before_it_imports_textual_or_the_model():
    """The parent imports neither Textual before the fork (the child would not race it) nor
    the model and detection modules before its first frame (the child's work)."""
    code = (
        "import sys\n"
        "from nvwizard.cli import detect_ahead, main\n"
        "start, view = detect_ahead.start, detect_ahead.DetectingAhead.view\n"
        "def forked(*args):\n"
        "    print('at fork:', 'textual' in sys.modules)\n"
        "    return start(*args)\n"
        "def answered(self, *args):\n"
        "    seen = view(self, *args)\n"
        "    late = [m for m in sys.modules if m.startswith(('nvwizard.detect', "
        "'nvwizard.report', 'nvwizard.knowledge', 'nvwizard.simulator', 'nvwizard.tui.backend'))]\n"
        "    print('before the frame:', 'textual.app' in sys.modules, late, seen is not None)\n"
        "    raise SystemExit(0)\n"
        "detect_ahead.start, detect_ahead.DetectingAhead.view = forked, answered\n"
        "main.main(['--demo'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.splitlines() == ["at fork: False", "before the frame: True [] True"]

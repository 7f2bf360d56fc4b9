"""Child process of the log-flood figure: the real wizard, opened on its Install screen, applying
a plan whose one command prints a flood (see flood_host.py).

    python -m benchmarks.flood_app engine|headless|terminal --lines N --result FILE --log-dir D

engine:   the engine and its journal alone, no UI (the baseline).
headless: the wizard headless at 80x24; a pilot presses keys while it floods (unless
          --no-keys: then the figure is the pure absorption rate).
follow:   as headless, but the engine runs in another process and the wizard follows its
          journal, as on a real machine (the detached worker).
terminal: the wizard in the real terminal; the parent drives it through tmux.
Results go to FILE as JSON, rewritten at each milestone, so the parent can follow them.
Times are `time.monotonic()` (system-wide on Linux, comparable with the parent's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path

# The journal's directories; set before nvwizard reads them.
_LOG_DIR_ARG = "--log-dir"

HELP_SCREEN, LOG_SCREEN, INSTALL_SCREEN = "HelpScreen", "LogScreen", "InstallScreen"
WATCH_INTERVAL_S = 0.02
KEY_GAP_S = 0.05
SETTLE_S = 0.3
FULL_LOG_SETTLE_S = 0.5  # the full log's RSS is read this long after it opened


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def file_lines(path: str | None) -> int:
    if not path or not Path(path).exists():
        return 0
    with open(path, "rb") as log:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: log.read(1 << 20), b""))


class ResultFile:
    def __init__(self, path: str):
        self.path = Path(path)
        self.data: dict = {}

    def update(self, **values) -> None:
        self.data.update(values)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data), encoding="utf-8")
        os.replace(temporary, self.path)


def run_engine_only(count: int, result: ResultFile, lock_dir: str | None = None) -> None:
    """The engine alone; with `lock_dir`, under the apply lock there, as the detached worker
    runs it (a follower stops following when nobody holds that lock)."""
    from benchmarks.flood_host import FloodHost, flood_plan
    from nvwizard.engine.journal import Journal
    from nvwizard.engine.lock import ApplyLock
    from nvwizard.engine.runner import Engine

    host = FloodHost(count)
    journal = Journal.for_host(host)
    lock = ApplyLock(Path(lock_dir)) if lock_dir else None
    if lock is not None:
        lock.acquire(driver="flood", journal=str(journal.events_path))
    result.update(events_path=str(journal.events_path))  # a follower waits for this
    started = time.monotonic()
    try:
        with journal:
            outcome = Engine(host, flood_plan(host.label), journal=journal).run()
    finally:
        if lock is not None:
            lock.release()
    finished = time.monotonic()
    result.update(
        ok=outcome.ok,
        started_at=started,
        absorbed_at=finished,
        rss_mb=rss_mb(),
        peak_rss_mb=peak_rss_mb(),
        disk_log_lines=file_lines(str(journal.log_path)),
        phase="exited",
    )


def start_engine_process(count: int, scratch: Path):
    """The engine in its own process, as `sudo nvwizard` runs it on a real machine (detached
    worker writing the journal); returns the path of the events journal it writes."""
    import subprocess

    engine_result = scratch / "engine-process.json"
    argv = [sys.executable, "-m", "benchmarks.flood_app", "engine", "--lines", str(count)]
    argv += ["--result", str(engine_result), _LOG_DIR_ARG, str(scratch / "engine-process")]
    argv += ["--lock-dir", os.environ["NVWIZARD_STATE_DIR"]]
    subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            return json.loads(engine_result.read_text(encoding="utf-8"))["events_path"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.01)
    raise TimeoutError("the engine process did not start its journal")


def build_app(count: int, result: ResultFile, follow_from: Path | None = None):
    from benchmarks.flood_host import FloodBackend, FloodHost
    from nvwizard.tui import flow
    from nvwizard.tui.app import WizardApp
    from nvwizard.tui.state import WizardState

    class TimedBackend(FloodBackend):
        def start_apply(self, host, plan, sink):
            def timed_sink(event) -> None:
                if "started_at" not in result.data:  # written now: the parent waits for it
                    result.update(started_at=time.monotonic())
                if event.kind == "plan-finished":
                    result.data["engine_finished_at"] = time.monotonic()
                sink(event)

            if follow_from is None:
                return super().start_apply(host, plan, timed_sink)
            from nvwizard.engine.detach import DetachedRun

            result.data["started_at"] = time.monotonic()
            events_path = start_engine_process(count, follow_from)
            self._run = DetachedRun(None, timed_sink, events_path=events_path)
            return self._run

    class FloodWizardApp(WizardApp):
        """The wizard, sent to Install once detection is done, watched from a light timer."""

        # A relative CSS_PATH is resolved next to the subclass: point back at the wizard's.
        CSS_PATH = str(Path(sys.modules[WizardApp.__module__].__file__).parent / WizardApp.CSS_PATH)

        def on_mount(self) -> None:
            super().on_mount()
            self._went_to_install = False
            self.set_interval(WATCH_INTERVAL_S, self._watch)

        def _watch(self) -> None:
            screen = type(self.screen).__name__
            if not self._went_to_install and getattr(self.screen, "detecting", True) is False:
                self._went_to_install = True
                self.go(flow.INSTALL)
            if self.state.outcome is not None and "absorbed_at" not in result.data:
                self._record_done()
            if screen == LOG_SCREEN and "full_log_shown_at" not in result.data:
                result.data["full_log_shown_at"] = time.monotonic()
            shown_at = result.data.get("full_log_shown_at")
            if shown_at and "full_log_rss_mb" not in result.data:
                if time.monotonic() - shown_at >= FULL_LOG_SETTLE_S:  # its lines written
                    result.update(full_log_rss_mb=rss_mb(), full_log_peak_rss_mb=peak_rss_mb())

        def _record_done(self) -> None:
            absorbed_at = time.monotonic()
            install = next(s for s in self.screen_stack if type(s).__name__ == INSTALL_SCREEN)
            log = install.query_one("#log")
            result.update(
                ok=self.state.outcome.status == "done",
                absorbed_at=absorbed_at,
                rss_mb=rss_mb(),
                peak_rss_mb=peak_rss_mb(),
                screen_log_lines=log.line_count,
                screen_log_max_lines=log.max_lines,
                memory_log_lines=len(self.controllers.install.progress.lines),
                disk_log_lines=file_lines(self.state.outcome.log_path),
                disk_log=self.state.outcome.log_path,
                phase="done",
            )

    return FloodWizardApp(WizardState(host=FloodHost(count)), TimedBackend())


async def _wait_until(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the wizard did not get there in time")
        await asyncio.sleep(0.001)


async def _next_refresh(app) -> float:
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(time.monotonic()))
    return await done


async def _key_reaction(app, key: str, character: str, reacted) -> float:
    """Seconds from a key arriving (as the driver posts it) to the screen reacting, painted."""
    from textual import events

    sent = time.monotonic()
    app.post_message(events.Key(key, character))
    await _wait_until(reacted)
    return await _next_refresh(app) - sent


async def _help_toggle(app) -> list[float]:
    def screen():
        return type(app.screen).__name__

    opened = await _key_reaction(app, "question_mark", "?", lambda: screen() == HELP_SCREEN)
    await asyncio.sleep(KEY_GAP_S)
    closed = await _key_reaction(app, "question_mark", "?", lambda: screen() != HELP_SCREEN)
    return [opened, closed]


def headless_pilot(result: ResultFile, idle_keys: int, keys_while_flooding: bool = True):
    async def pilot_flood(pilot) -> None:
        try:
            await drive(pilot.app)
        except Exception as error:  # leave, and say why, rather than hang headless forever
            result.update(error=f"{type(error).__name__}: {error}")
            pilot.app.exit(return_code=1)

    async def drive(app) -> None:
        await _wait_until(lambda: getattr(app.screen, "phase", "") == "confirm")
        idle: list[float] = []
        for _ in range(idle_keys):
            idle += await _help_toggle(app)
            await asyncio.sleep(KEY_GAP_S)
        await asyncio.sleep(SETTLE_S)  # closing the help restores the old focus a moment later
        await _key_reaction(app, "n", "n", lambda: True)
        await asyncio.sleep(SETTLE_S)
        await _key_reaction(app, "enter", "\r", lambda: "started_at" in result.data)
        flooding: list[float] = []
        while "absorbed_at" not in result.data:
            if keys_while_flooding:
                flooding += await _help_toggle(app)
            await asyncio.sleep(KEY_GAP_S)
        full_log = await _key_reaction(
            app, "l", "l", lambda: type(app.screen).__name__ == LOG_SCREEN
        )
        result.update(idle_latencies=idle, flood_latencies=flooding, full_log_s=full_log)
        await _wait_until(lambda: "full_log_rss_mb" in result.data)
        app.exit()

    return pilot_flood


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flood_app")
    parser.add_argument("mode", choices=("engine", "headless", "terminal", "follow"))
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--result", required=True)
    parser.add_argument(_LOG_DIR_ARG, required=True)
    parser.add_argument("--idle-keys", type=int, default=5)
    parser.add_argument("--lock-dir", help="engine: hold the apply lock of this state dir")
    parser.add_argument(
        "--no-keys", action="store_true", help="headless: press no key while flooding"
    )
    args = parser.parse_args(argv)
    os.environ["NVWIZARD_LOG_DIR"] = str(Path(args.log_dir) / "log")
    os.environ["NVWIZARD_STATE_DIR"] = str(Path(args.log_dir) / "state")
    result = ResultFile(args.result)
    result.update(mode=args.mode, lines=args.lines, phase="starting", pid=os.getpid())
    if args.mode == "engine":
        run_engine_only(args.lines, result, args.lock_dir)
        return 0
    follow_from = Path(args.log_dir) if args.mode == "follow" else None
    app = build_app(args.lines, result, follow_from)
    if args.mode in ("headless", "follow"):
        pilot = headless_pilot(result, args.idle_keys, not args.no_keys)
        app.run(headless=True, size=(80, 24), auto_pilot=pilot)
    else:
        app.run()
    # The flood's own peak was read when the flood ended (peak_rss_mb), the full log's after
    # `l`: this last one covers the whole run.
    result.update(phase="exited", exit_rss_mb=rss_mb(), exit_peak_rss_mb=peak_rss_mb())
    return 0


if __name__ == "__main__":
    sys.exit(main())

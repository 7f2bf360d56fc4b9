"""Run `nvwizard` (its command, its options) headless at 80x24 under a Pilot script: the
probes' shared start. Headless on purpose, so the wizard's refusal of a pipe or TERM=dumb
(there is no terminal here) is switched off; everything else runs as the command does, in its
order too: the wizard forks its detection ahead before it imports Textual (cli/detect_ahead.py),
so Textual's App is made headless once the wizard imports it, not imported here first."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from importlib.machinery import PathFinder
from types import ModuleType


def run_headless(auto_pilot, on_run: Callable[[], None] | None = None) -> None:
    """Every App started from now on runs headless at 80x24, driven by `auto_pilot`
    (`on_run()` first: the app is built)."""
    from textual.app import App

    original_run = App.run

    def run(self, *args, **kwargs):
        if on_run is not None:
            on_run()
        kwargs.update(headless=True, size=(80, 24), auto_pilot=auto_pilot)
        return original_run(self, *args, **kwargs)

    App.run = run  # type: ignore[method-assign]


class ImportWatch:
    """Watches the imports (a finder that finds nothing itself): `began_cpu` is the process's
    CPU time when Rich or Textual began to be imported, `done_cpu` when `textual.app` was,
    and `then()` runs at that moment."""

    def __init__(self, then: Callable[[], None]) -> None:
        self.then = then
        self.began_cpu: float | None = None
        self.done_cpu: float | None = None

    def find_spec(self, name: str, path=None, target=None):
        if name in ("rich", "textual") and self.began_cpu is None:
            self.began_cpu = time.process_time()
        if name != "textual.app":
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module  # type: ignore[attr-defined]

        def exec_module(module: ModuleType) -> None:
            execute(module)
            self.done_cpu = time.process_time()
            self.then()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def run_wizard_headless(auto_pilot, options: list[str]) -> int:
    """`nvwizard OPTIONS` (the bundled demo when none), headless under `auto_pilot`."""
    watch = ImportWatch(lambda: run_headless(auto_pilot))
    return run_wizard_watched(watch, options)


def run_wizard_watched(watch: ImportWatch, options: list[str]) -> int:
    """`nvwizard OPTIONS`, with `watch` on the imports from now on."""
    if "textual.app" in sys.modules:  # imported by the caller: the wizard's child races less
        watch.then()
    else:
        sys.meta_path.insert(0, watch)
    from nvwizard.cli import wizard_cmd
    from nvwizard.cli.main import main as nvwizard_main

    wizard_cmd.refuse_unless_full_screen = lambda *_: None
    return nvwizard_main(options or ["--demo"])

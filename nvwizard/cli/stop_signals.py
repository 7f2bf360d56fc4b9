"""SIGTERM and SIGHUP end a command the way Ctrl+C does, not by the default sudden death.

Python's default for them ends the process at once: no `finally`, no `atexit`, so a demo
apply stopped in the middle of a step and its temporary journal folder
(`/tmp/nvwizard-demo-*`, engine/journal.py) stayed behind. `stopping_like_ctrl_c()` turns each
into a `Terminated` exception on the main thread instead. It is a KeyboardInterrupt, so what
Ctrl+C does, they do: a demo or bundle apply is cancelled after the running step
(cli/apply_console.py); anywhere else the command ends, cleaning up, and `main()` exits with
128 plus the signal's number (129, 143). The wizard has its own handling (tui/) and the
detached worker its own (engine/detach.py).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived; str() is the signal's name."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(signum)


@contextmanager
def stopping_like_ctrl_c() -> Iterator[None]:
    """Within it, SIGTERM and SIGHUP raise `Terminated` in the main thread; the handlers
    before it come back after it (main() may be called more than once in a process: tests).
    Elsewhere than the main thread it changes nothing (Python allows handlers only there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {signum: signal.signal(signum, _raise_terminated) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)

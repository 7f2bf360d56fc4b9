"""Run `nvwizard` (its command, its options) headless at 80x24 under a Pilot script: the
probes' shared start. Headless on purpose, so the wizard's refusal of a pipe or TERM=dumb
(there is no terminal here) is switched off; everything else runs as the command does."""

from __future__ import annotations

from textual.app import App


def run_headless(auto_pilot) -> None:
    """Every App started from now on runs headless at 80x24, driven by `auto_pilot`."""
    original_run = App.run

    def run(self, *args, **kwargs):
        kwargs.update(headless=True, size=(80, 24), auto_pilot=auto_pilot)
        return original_run(self, *args, **kwargs)

    App.run = run  # type: ignore[method-assign]


def run_wizard_headless(auto_pilot, options: list[str]) -> int:
    """`nvwizard OPTIONS` (the bundled demo when none), headless under `auto_pilot`."""
    run_headless(auto_pilot)
    from nvwizard.cli import wizard_cmd
    from nvwizard.cli.main import main as nvwizard_main

    wizard_cmd.refuse_unless_full_screen = lambda *_: None
    return nvwizard_main(options or ["--demo"])

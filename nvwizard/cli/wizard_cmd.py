"""`nvwizard` with no subcommand: the wizard. The only command path that imports Textual."""

from __future__ import annotations

import argparse

from nvwizard.simulator.select import host_from_args


def run(args: argparse.Namespace) -> int:
    host = host_from_args(getattr(args, "machine", None), getattr(args, "demo", None))
    from nvwizard.tui.app import WizardApp
    from nvwizard.tui.backend import LayersBackend
    from nvwizard.tui.state import WizardState

    app = WizardApp(WizardState(host=host), LayersBackend())
    app.run()
    return app.return_code or 0

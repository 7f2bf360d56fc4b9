"""The list of subcommands, in the order `--help` shows them.

Every command module is imported to build the parser (`all_commands`), whichever command runs.
So a command module imports at its top what registering its options needs, and the layers it
runs with inside `run()`, each such import marked `# lazy:`: importing every command's layers
(the engine, plans, simulation, capture, export) would add ~45 ms of CPU to every command,
`nvwizard detect --json` included (benchmarks: detection).
"""

from __future__ import annotations

import importlib
from types import ModuleType

COMMANDS = (  # (the name typed, its module)
    ("detect", "detect_cmd"),
    ("capture", "capture_cmd"),
    ("plan", "plan_cmd"),
    ("install", "install_cmd"),
    ("activate", "activate_cmd"),
    ("reboot", "reboot_cmd"),
    ("status", "status_cmd"),
    ("logs", "logs_cmd"),
    ("verify", "verify_cmd"),
    ("export", "export_cmd"),
    ("_apply-worker", "apply_worker_cmd"),  # hidden: the detached worker of install and wizard
    ("_add-apt-source", "apt_source_cmd"),  # hidden: a plan's Debian `sources` step
    ("_pin-cuda-repository", "apt_pin_cmd"),  # hidden: a plan's `cuda-pin` step alone
)
COMMAND_MODULES = tuple(module for _name, module in COMMANDS)
COMMAND_NAMES = frozenset(name for name, _module in COMMANDS)


def command_modules(only: str | None = None) -> list[ModuleType]:
    """Every command's module, in `--help` order; `only`: that command's module alone."""
    return [
        importlib.import_module(f"nvwizard.cli.{module}")
        for name, module in COMMANDS
        if only is None or name == only
    ]

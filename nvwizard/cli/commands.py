"""The list of subcommands, in the order `--help` shows them."""

from __future__ import annotations

import importlib
from types import ModuleType

COMMAND_MODULES = (
    "detect_cmd",
    "capture_cmd",
    "plan_cmd",
    "install_cmd",
    "status_cmd",
    "logs_cmd",
    "verify_cmd",
    "apply_worker_cmd",
)


def all_commands() -> list[ModuleType]:
    modules = []
    for name in COMMAND_MODULES:
        try:
            modules.append(importlib.import_module(f"nvwizard.cli.{name}"))
        except ModuleNotFoundError as error:
            if error.name != f"nvwizard.cli.{name}":
                raise
    return modules

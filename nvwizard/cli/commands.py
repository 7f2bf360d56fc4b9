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
    "apply_worker_cmd",  # hidden: the detached worker started by install and the wizard
)


def all_commands() -> list[ModuleType]:
    return [importlib.import_module(f"nvwizard.cli.{name}") for name in COMMAND_MODULES]

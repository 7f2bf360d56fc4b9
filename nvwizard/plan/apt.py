"""The options every apt-get that changes the system runs with."""

from __future__ import annotations

from nvwizard.plan.models import Choices


def apt_options(lock_timeout_s: int) -> list[str]:
    """Options for every apt-get that changes the system.

    Conffiles: `--force-confdef --force-confold` keeps a config file the admin changed and
    takes the package's version of untouched ones, the same default as unattended-upgrades:
    a driver change must not silently overwrite local settings on a production machine.
    """
    return [
        "-y",
        "-o",
        f"DPkg::Lock::Timeout={lock_timeout_s}",
        "-o",
        "Dpkg::Options::=--force-confdef",
        "-o",
        "Dpkg::Options::=--force-confold",
        "-o",
        "APT::Status-Fd=3",
    ]


def apt_get(choices: Choices, command: str, *args: str) -> list[str]:
    """`apt-get <options> <command> <args>` for a step that changes the system."""
    return ["apt-get", *apt_options(choices.lock_timeout_s), command, *args]

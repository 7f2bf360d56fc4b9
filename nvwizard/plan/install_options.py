"""The user's choices as the `nvwizard install` options that ask for them again.

Advice that says to run the install again (a demo plan's "if it fails", the end of a failed
`install --demo`, the wizard's words after a failure) must carry every option the user gave:
`nvwizard install --demo NAME --driver D` alone would silently drop `--cuda`, `--cudnn`,
`--hold`, ... An option is written only where the choice differs from what the command
would take without it (the defaults `cli/plan_cmd.py` derives from detection), so the advice
reads as the user typed it.
"""

from __future__ import annotations

from collections.abc import Sequence

from nvwizard.host.demo_advice import install_again
from nvwizard.plan.models import DEFAULT_LOCK_TIMEOUT_S, INSTALL_PLAN, Choices
from nvwizard.report.models import Report


def install_options(choices: Choices, report: Report, also_purged: Sequence[str]) -> list[str]:
    """The options after `--driver` that make `nvwizard install` plan `choices` again on the
    machine of `report`, in the order `nvwizard plan --help` lists them.

    `also_purged`: the plan's purge lists' `also_purged`, the names `choices.also_purge` moved
    from kept to purged. Only those get `--also-purge`: the wizard's ticks also name packages
    the plan purges on its own (another branch's fabric manager and NSCQ, which the new
    branch's replace), and the option would change nothing there."""
    words: list[str] = []
    if not choices.purge:
        words.append("--keep-installed")
    # detection's, not the report's answer: a report built for --desktop ranks for a desktop
    if choices.headless != (report.headless is not False):
        words.append("--headless" if choices.headless else "--desktop")
    words += [word for name in choices.keep for word in ("--keep", name)]
    words += [word for name in also_purged for word in ("--also-purge", name)]
    if choices.hold:
        words.append("--hold")
    if choices.persistenced != (choices.headless and report.has_nvidia_gpu):
        words.append("--persistenced" if choices.persistenced else "--no-persistenced")
    if choices.reboot:
        words.append("--reboot")
    if choices.reinstall:
        words.append("--reinstall")
    if choices.cuda:
        words += ["--cuda", choices.cuda]
    flags = (
        (choices.cudnn, "--cudnn"),
        (choices.container_toolkit, "--container-toolkit"),
        (choices.allow_cuda_compat, "--allow-cuda-compat"),
    )
    words += [flag for asked, flag in flags if asked]
    if choices.lock_timeout_s != DEFAULT_LOCK_TIMEOUT_S:
        words += ["--lock-timeout", str(choices.lock_timeout_s)]
    return words


def install_here(purpose: str | None, driver: str | None, options: Sequence[str]) -> str | None:
    """`sudo nvwizard install --driver D OPTIONS`: an apply's install again on this machine,
    with the options the user gave it (`options`, the plan's `install_options`; none from a
    state file written before they were recorded); None where the apply was no install of a
    known driver (a repair, an activation, a reboot)."""
    if purpose != INSTALL_PLAN or not driver:
        return None
    return "sudo " + install_again(driver, None, options)

"""`install --accept ID`: the operator's consent to a plan's blocking conditions, by id.

A plan's blocking conditions (plan/blockers.py: jobs on the GPU that die, a DKMS module that
Secure Boot rejects until someone at the console enrols its key, a .run driver apt installs
over, a GPU fallen off the bus) are what nobody may walk into unasked. Asked (`install`
without --yes, the wizard), the person sees them named and answers the question. `--yes` asks
nobody, so it applies such a plan only when each of its conditions was accepted by id, the ids
the exported playbook's `nvwizard_accept` takes (one list: BLOCKER_IDS). Otherwise it refuses
before anything runs: one line per condition nobody accepted, then the exact options that
accept them.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import textwrap
from collections.abc import Iterable

from nvwizard.errors import RefusedError, UsageError

ACCEPT_OPTION = "--accept"


class IdsKeptWholeHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help wrapped between words only: argparse breaks lines after a hyphen, which would cut
    an id such as gpu-fallen-off-bus in two (and a pasted id must be whole)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def add_accept_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        ACCEPT_OPTION,
        metavar="ID",
        action="append",
        default=[],
        dest="accept",
        help="with --yes, apply even though the plan has this blocking condition, one of "
        "gpu-processes, secure-boot-dkms-only, run-installer, gpu-fallen-off-bus (repeat for "
        "each; the plan lists them under `Blocking conditions`). Without it --yes refuses such "
        "a plan (exit 3)",
    )


def accept_options(ids: list[str]) -> str:
    """`--accept A --accept B`, pasteable."""
    return shlex.join(word for name in ids for word in (ACCEPT_OPTION, name))


def check_accept_ids(accepted: list[str], ids: Iterable[str] | None = None) -> None:
    """A usage error (exit 2) for an id that no blocking condition has, naming the valid ones
    (`ids`; None: an install plan's, BLOCKER_IDS): a typo must not leave a condition
    unaccepted, nor pass unnoticed."""
    # lazy: only when a command that applies a plan runs (see cli/commands.py)
    from nvwizard.plan.blockers import BLOCKER_IDS

    valid = list(BLOCKER_IDS if ids is None else ids)
    unknown = [name for name in accepted if name not in valid]
    if unknown:
        raise UsageError(
            f"{ACCEPT_OPTION} {shlex.quote(unknown[0])}: no blocking condition has this id; "
            f"the ids are: {', '.join(valid)}"
        )


def blocker_ids(plan) -> list[str]:
    return [b.id for b in plan.blockers]


def accept_lines(plan, accepted: list[str]) -> list[str]:
    """What each --accept did: the condition it accepts, or that this plan has no such
    condition (said, never silently ignored, and no failure: a script may accept what some of
    its hosts have)."""
    have = blocker_ids(plan)
    return [
        f"Accepted ({accept_options([name])}): the plan's blocking condition {name}"
        if name in have
        else f"Not needed: {accept_options([name])} (this plan has no such blocking condition)"
        for name in dict.fromkeys(accepted)
    ]


def consent_question(plan) -> str:
    """What the install's question adds when the plan has blocking conditions: the person's
    yes accepts them, by name."""
    ids = blocker_ids(plan)
    return f", accepting {', '.join(ids)}" if ids else ""


def blockers_before_asking(plan) -> list[str]:
    """Said right before the install's question: the blocking conditions a yes accepts, each
    with what the plan says of it."""
    if not plan.blockers:
        return []
    return [
        "This plan has blocking conditions; answering yes accepts them:",
        *[f"  [{b.id}] {b.message}" for b in plan.blockers],
    ]


def refuse_unaccepted(plan, accepted: list[str]) -> None:
    """--yes: refuse (exit 3) unless every blocking condition of `plan` was accepted; one line
    on stderr for each that was not, the last line naming the options that accept them."""
    waiting = [b for b in plan.blockers if b.id not in accepted]
    if not waiting:
        return
    for blocker in waiting:
        print(f"nvwizard: not accepted: [{blocker.id}] {blocker.message}", file=sys.stderr)
    raise RefusedError(
        "refused, nothing was changed: --yes applies a plan with blocking conditions only "
        "when each is accepted by id; to apply this one anyway, add: "
        f"{accept_options([b.id for b in waiting])}"
    )

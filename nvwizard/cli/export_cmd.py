"""`nvwizard export ansible DIR [plan options]`: a playbook that rolls the plan out to many hosts.

The plan options are `nvwizard plan`'s own (`add_plan_options`), so every option plan and
install learn is accepted here too and written into the playbook as the words to pass
(`plan_option_words`). What plan refuses on every machine is refused here as plan refuses
it (the same functions: `check_options_without_machine`); the rest is planned on each host
when the playbook runs: that is also why `export` takes no --machine or --demo (a demo is
chosen per host, with the host variable `nvwizard_demo`). `--reboot` is not offered (its
`--help` says why) and refused with the reason when given: the playbook reboots a host itself,
with ansible.builtin.reboot, when nvwizard says the driver needs it.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from nvwizard.cli.arg_types import folder_name
from nvwizard.cli.machine_options import NO_MACHINE_REASON
from nvwizard.cli.plan_cmd import add_plan_options, check_options_without_machine
from nvwizard.errors import UsageError, exit_codes_help

FORMATS = ("ansible",)
NO_MACHINE = (
    "the playbook plans each host when it runs: choose a demo machine per host with the "
    "host variable nvwizard_demo"
)
# plan options that the playbook sets itself, and why they cannot be exported
NOT_EXPORTED = {
    "reboot": "--reboot: the playbook reboots each host itself (ansible.builtin.reboot) when "
    "nvwizard says the new driver needs it",
    "reinstall": "--reinstall: the playbook leaves a host that runs the planned driver and "
    "passes verify as it is (unchanged), and fails one that does not pass it; to reinstall "
    "one host, add --reinstall to that host's nvwizard_options in the inventory (or run "
    "`nvwizard install --reinstall` on it)",
}


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write an Ansible playbook that rolls the plan out to many servers",
        description="Write a self-contained Ansible playbook directory into DIR: per host, "
        "in rolling batches, it installs nvwizard from a wheel, plans (the plan options "
        "given here), installs, reboots when needed and verifies, then writes one report.\n\n"
        "A host whose plan has a blocking condition (jobs using the GPU, which the driver "
        "change kills; a DKMS-built module under Secure Boot, which needs a key enrolled at "
        "the console; a .run-installed driver; a GPU fallen off the bus) is left as it is, "
        "with the reason, unless "
        "its host variable nvwizard_accept lists that condition, e.g. "
        "nvwizard_accept='[\"gpu-processes\"]' (ids: gpu-processes, "
        "secure-boot-dkms-only, run-installer, gpu-fallen-off-bus); the other hosts go on.\n\n"
        "Each host is rebooted by the playbook itself (ansible.builtin.reboot) when nvwizard "
        "says the new driver needs it, so plan's --reboot is not taken here.\n\n"
        "DIR/README.md says how to run it.",
        epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("format", metavar="FORMAT", choices=FORMATS, help="ansible")
    parser.add_argument(
        "folder", metavar="DIR", type=folder_name, help="where to write the playbook"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that has files (the playbook's own are replaced)",
    )
    add_plan_options(parser)
    for action in parser._actions:
        if action.dest in NOT_EXPORTED:  # not offered, but parsed to be refused with the reason
            action.help = argparse.SUPPRESS
    parser.set_defaults(run=run, **{NO_MACHINE_REASON: NO_MACHINE})


def plan_options_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    add_plan_options(parser)
    return parser


def plan_option_words(args: argparse.Namespace) -> list[str]:
    """The plan options set in `args`, as the words that set them (defaults left out)."""
    words: list[str] = []
    for action in plan_options_parser()._actions:
        if not action.option_strings:
            continue
        words += _words(action, getattr(args, action.dest))
    return words


def _words(action: argparse.Action, value) -> list[str]:
    option = action.option_strings[0]
    if isinstance(action, argparse.BooleanOptionalAction):
        if value is None or value == action.default:
            return []
        return [option] if value else [f"--no-{option[2:]}"]
    if isinstance(action, argparse._StoreConstAction):  # store_true, store_false
        return [option] if value == action.const and value != action.default else []
    if isinstance(action, argparse._AppendAction):
        return [word for item in value or [] for word in (option, str(item))]
    if isinstance(action, argparse._StoreAction):
        return [] if value == action.default else [option, str(value)]
    raise TypeError(f"{option}: no rule to write a {type(action).__name__} option")


def run(args: argparse.Namespace) -> int:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.export.ansible import export_ansible, exporting_command

    for dest, why in NOT_EXPORTED.items():
        if getattr(args, dest):
            raise UsageError(why)
    check_options_without_machine(args)
    options = plan_option_words(args)
    written = shlex.join(["nvwizard", "export", args.format, args.folder, *options])
    done = export_ansible(Path(args.folder), options, written, args.force, exporting_command())
    folder = shlex.quote(args.folder.rstrip("/") or "/")
    print(f"Wrote an Ansible playbook into {folder}: {len(done.files)} files, {done.wheel}.")
    print(
        "Options for every host: "
        + (shlex.join(options) if options else "none (each host gets its recommended driver)")
    )
    print(f"Next: list your servers in a copy of {folder}/inventory.example.ini, then run")
    print(f"  ansible-playbook -i INVENTORY {folder}/site.yml --check   (plans only)")
    print(f"Try it on demo machines first: -i {folder}/inventory.demo.ini (see README.md).")
    return 0

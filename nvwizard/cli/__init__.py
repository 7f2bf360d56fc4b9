"""Front end: the command line (`nvwizard COMMAND`), plain text and JSON for people and scripts.

main.py parses the top level (machine options wherever they are written, machine_options.py)
and hands each command its module; commands.py lists them in `--help`'s order. One module
per command, `<name>_cmd.py`, each with `register(subparsers, ...)` and `run(args) -> int`:
detect, plan, install, activate, verify, status, logs, capture, export, and the wizard
(wizard_cmd.py, the only path that imports Textual). apply_console.py runs an apply from a
terminal (progress lines, the outcome, the confirmation, in-process or detached) for install
and activate; stop_signals.py makes SIGTERM and SIGHUP end a command as Ctrl+C does.
Errors are raised as nvwizard.errors' types and turned into one line and a
documented exit code by main.py; nothing here decides what to install (report and plan do).

To add a command: write `<name>_cmd.py` with `register` and `run`, list it in commands.py,
and document its exit codes in errors.EXIT_CODE_MEANINGS and README's table.
"""

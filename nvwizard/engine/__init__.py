"""The step engine: applies a plan through the host, one step at a time, for every front end.

- runner.py: `Engine(host, plan, journal, listeners).run()`: runs each step's commands,
  parses apt's progress (status_fd.py), waits for the dpkg lock and judges each step's
  output (step_results.py), diagnoses a failure (diagnose.py), and tells its listeners
  typed events (events.py: one frozen dataclass per kind; event_records.py reads a journal
  record's envelope strictly); progress.py folds events into
  "how far is it" for status, the CLI and the wizard;
- journal.py, state.py, paths.py: the human log, the JSON-lines event log and the state
  file, and where they live; json_checks.py reads them back (typed fields in range; opened
  as host/record_files.py says: regular files of a bounded size); cleanup.py keeps the last
  few applies;
- lock.py: one apply at a time; detach.py: the worker that survives a dropped SSH session
  (this machine), in_process.py: the same on a demo or bundle, in this process;
  attach.py: reattach to a running or finished apply;
- reboot.py, verify.py, verify_stack.py, activate.py: after the steps: the reboot, the
  checks that the installed driver (and stack) is the one that runs (verify_facts.py: what
  the installed packages say), loading it in place.

The engine decides nothing about what to install: a new kind of step is added in plan/.
Advice about a demo machine names only the commands that reach it (host/demo_advice.py, which
detection's findings and the plans' "if it fails" use too; verify's fixes: verify_fixes.py),
never this computer's `sudo`, `dpkg` or `reboot`.
"""

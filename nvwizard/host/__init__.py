"""The host layer: the only code that touches a machine (files, sysfs, /proc, commands).

Everything above reads facts by source name (`sources.py`, the bundle file names) through a
`Host` (`base.py`) and starts commands with `Host.start`; `base.py` also defines the
`Simulator` a bundle host is handed.
- `local.py`: this machine. Its sources come from `system_files.py` (/etc, /proc, /sys,
  /var), `package_queries.py` (apt and dpkg; `apt_show_query.py` the query put to apt, pure
  text the simulator answers too), `processes.py` (GPU users, lock holders, the session) and
  plain commands (`reading.py`), this boot's kernel log (`kernel_log.py`: journalctl or
  dmesg, its NVIDIA lines); `local_command.py` streams a started command.
- `bundle.py`: a capture bundle's folder; `demo.py`: the list of bundled demo machines;
  `demo_advice.py`: advice about a demo in the only commands that reach it (`--demo NAME`),
  for every layer above that advises (findings, plans' "if it fails", status, verify).
  Commands on a bundle or demo are answered by its simulated machine (nvwizard/simulator/,
  which also picks the machine for a command): host never imports it.
- `capture.py` writes this machine as a bundle; `spawn.py` starts the detached apply worker.
- `file_lock.py`: the state directory's apply lock; `record_files.py`: the files nvwizard
  reads back (the state file, the journal, a saved demo machine) opened only as regular files
  of a bounded size.
"""

"""The host layer: the only code that touches a machine (files, sysfs, /proc, commands).

Everything above reads facts by source name (`sources.py`, the bundle file names) through a
`Host` (`base.py`) and starts commands with `Host.start`. Which machine: `select.py`.
- `local.py`: this machine. Its sources come from `system_files.py` (/etc, /proc, /sys,
  /var), `package_queries.py` (apt and dpkg), `processes.py` (GPU users, lock holders, the
  session) and plain commands (`reading.py`); `local_command.py` streams a started command.
- `bundle.py` and `demo.py`: a captured machine, or one of the bundled demo machines.
- `capture.py` writes this machine as a bundle; `spawn.py` starts the detached apply worker.
"""

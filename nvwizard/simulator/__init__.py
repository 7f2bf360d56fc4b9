"""The simulated machine behind capture bundles and demos: commands answered by a model.

A bundle or demo host must never run a real command. `BundleHost.start` hands every argv to
`SimulatedMachine(host).start(argv, env)`, which answers it from an in-memory model of the
machine built from the bundle's own files:

- installed packages: dpkg-query.txt (or dpkg-l.txt), holds from apt-mark-showhold.txt;
- what apt offers: apt-cache-show.txt (Package, Version, Depends, Provides, Conflicts, Size);
- the kernel (uname-r.txt), the OS (os-release.txt), the archive (apt-sources.txt), lock
  holders (dpkg-lock.txt).

Handled: `apt-get` (update; install, purge, remove, autoremove, with `-s` for apt's simulation
lines and `-o APT::Status-Fd=N` for `pmstatus:`/`dlstatus:` lines on stream "status"),
`dpkg --audit | --configure -a | -l`, `dpkg-query -W/-l`, `apt-mark hold/unhold/showhold`,
`systemctl enable/start/...`, `shutdown -r now | +N | -c` and `reboot`, and the read-only
tools whose output the bundle holds (`uname -r`, `nvidia-smi`, `mokutil --sb-state`, `lsmod`,
`lspci`, `ubuntu-drivers devices|list`). Tools that only touch hardware (`modprobe`,
`update-initramfs`, ...) print "simulated: <command>" and succeed; any other tool is "not
found" (exit 127), so a plan that needs something the simulator does not know fails loudly
instead of pretending.

Changes update the model and are written back through `host.write` (dpkg-query.txt,
dpkg-l.txt, apt-mark-showhold.txt, dpkg-audit.txt, dpkg-updates.txt, reboot-required.txt,
dkms-status.txt),
so a re-detect after an install sees the new driver and the pending reboot. A reboot
(`shutdown -r now`, `reboot`, or `SimulatedMachine.wait_for_scheduled_reboot()` after
`shutdown -r +N`) boots the machine: boot.py decides which kernel and nvidia module come up
and rewrites uname-r.txt, lsmod.txt, the /proc version, modinfo, nvidia-smi.txt, ... so a
re-detect or `verify` sees the driver that runs now. What no bundle file records (which
packages were installed automatically, enabled units, a scheduled reboot, the boots) is
remembered per host object for the life of the process.

Environment (read from the process environment, overridden by the `env` passed to `start`):
- NVWIZARD_DEMO_SPEED: pace factor; 1 (default) makes a typical demo install take 20-40 s
  (and a scheduled reboot's minute 5 s), 2 twice as slow, 0.5 twice as fast, 0 instant (tests).
- NVWIZARD_DEMO_FAIL=<package>: that package's postinst fails like a DKMS build error: the
  package is left half-configured (iF), what depends on it unpacked (iU), apt's real error
  lines, exit 100. It keeps failing (also under `dpkg --configure -a`) while the variable is set.

Where things are, in the order a command flows through them:
- machine.py: `SimulatedMachine.start` picks the handler for the tool;
- script.py: a command as a generator of lines and pauses, its player, the pace table;
- apt_get.py, dpkg.py, tools.py: the handlers (apt-get; dpkg and dpkg-query; apt-mark,
  systemctl, shutdown and reboot, captured and no-effect tools);
- boot.py (with kernel_files.py, smi_table.py): what a reboot brings up, in the real files'
  formats;
- model.py (with packages.py): the package database read from and written to the bundle;
- resolver.py: apt's decisions (dependencies, conflicts, dependents, autoremove);
- dpkg_actions.py (with kernel_modules.py, dkms_status.py, progress.py): what dpkg does and
  prints per package, Ubuntu's and Debian's DKMS builds included;
- output.py: apt's and dpkg's text formats.
"""

from nvwizard.simulator.boot import BootResult
from nvwizard.simulator.machine import SimulatedMachine
from nvwizard.simulator.output import size_to_str
from nvwizard.simulator.script import demo_speed

__all__ = ["BootResult", "SimulatedMachine", "demo_speed", "size_to_str"]

"""The simulated machine behind capture bundles and demos: commands answered by a model.

Its own layer: beside host (which never imports it) and above knowledge (it uses detect's
parsers and knowledge's tables). A bundle or demo host must never run a real command: whoever
builds such a host (select.py: the CLI's `--machine`/`--demo`, the wizard's demo) builds a
`SimulatedMachine` from the bundle's folder and hands it to the `BundleHost`, which passes it
every read and every argv. It answers from a model of the machine built from the bundle's own
files:

- installed packages: dpkg-query.txt (or dpkg-l.txt), holds from apt-mark-showhold.txt;
- what apt offers: apt-cache-show.txt (Package, Version, Depends, Provides, Conflicts, Size);
- the kernel (uname-r.txt), the OS (os-release.txt), the archive (apt-sources.txt), lock
  holders (dpkg-lock.txt).

Handled: `apt-get` (update; install, purge, remove, autoremove, with `-s` for apt's simulation
lines and `-o APT::Status-Fd=N` for `pmstatus:`/`dlstatus:` lines on stream "status"),
`dpkg --audit | --configure -a | -l`, `dpkg-query -W/-l`, `apt-mark hold/unhold/showhold` (a held
package refused to apt as real apt refuses it: held.py),
`systemctl enable/start/stop/is-active/...` (NVIDIA's GPU services with their daemons),
`modprobe`, `modprobe -r` and `rmmod` (the loaded modules, with kmod's messages),
`shutdown -r now | +N | -c` and `reboot`, and the read-only tools whose output the bundle holds
(`uname -r`, `nvidia-smi`, `mokutil --sb-state`, `lsmod`, `lspci`, `ubuntu-drivers
devices|list`), and the developer stack's (repositories.py, stack_tools.py): `curl` of
NVIDIA's keyring and key, `dpkg -i` of the keyring, the NVIDIA repositories' packages after
`apt-get update` (an apt pin below 0 honoured), a step's written files, `nvcc --version`,
`nvidia-ctk`, `docker info`, `systemctl restart docker`, and the vector-add result verify reads
(cuda-sample.txt, "simulated"). Tools with no effect here (`update-initramfs`, `dkms`,
`depmod`, ...) print "simulated: <command>" and succeed; any other tool is "not found"
(exit 127), so a plan that needs something the simulator does not know fails loudly instead of
pretending.

Changes update the model and are written back as the machine's own files (dpkg-query.txt,
dpkg-l.txt, apt-mark-showhold.txt, dpkg-audit.txt, dpkg-updates.txt, reboot-required.txt,
dkms-status.txt), so a re-detect after an install sees the new driver and the pending reboot.
A reboot (`shutdown -r now`, `reboot`, or `SimulatedMachine.wait_for_scheduled_reboot()` after
`shutdown -r +N`) boots the machine: boot.py decides which kernel and nvidia module come up
and rewrites uname-r.txt, lsmod.txt, the /proc version, modinfo, nvidia-smi.txt, ... so a
re-detect or `verify` sees the driver that runs now.

Everything the machine changed is one `MachineState` (state.py), owned by the
`SimulatedMachine` and so by whoever built it: the rewritten files, and what no bundle file
records (which packages were installed automatically, enabled units, a scheduled reboot, the
boots). Nothing is global. A demo's state can be saved to a file in the state directory and
loaded by a later process (select.py says when), so install, reboot and verify can be three
nvwizard commands, as on a real machine.

Environment (read from the process environment, overridden by the `env` passed to `start`):
- NVWIZARD_DEMO_SPEED: pace factor; 1 (default) makes a typical demo install take 20-40 s
  (and a scheduled reboot's minute 5 s), 2 twice as slow, 0.5 twice as fast, 0 instant (tests).
- NVWIZARD_DEMO_FAIL=<package>: that package's postinst fails like a DKMS build error: the
  package is left half-configured (iF), what depends on it unpacked (iU), apt's real error
  lines, exit 100. It keeps failing (also under `dpkg --configure -a`) while the variable is set.
  NVWIZARD_DEMO_FAIL=unload:<module> keeps that module in use (`modprobe -r` fails);
  NVWIZARD_DEMO_FAIL=load:<module> makes its load fail with "No such device".

Where things are, in the order a command flows through them:
- select.py: which machine a command looks at; builds the simulated machine for a host;
- machine.py: `SimulatedMachine`: its files (the bundle's, changed), commands, reboots, saving;
- state.py: `MachineState` (what changed), its JSON file (`StateFile`), `BootResult`;
- commands.py: which handler answers a command;
- script.py: a command as a generator of lines and pauses, its player, the pace table;
- apt_get.py (with apt_options.py, its command line), dpkg.py, tools.py, modprobe.py: the
  handlers (apt-get; dpkg and dpkg-query; apt-mark, systemctl, shutdown and reboot, captured
  and no-effect tools; modprobe and rmmod),
  with loaded_modules.py (lsmod as a model) and gpu_services.py (NVIDIA's services);
- boot.py (with kernel_files.py, smi_table.py): what a reboot brings up, in the real files'
  formats;
- model.py (with packages.py): the package database read from and written to the files;
- resolver.py: apt's decisions (dependencies, conflicts, dependents, autoremove), held.py:
  what apt refuses over held packages;
- dpkg_actions.py (with kernel_modules.py, dkms_status.py, progress.py): what dpkg does and
  prints per package, Ubuntu's and Debian's DKMS builds included;
- output.py: apt's and dpkg's text formats.
"""

# Only the light modules: the handlers load with a machine's first command (see machine.py).
from nvwizard.simulator.machine import SimulatedMachine
from nvwizard.simulator.script import demo_speed
from nvwizard.simulator.select import bundle_host, demo_host, demo_label, host_from_args
from nvwizard.simulator.state import BootResult, MachineState, StateFile

__all__ = [
    "BootResult",
    "MachineState",
    "SimulatedMachine",
    "StateFile",
    "bundle_host",
    "demo_host",
    "demo_label",
    "demo_speed",
    "host_from_args",
]

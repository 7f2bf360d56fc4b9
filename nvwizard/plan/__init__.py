"""Plans: from a detection report and the user's choices to ordered steps with exact argv.

Nothing here runs a command except simulate.py, which asks apt (`apt-get -s`) through the host.

- models.py: `Choices`, `Step`, `Plan` (keyword arguments only) and the step kinds;
- build.py: `build_plan` puts the steps in order; each concern builds its own steps:
  repair.py (dpkg repair, unhold; the repair-only plan), preflight.py (dpkg --audit, apt-get
  update, the report's warnings), purge.py (the exact purge and kept lists, purge and
  autoremove), install.py (the driver checked against the GPUs, the packages, the install
  step; Debian's names in debian.py), services.py (fabric manager, hold, persistenced,
  reboot), verify.py (dpkg state ii of every planned package); apt.py holds apt-get's options;
  replaced.py: the old branch's packages an install replaces in place (apt's Conflicts);
- stack.py: the developer stack chosen (CUDA toolkit, cuDNN, container toolkit; which CUDA
  toolkit, and the refusals, in cuda_toolkit.py) and stack_steps.py its steps (NVIDIA's
  repositories, the packages, the runtime's configuration);
- activate.py: the activation plan, loading the installed driver without a reboot (stop the
  GPU services, unload the old modules, load the new ones, start the services, verify), built
  from report/activation.py's decision;
- nothing_to_do.py: `settle`, a plan whose driver is installed at apt's version and loaded
  keeps it: keep_driver.py reduces it to what the options add that the machine lacks (stack,
  holds, persistenced: no purge, no driver install, no reboot), or, with nothing missing, it
  has no steps (`plan` and `install` say "Nothing to do"); --reinstall keeps the whole plan;
  the wizard asks it too (its Install screen's `r` asks for the whole plan);
- simulate.py: what apt says the plan would do, and whether it must stop;
- text.py: plans and simulations as the CLI prints them.

To add a step: write a function returning a `Step` in the module of its concern and call it
from `build_plan` at its place in the order.
"""

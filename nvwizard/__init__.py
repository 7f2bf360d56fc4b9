"""nvwizard: replace the NVIDIA driver on an Ubuntu or Debian server, step by visible step.

The packages, from the machine up; a package imports only packages earlier in this list (and
`errors.py`, which anyone may), with three exceptions: detect imports nothing of nvwizard
(not even host), only the front ends import the simulator, and among the front ends only cli
imports the other two (tests/test_layers.py's MAY_IMPORT is this rule in code):

- host/: the only code that touches a machine (files, sysfs, commands): this machine, a
  captured bundle or a bundled demo (demo_machines/);
- detect/: pure parsers, one per source: raw text in, dataclasses out;
- knowledge/: data tables: GPU generations, driver branches, CUDA, the explanation texts;
- simulator/: the simulated machine that answers a bundle's or demo's commands;
- report/: facts + knowledge -> the detection report: findings, candidates, recommendation;
- plan/: report + the user's choices -> ordered steps with exact argv;
- engine/: runs a plan's steps, emits typed events, writes the journal;
- cli/, tui/, export/: the front ends (plain text and JSON, the Textual wizard, Ansible).

Each package's docstring says what lives where in it and how to add to it.
"""

__version__ = "0.1.0"

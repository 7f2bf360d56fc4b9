"""The report: facts read through the host + knowledge -> what this machine is and needs.

- build.py: `build_report(host)`: reads every source through the host, parses it with detect,
  and builds the `Report` (models.py): GPUs (gpus.py: which PCI devices are NVIDIA GPUs and
  what they are), OS, kernel, installed packages, loaded module, headless or not (headless.py),
  candidates (candidates.py, Debian's in debian.py, signed modules in signed_modules.py),
  the recommendation (recommend.py, with ubuntu-drivers' own pick in ubuntu_drivers_rank.py),
  lifecycle.py's end-of-life judgement, the developer stack (stack.py), and the findings;
- findings/: one small function per finding (what a careful sysadmin would notice), by
  subject; its docstring lists every finding id;
- explain.py: what each candidate means on this machine, for the Select panel and the plan;
- activation.py, activation_facts.py: whether the installed driver can be loaded now;
- wording.py: how a fix (and a plan's warning) names what to do, in one front end's words:
  the command line's options, or the wizard's screens (`build_report(host, words=WIZARD)`).

To add a finding: see findings/__init__.py.
"""

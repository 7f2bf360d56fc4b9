"""Ask apt what a plan would really do (`apt-get -s`), before anything changes.

Three read-only simulations through the host, in the order the apply runs the steps:
- the purge alone: must remove nothing beyond the confirmed purge list (a kept package that
  depends on a purged one would be dragged along);
- the purge with `--autoremove`: what autoremove will also take (shown to the user);
- the install, as apt answers it once those packages are gone (`Host.start_after_purge`):
  what apt really installs (a transitional package may pull another branch, a purged package
  comes back fresh), which installed driver packages it replaces through Conflicts (allowed:
  the normal branch upgrade, see replaced.py) and whether it removes anything else.

- the tools a repository step installs from the distribution's archive first (curl,
  ca-certificates), on the same state: a package apt cannot install stops the plan before
  anything changes, not halfway, after the driver;
- the developer stack (CUDA toolkit, cuDNN, container toolkit) with the driver's install,
  where apt already offers it: it must bring no driver package and remove nothing the
  driver's install alone does not (a toolkit that pulled `cuda-drivers` would replace the
  driver). Where the plan adds a repository first, apt can only answer once it is added: the
  plan's stack-check step asks it then, and the engine stops on the same rule.

Simulation lines look like `Inst pkg [old] (new origin [arch])`, `Remv pkg [old]`,
`Purg pkg [old]`, `Conf pkg (new origin [arch])`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nvwizard.host.base import Host
from nvwizard.knowledge.cuda import pulls_nvidia_driver
from nvwizard.knowledge.debian import is_user_space_version_package
from nvwizard.knowledge.packages import is_driver_package
from nvwizard.plan import models as pm
from nvwizard.plan.held_packages import held_in_the_way, refused_while_held
from nvwizard.plan.in_place import left_behind_notes
from nvwizard.plan.models import Plan
from nvwizard.plan.replaced import Replacement, may_replace, pair_replacements

SIMULATION_ENV = {"LC_ALL": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}

_LINE = re.compile(
    r"^(?P<op>Inst|Remv|Purg|Conf)\s+(?P<pkg>\S+)"
    r"(?:\s+\[(?P<old>[^\]]*)\])?"
    r"(?:\s+\((?P<new>\S+)[^)]*\))?"
)


@dataclass
class SimulationResult:
    """One `apt-get -s` run, parsed."""

    argv: list[str]
    exit_code: int
    install: dict[str, str] = field(default_factory=dict)  # new package -> version
    upgrade: dict[str, tuple[str, str]] = field(default_factory=dict)  # pkg -> (old, new)
    remove: dict[str, str] = field(default_factory=dict)  # pkg -> old version (Remv or Purg)
    errors: list[str] = field(default_factory=list)  # "E: ..." lines
    held: list[str] = field(default_factory=list)  # held packages in the way (held_packages.py)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def parse_simulation(text: str, argv: list[str] | None = None, exit_code: int = 0):
    """Parse the output of `apt-get -s ...` (noise and summary lines are ignored)."""
    result = SimulationResult(argv=list(argv or []), exit_code=exit_code)
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("E: "):
            result.errors.append(line)
            continue
        match = _LINE.match(line)
        if not match:
            continue
        op, pkg, old, new = match.group("op", "pkg", "old", "new")
        pkg = pkg.split(":")[0]  # "libc6:amd64" -> "libc6"
        if op == "Inst":
            if old:
                result.upgrade[pkg] = (old, new or "")
            else:
                result.install[pkg] = new or ""
        elif op in ("Remv", "Purg"):
            result.remove[pkg] = old or ""
    result.held = held_in_the_way(text)
    return result


def driver_packages_touched(result: SimulationResult) -> list[str]:
    """Driver packages a simulation installs or upgrades (cuda-drivers, nvidia-open and their
    kind included): what the developer stack must never do."""
    names = set(result.install) | set(result.upgrade)
    return sorted(n for n in names if is_driver_package(n) or pulls_nvidia_driver(n))


@dataclass
class Simulation:
    purge: SimulationResult | None  # `apt-get -s purge <list>`
    autoremove: SimulationResult | None  # `apt-get -s purge --autoremove <list>`
    install: SimulationResult | None
    stack: SimulationResult | None = None  # the driver's install with the stack
    tools: SimulationResult | None = None  # what repository steps install first (curl)

    @property
    def also_removed(self) -> list[str]:
        """What autoremove takes on top of the purge (not in the purge simulation)."""
        if self.autoremove is None:
            return []
        purged = set(self.purge.remove) if self.purge else set()
        return sorted(set(self.autoremove.remove) - purged)

    @property
    def reinstalled(self) -> list[str]:
        """Packages the purge (or autoremove) removes and the install (the driver's, or the
        developer stack's after it: a purged container toolkit asked for) brings back fresh."""
        if self.install is None:
            return []
        gone = set(self.purge.remove if self.purge else ()) | set(self.also_removed)
        back = set(self.install.install)
        if self.stack is not None and self.stack.ok:
            back |= set(self.stack.install)
        return sorted(gone & back)

    def to_json(self) -> dict:
        def one(r: SimulationResult | None) -> dict | None:
            if r is None:
                return None
            return {
                "argv": r.argv,
                "exit_code": r.exit_code,
                "install": r.install,
                "upgrade": {k: list(v) for k, v in r.upgrade.items()},
                "remove": r.remove,
                "errors": r.errors,
            }

        return {
            "purge": one(self.purge),
            "autoremove": one(self.autoremove),
            "install": one(self.install),
            "stack": one(self.stack),
            "tools": one(self.tools),
            "also_removed": self.also_removed,
        }


def simulation_commands(plan: Plan) -> dict[str, list[str]]:
    """The read-only `apt-get -s` argv lists for a plan, by name."""
    commands: dict[str, list[str]] = {}
    recommends = ["--no-install-recommends"] if plan.choices.headless else []
    if plan.purge_list:
        commands["purge"] = ["apt-get", "-s", "purge", *plan.purge_list]
    if plan.purge_list and plan.choices.purge:  # --keep-installed purges without autoremove
        commands["autoremove"] = ["apt-get", "-s", "purge", "--autoremove", *plan.purge_list]
    if plan.install_list:
        commands["install"] = ["apt-get", "-s", "install", *recommends, *plan.install_list]
    if plan.stack_list and not plan.repositories:
        commands["stack"] = [
            "apt-get",
            "-s",
            "install",
            *recommends,
            *plan.install_list,
            *plan.stack_list,
        ]
    tools = repository_tools(plan)
    if tools:
        commands["tools"] = ["apt-get", "-s", "install", "--no-install-recommends", *tools]
    return commands


def repository_tools(plan: Plan) -> list[str]:
    """The packages the plan's repository steps install from the archive (`apt-get install
    curl ca-certificates` where dpkg has no curl), in their order."""
    names: list[str] = []
    for step in plan.steps:
        if step.kind != pm.REPOSITORY:
            continue
        for argv in step.commands:
            if argv[:1] == ["apt-get"] and "install" in argv:
                words = argv[argv.index("install") + 1 :]
                names += [w for w in words if not w.startswith("-") and w not in names]
    return names


def _run(
    host: Host,
    argv: list[str],
    purged: frozenset[str] = frozenset(),
    unheld: frozenset[str] = frozenset(),
) -> SimulationResult:
    """One simulation; with `purged` and `unheld`, as apt answers once those packages are
    purged and released from their hold."""
    try:
        if purged or unheld:
            command = host.start_after_purge(argv, purged, SIMULATION_ENV, unheld)
        else:
            command = host.start(argv, SIMULATION_ENV)
    except OSError as error:
        result = SimulationResult(argv=argv, exit_code=127)
        result.errors.append(f"E: cannot run {argv[0]}: {error.strerror or error}")
        return result
    text = "\n".join(line.text for line in command.lines() if line.stream != "status")
    return parse_simulation(text, argv, command.wait())


def simulate(host: Host, plan: Plan) -> Simulation:
    """The plan's purge, autoremove and install as apt would run them, one after the other."""
    commands = simulation_commands(plan)
    purge = _run(host, commands["purge"]) if "purge" in commands else None
    autoremove = _run(host, commands["autoremove"]) if "autoremove" in commands else None
    # The install step runs after the purge and autoremove steps: simulate it on that state.
    gone = frozenset(purge.remove if purge else ()) | frozenset(
        autoremove.remove if autoremove else ()
    )
    install = stack = None
    unheld = frozenset(plan.released_holds)  # the repair step unholds them first
    # Packages in sources the plan enables first are invisible to apt until then (Debian);
    # the tools come from the main archive, which apt sees already.
    if plan.step("sources") is None:
        install = _run(host, commands["install"], gone, unheld) if "install" in commands else None
        stack = _run(host, commands["stack"], gone, unheld) if "stack" in commands else None
    tools = _run(host, commands["tools"], gone, unheld) if "tools" in commands else None
    return Simulation(purge, autoremove, install, stack=stack, tools=tools)


@dataclass
class SimulationCheck:
    ok: bool
    problems: list[str]  # why the plan must stop
    notes: list[str]  # what the user should know (e.g. the branch really installed)
    installed_branches: list[int]
    # installed driver packages the install replaces through Conflicts (allowed, confirmed)
    replaced: list[Replacement] = field(default_factory=list)
    # packages the purge would drag along that the user did not confirm (a reason to stop)
    dragged: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class DraggedPackages:
    """The packages the purge would drag along, by what the user can do about each."""

    purge_too: list[str]  # kept by default: the user may add them to the purge
    unkeep: list[str]  # the user chose to keep them, but they cannot stay without the driver
    by_hand: list[str]  # outside nvwizard's lists: the user removes them first, if unneeded


def dragged_packages(plan: Plan, check: SimulationCheck) -> DraggedPackages:
    """Sort `check.dragged` for the front ends' "what to do" (each words its own controls)."""
    kept = {k.name for k in plan.kept_list}
    unkeep = [n for n in check.dragged if n in plan.choices.keep]
    purge_too = [n for n in check.dragged if n in kept and n not in unkeep]
    by_hand = [n for n in check.dragged if n not in kept]
    return DraggedPackages(purge_too=purge_too, unkeep=unkeep, by_hand=by_hand)


def _upstream(version: str) -> str:
    """'580.95.05-0ubuntu0.24.04.2' -> '580.95.05' (also strips an epoch)."""
    return version.split(":", 1)[-1].split("-", 1)[0].split("+", 1)[0]


def _branch_of(version: str) -> int | None:
    head = _upstream(version).split(".", 1)[0]
    return int(head) if head.isdigit() else None


def check_simulation(plan: Plan, sim: Simulation) -> SimulationCheck:
    """Stop when apt would remove anything outside the confirmed set; say what it installs."""
    problems: list[str] = []
    notes: list[str] = []
    confirmed = set(plan.purge_list)
    kept = {k.name for k in plan.kept_list}
    tools = f"the install of {', '.join(repository_tools(plan))} (for the repositories)"
    for name, result in (
        ("the purge", sim.purge),
        ("the install", sim.install),
        (tools, sim.tools),
    ):
        if result is not None and not result.ok and not (result is sim.purge and result.held):
            reason = "; ".join(result.errors) or f"apt-get exited {result.exit_code}"
            problems.append(f"apt cannot simulate {name}: {reason}")
    purge = sim.purge or SimulationResult(argv=[], exit_code=0)
    dragged = sorted((set(purge.remove) | set(purge.held)) - confirmed)
    if dragged:
        also = ", ".join(dragged) + refused_while_held(dragged, purge.held)
        problems.append(f"the purge would also remove packages you did not confirm: {also}")
    kept_removed = sorted(kept & set(sim.also_removed))
    if kept_removed:
        problems.append("autoremove would remove kept packages: " + ", ".join(kept_removed))
    left = sorted(set(plan.autoremoved_list) - set(sim.also_removed))
    if left and sim.autoremove is not None and sim.autoremove.ok:
        notes.append(
            f"autoremove leaves {', '.join(left)} (installed by hand, or another package "
            f"needs {'it' if len(left) == 1 else 'them'}): kept."
        )
    replaced: list[Replacement] = []
    if sim.install is not None:
        removed = set(sim.install.remove) - confirmed - set(sim.also_removed)
        allowed = sorted(n for n in removed if may_replace(plan, n))
        unexpected = sorted(removed - set(allowed))
        if unexpected:
            problems.append(
                "the install would remove packages you did not confirm: " + ", ".join(unexpected)
            )
        replaced = pair_replacements(allowed, _new_versions(sim))
        notes += left_behind_notes(plan, set(sim.install.remove), _new_versions(sim), replaced)
    if sim.install is None and plan.step("sources") is not None:
        notes.append(
            "apt can simulate the install only once the sources step and the refresh of the "
            "package lists have run: the install step shows its answer."
        )
    branches = _installed_branches(sim)
    if branches and plan.branch is not None and branches != [plan.branch]:
        shown = ", ".join(str(b) for b in branches)
        notes.append(
            f"{plan.driver} really installs branch {shown} (a transitional package), "
            f"not {plan.branch}."
        )
    problems += _fabric_version_problems(sim)
    problems += _stack_problems(sim)
    if plan.stack_list and plan.repositories:
        notes.append(
            f"The developer stack comes from repositories the plan adds "
            f"({', '.join(plan.repositories)}): apt checks it in the stack-check step, "
            "before any of it is installed."
        )
    return SimulationCheck(not problems, problems, notes, branches, replaced, dragged)


def kept_after(plan: Plan, sim: Simulation) -> list[str]:
    """The installed NVIDIA packages that stay, as apt answers: the plan's kept list and what
    it leaves to autoremove, less what the purge, autoremove and the install remove."""
    removed = set(sim.purge.remove if sim.purge else ()) | set(sim.also_removed)
    removed |= set(sim.install.remove if sim.install else ())  # replaced through Conflicts
    names = [k.name for k in plan.kept_list] + plan.autoremoved_list
    return sorted(n for n in names if n not in removed)


def _stack_problems(sim: Simulation) -> list[str]:
    """The stack must bring no driver package and remove nothing beyond the driver's install."""
    if sim.stack is None:
        return []
    if not sim.stack.ok:
        reason = "; ".join(sim.stack.errors) or f"apt-get exited {sim.stack.exit_code}"
        return [f"apt cannot simulate the developer stack: {reason}"]
    alone = sim.install or SimulationResult(argv=[], exit_code=0)
    driver_alone = set(driver_packages_touched(alone))
    pulled = [n for n in driver_packages_touched(sim.stack) if n not in driver_alone]
    removed = sorted(set(sim.stack.remove) - set(alone.remove))
    problems = []
    if pulled:
        problems.append(
            "the developer stack would install driver packages (it must leave the driver "
            "alone): " + ", ".join(pulled)
        )
    if removed:
        problems.append("the developer stack would remove: " + ", ".join(removed))
    return problems


def _new_versions(sim: Simulation) -> dict[str, str]:
    if sim.install is None:
        return {}
    versions = dict(sim.install.install)
    versions.update({k: new for k, (_, new) in sim.install.upgrade.items()})
    return versions


def _installed_branches(sim: Simulation) -> list[int]:
    """Branches of the user-space driver libraries apt would install."""
    branches = set()
    for pkg, version in _new_versions(sim).items():
        # Ubuntu's nvidia-utils-*, libnvidia-compute-*; Debian's nvidia-smi, libcuda1, ...
        if pkg.startswith(("nvidia-utils-", "libnvidia-compute-")) or (
            is_user_space_version_package(pkg)
        ):
            branch = _branch_of(version)
            if branch is not None:
                branches.add(branch)
    return sorted(branches)


def _fabric_version_problems(sim: Simulation) -> list[str]:
    versions = _new_versions(sim)
    fabric = {p: v for p, v in versions.items() if p.startswith("nvidia-fabricmanager-")}
    driver = {
        _upstream(v)
        for p, v in versions.items()
        if p.startswith(("nvidia-utils-", "libnvidia-compute-"))
    }
    problems = []
    for pkg, version in fabric.items():
        if driver and _upstream(version) not in driver:
            problems.append(
                f"{pkg} {_upstream(version)} does not match the driver version "
                f"{', '.join(sorted(driver))}: fabric manager refuses to start"
            )
    return problems

"""A plan: what the user chose, and the ordered steps with the exact commands they will run.

Built by `nvwizard.plan.build.build_plan(report, choices)`; shown by `nvwizard plan`, the
wizard's Install screen and `nvwizard install`; applied by `nvwizard.engine.runner.Engine`.
Nothing here runs anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from nvwizard.knowledge.packages import KeptPackage

# Step kinds: the engine treats some of them specially (see engine/runner.py).
PREFLIGHT = "preflight"  # read-only checks; a non-zero exit means "repair first"
REPAIR = "repair"  # dpkg --configure -a, apt-mark unhold
SOURCES = "sources"  # add an apt sources file (Debian's contrib, non-free, non-free-firmware)
UPDATE = "update"  # apt-get update
PURGE = "purge"
AUTOREMOVE = "autoremove"
INSTALL = "install"
FABRIC_MANAGER = "fabric-manager"
HOLD = "hold"
PERSISTENCED = "persistenced"
VERIFY = "verify"  # dpkg-query: every listed package must be "ii"
REBOOT = "reboot"
# The developer stack (plan/stack.py): CUDA toolkit, cuDNN, the container toolkit.
PIN = "pin"  # writes the apt preferences file that keeps a repository's drivers out
REPOSITORY = "repository"  # adds NVIDIA's CUDA or container toolkit repository
STACK_CHECK = "stack-check"  # apt-get -s: the stack must install no driver package
STACK_INSTALL = "stack-install"
RUNTIME_CONFIGURE = "runtime-configure"  # nvidia-ctk runtime configure --runtime=...
RUNTIME_RESTART = "runtime-restart"
# Loading the new driver without a reboot (plan/activate.py; the engine checks each one)
STOP_SERVICES = "stop-services"  # systemctl stop the GPU services that hold /dev/nvidia*
UNLOAD = "unload"  # modprobe -r the old modules; each must be gone afterwards
LOAD = "load"  # modprobe the new modules
START_SERVICES = "start-services"  # also run when an unload fails: the old driver goes on
VERIFY_DRIVER = "verify-driver"  # the checks of `nvwizard verify`, on the loaded driver

# What a plan is for: installing a driver, repairing dpkg, loading the installed driver, or
# rebooting to load it (`nvwizard reboot`: the install's reboot step alone).
INSTALL_PLAN = "install"
REPAIR_PLAN = "repair"
ACTIVATE_PLAN = "activate"
REBOOT_PLAN = "reboot"

STEP_KINDS = (
    PREFLIGHT,
    REPAIR,
    SOURCES,
    UPDATE,
    PURGE,
    AUTOREMOVE,
    INSTALL,
    FABRIC_MANAGER,
    HOLD,
    PERSISTENCED,
    VERIFY,
    REBOOT,
    PIN,
    REPOSITORY,
    STACK_CHECK,
    STACK_INSTALL,
    RUNTIME_CONFIGURE,
    RUNTIME_RESTART,
    STOP_SERVICES,
    UNLOAD,
    LOAD,
    START_SERVICES,
    VERIFY_DRIVER,
)

# Steps after which the new kernel module is only used after a reboot (or a load without one).
NEEDS_REBOOT = frozenset({PURGE, AUTOREMOVE, INSTALL, FABRIC_MANAGER})

DEFAULT_LOCK_TIMEOUT_S = 300  # unattended-upgrades on a fresh VM often needs a few minutes
# apt takes any number and waits that long; a wait past a day is a typo, not a plan
MAX_LOCK_TIMEOUT_S = 86400


@dataclass(frozen=True)
class Choices:
    """What the user decided. Front ends start from `plan.build.default_choices`."""

    driver: str  # "nvidia-driver-580-server-open"
    purge: bool = True  # purge the installed NVIDIA packages first
    keep: tuple[str, ...] = ()  # packages of the purge list the user unticked
    also_purge: tuple[str, ...] = ()  # kept-by-default packages the user opted in to purge
    headless: bool = True  # compute stack only (no X/desktop libraries)
    hold: bool = False  # apt-mark hold the driver packages afterwards
    persistenced: bool = False  # enable nvidia-persistenced
    reboot: bool = False  # schedule the reboot as the last step
    lock_timeout_s: int = DEFAULT_LOCK_TIMEOUT_S
    # The developer stack: "12.8", "latest" (the newest the driver and GPUs run) or "distro"
    # (the distribution's nvidia-cuda-toolkit); None: no toolkit.
    cuda: str | None = None
    cudnn: bool = False  # cuDNN 9 for the toolkit's CUDA major
    container_toolkit: bool = False  # the NVIDIA Container Toolkit, wired into the runtimes
    allow_cuda_compat: bool = False  # accept a toolkit the driver runs only through minor-
    # version compatibility (no PTX JIT of newer code)
    # the whole plan even when its driver and stack are installed and loaded already (purge
    # and install again); without it such a plan has nothing to do (plan/nothing_to_do.py)
    reinstall: bool = False


@dataclass(frozen=True, kw_only=True)
class FileWrite:
    """A file a step writes before its commands run (never through a shell)."""

    path: str  # absolute: "/etc/apt/preferences.d/nvwizard-cuda-repository-drivers"
    content: str
    mode: int = 0o644

    def to_json(self) -> dict:
        return {"path": self.path, "content": self.content, "mode": self.mode}


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step of a plan; built with keyword arguments only, so every flag is named."""

    id: str  # stable, e.g. "purge"; unique within a plan
    title: str  # "Purge the installed NVIDIA packages"
    why: str  # one sentence
    commands: list[list[str]]  # argv lists, run in order; never a shell string
    changes_system: bool
    on_failure: str  # what to do if it fails, one sentence
    kind: str  # one of STEP_KINDS
    writes: tuple[FileWrite, ...] = ()  # files written before the commands run

    def to_json(self) -> dict:
        found = asdict(self)
        found["writes"] = [w.to_json() for w in self.writes]
        return found

    @classmethod
    def from_json(cls, obj: dict) -> Step:
        fields = dict(obj)
        fields["writes"] = tuple(FileWrite(**w) for w in fields.get("writes") or ())
        return cls(**fields)


@dataclass(frozen=True)
class Blocker:
    """A condition under which the plan must not be applied unattended (plan/blockers.py)."""

    id: str  # "gpu-processes", "secure-boot-dkms-only", ...
    message: str  # what would happen, and what to do instead


@dataclass(kw_only=True)
class Plan:
    steps: list[Step]
    choices: Choices
    host_label: str  # "this machine", "demo hgx-h100"
    driver: str  # the driver package, as chosen
    flavour: str  # "580-server-open"
    branch: int | None  # 580
    modules: str  # "signed" (Canonical's precompiled) or "dkms"
    warnings: list[str] = field(default_factory=list)
    purge_list: list[str] = field(default_factory=list)  # exact names, in purge order
    kept_list: list[KeptPackage] = field(default_factory=list)  # installed, and they stay
    # kept by default, but only purged packages need them: the autoremove step takes those apt
    # installed as dependencies (the simulation says which)
    autoremoved_list: list[str] = field(default_factory=list)
    install_list: list[str] = field(default_factory=list)  # exact names to install
    # The developer stack: the packages it installs (after the driver), the CUDA toolkit it
    # resolved to ("12.8", "distro 12.0"; None: none), and the repositories it adds (their
    # packages can only be simulated once they are added, by the stack-check step).
    stack_list: list[str] = field(default_factory=list)
    cuda: str | None = None
    repositories: list[str] = field(default_factory=list)
    purpose: str = INSTALL_PLAN  # INSTALL_PLAN, REPAIR_PLAN, ACTIVATE_PLAN or REBOOT_PLAN
    # what an unattended apply must not go on with unless someone accepted it (blockers.py)
    blockers: list[Blocker] = field(default_factory=list)
    # Secure Boot is on and DKMS builds the module: the certificate of DKMS's key, which must
    # be enrolled as a Machine Owner Key before the module loads (knowledge/secure_boot.py)
    mok_certificate: str | None = None
    # Holds an administrator set that the repair step releases (`apt-mark unhold`), and what
    # the hold step holds in their place (plan/holds.py): an apply that stops between the two
    # puts the holds back (engine/restore_holds.py)
    released_holds: list[str] = field(default_factory=list)
    carried_holds: list[str] = field(default_factory=list)
    # the driver and every stack part asked for are installed and loaded: no steps, nothing
    # changes (plan/nothing_to_do.py)
    nothing_to_do: bool = False
    # the driver is installed and loaded and stays as it is: the steps only add what the
    # options ask for and the host lacks (stack, holds, persistenced): no purge, no driver
    # install, no reboot (plan/keep_driver.py)
    keeps_driver: bool = False
    # the options after --driver that plan these choices again (plan/install_options.py):
    # advice to run the install again carries them, so no option the user gave is dropped
    install_options: list[str] = field(default_factory=list)

    @property
    def changes_system(self) -> bool:
        return any(s.changes_system for s in self.steps)

    @property
    def needs_reboot(self) -> bool:
        """Applied whole, the plan changes the driver: the new module is used only after a
        reboot (or after loading it without one, `activate`)."""
        return any(s.changes_system and s.kind in NEEDS_REBOOT for s in self.steps)

    @property
    def has_stack(self) -> bool:
        """The developer stack was asked for: shown even when all of it is installed already
        (`--cudnn` on a machine with cuDNN must not pass unmentioned)."""
        asked = self.choices.cuda or self.choices.cudnn or self.choices.container_toolkit
        return bool(self.stack_list or self.cuda or asked)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def to_json(self) -> dict:
        """The `nvwizard plan --json` object (documented in the README)."""
        return {
            "host": self.host_label,
            "driver": self.driver,
            "flavour": self.flavour,
            "branch": self.branch,
            "modules": self.modules,
            "choices": {
                **asdict(self.choices),
                "keep": list(self.choices.keep),
                "also_purge": list(self.choices.also_purge),
            },
            "warnings": list(self.warnings),
            "purge_list": list(self.purge_list),
            "kept_list": [asdict(k) for k in self.kept_list],
            "autoremoved_list": list(self.autoremoved_list),
            "install_list": list(self.install_list),
            "stack_list": list(self.stack_list),
            "cuda": self.cuda,
            "repositories": list(self.repositories),
            "steps": [s.to_json() for s in self.steps],
            "purpose": self.purpose,
            "blockers": [asdict(b) for b in self.blockers],
            "mok_certificate": self.mok_certificate,
            "released_holds": list(self.released_holds),
            "carried_holds": list(self.carried_holds),
            "nothing_to_do": self.nothing_to_do,
            "keeps_driver": self.keeps_driver,
            "install_options": list(self.install_options),
        }

    @classmethod
    def from_json(cls, obj: dict) -> Plan:
        """The inverse of `to_json()`; KeyError/TypeError when `obj` is not such an object."""
        choices = dict(obj["choices"])
        choices["keep"] = tuple(choices.get("keep") or ())
        choices["also_purge"] = tuple(choices.get("also_purge") or ())
        return cls(
            steps=[Step.from_json(step) for step in obj["steps"]],
            choices=Choices(**choices),
            host_label=obj["host"],
            driver=obj["driver"],
            flavour=obj["flavour"],
            branch=obj.get("branch"),
            modules=obj["modules"],
            warnings=list(obj.get("warnings") or []),
            purge_list=list(obj.get("purge_list") or []),
            kept_list=[KeptPackage(**k) for k in obj.get("kept_list") or []],
            autoremoved_list=list(obj.get("autoremoved_list") or []),
            install_list=list(obj.get("install_list") or []),
            stack_list=list(obj.get("stack_list") or []),
            cuda=obj.get("cuda"),
            repositories=list(obj.get("repositories") or []),
            purpose=obj.get("purpose") or INSTALL_PLAN,
            blockers=[Blocker(**b) for b in obj.get("blockers") or []],
            mok_certificate=obj.get("mok_certificate"),
            released_holds=list(obj.get("released_holds") or []),
            carried_holds=list(obj.get("carried_holds") or []),
            nothing_to_do=bool(obj.get("nothing_to_do")),
            keeps_driver=bool(obj.get("keeps_driver")),
            install_options=[str(word) for word in obj.get("install_options") or []],
        )

"""The detection report: what nvwizard knows about a machine, interpreted.

Built by `nvwizard.report.build.build_report(host)` from the parsers' facts and the knowledge
tables. Every front end (wizard, `detect`, `plan`) reads this one object. `to_json()` is the
documented `nvwizard detect --json` format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from nvwizard.detect.dpkg import unfinished_meaning
from nvwizard.detect.kernel_log import KernelLog
from nvwizard.detect.models import DpkgEntry, GpuProcess, LockHolder, NvidiaSmi, UnitState
from nvwizard.knowledge.kernel_modules import service_of_process

if TYPE_CHECKING:
    from nvwizard.host.demo_advice import DemoRef
    from nvwizard.report.debian import DebianFacts


@dataclass(frozen=True)
class Gpu:
    pci_address: str  # "0000:01:00.0"
    device_id: str | None  # 4 lowercase hex digits; None when the source shows none (`lspci`)
    name: str | None  # "GeForce RTX 3090" or the lspci text
    architecture: str  # Kepler ... Blackwell, or "unknown"
    open_kernel: str  # "unsupported", "supported", "required", "unknown"
    chip: str | None = None  # "GA102"
    first_branch: int | None = None  # the oldest branch that supports it (generation, product)
    last_branch: int | None = None  # legacy generations: the newest branch that supports them
    # the kernel driver bound to it ("nvidia", "vfio-pci"; None: none, or not captured)
    driver_in_use: str | None = None
    revision: str | None = None  # the PCI revision, "a1"; "ff": it does not answer on the bus


@dataclass(frozen=True)
class DriverCandidate:
    package: str  # "nvidia-driver-580-server-open"
    branch: int  # 580
    open: bool
    server: bool
    recommended: bool  # nvwizard's pick; ubuntu-drivers' own mark is ubuntu_drivers_recommended
    source: str  # "distro" or "third-party"
    support: str | None = None  # "PB", "LTSB", "NFB" or None when unknown
    end_of_life: str | None = None  # "2028-06"
    cuda: str | None = None  # highest CUDA version this branch supports, "13.0"
    runnable: bool = True  # False when this GPU cannot run the variant
    reason: str | None = None  # why not runnable
    ubuntu_drivers_recommended: bool = False  # `ubuntu-drivers devices` marked it recommended
    transitional_to: str | None = None  # an end-of-life package that really installs this one
    # supported, current, superseded or ended on the report's day (report/lifecycle.py)
    lifecycle: str | None = None
    superseded_by: int | None = None  # the newer PB/LTSB branch that ended an NFB
    support_header: str | None = None  # apt's `Support:` as written (None: missing or unseen)
    prefer_variant: str | None = None  # apt's `Prefer-Variant:` (None: missing or unseen)
    apt_headers: bool = False  # apt's stanza was seen, so the two headers above are facts
    listed: bool = True  # its source listed it (False: an impossible variant apt also has)
    legacy_name: bool = False  # nvidia-340, nvidia-384-updates, nvidia-current
    # the version apt would install (apt-cache show's first stanza: its candidate), as apt
    # writes it ("535.309.01-0+deb12u1"); None when apt was not asked
    version: str | None = None

    @property
    def flavour(self) -> str:
        """The part after "nvidia-driver-": "580-server-open" (legacy names stay whole)."""
        return self.package.removeprefix("nvidia-driver-")


@dataclass(frozen=True)
class Finding:
    id: str  # "nouveau-loaded", "nvml-mismatch", ...
    severity: str  # "info", "warn", "block"
    message: str  # one sentence
    fix: str  # what to do


@dataclass(frozen=True)
class LoadedModule:
    version: str | None
    flavor: str | None  # "open" or "proprietary"


@dataclass(frozen=True)
class CudaToolkitInstall:
    version: str  # "12.8"
    source: str  # "nvidia-repo", "distro" (nvidia-cuda-toolkit) or "runfile"
    path: str | None  # "/usr/local/cuda-12.8"; "/usr" for the distribution's
    release: str | None = None  # the exact release when known, "12.8.1"
    package: str | None = None  # "cuda-toolkit-12-8", "nvidia-cuda-toolkit"


@dataclass(frozen=True)
class CudnnInstall:
    version: str | None  # "9.10.2", from the library package
    cuda_major: int  # the CUDA major it is built for
    package: str  # "libcudnn9-cuda-12"


@dataclass(frozen=True)
class ContainerToolkitInstall:
    version: str | None  # "1.17.8"
    runtimes_configured: list[str]  # runtimes whose configuration has the nvidia runtime


@dataclass(frozen=True)
class StackOffers:
    """What apt offers for the developer stack (empty when apt was not asked)."""

    cuda: list[str] = field(default_factory=list)  # NVIDIA's cuda-toolkit-X-Y, "12.8"
    distro_cuda: str | None = None  # the distribution's nvidia-cuda-toolkit release
    # the sources enable the archive area that carries it (Ubuntu's multiverse, Debian's
    # non-free); None: the sources were not read, or nvwizard does not know the distribution
    distro_cuda_area: bool | None = None
    cudnn_cuda_majors: list[int] = field(default_factory=list)  # cudnn9-cuda-<major>
    container_toolkit: bool = False  # nvidia-container-toolkit


@dataclass(frozen=True)
class DevStack:
    """The CUDA toolkit, cuDNN and the container toolkit, as installed and as offered."""

    cuda_toolkits: list[CudaToolkitInstall] = field(default_factory=list)
    cudnn: CudnnInstall | None = None
    container_toolkit: ContainerToolkitInstall | None = None
    cuda_repo: bool = False  # NVIDIA's CUDA apt repository is configured
    container_runtimes: list[str] = field(default_factory=list)  # installed: docker, ...
    offers: StackOffers = field(default_factory=StackOffers)
    # apt preferences keep the CUDA repository's driver packages out (priority below 0)
    cuda_repo_driver_pin: bool = False
    architecture: str | None = None  # dpkg's: amd64, arm64
    curl: bool | None = None  # curl is installed (None: dpkg was not read)

    def to_json(self) -> dict:
        return {
            "cuda_toolkits": [asdict(t) for t in self.cuda_toolkits],
            "cudnn": asdict(self.cudnn) if self.cudnn else None,
            "container_toolkit": asdict(self.container_toolkit) if self.container_toolkit else None,
            "cuda_repo": self.cuda_repo,
            "cuda_repo_driver_pin": self.cuda_repo_driver_pin,
            "container_runtimes": list(self.container_runtimes),
            "stack_offers": asdict(self.offers),
        }


@dataclass
class Report:
    os: str | None  # "Ubuntu 22.04.4 LTS"
    os_id: str | None  # "ubuntu"
    os_version: str | None  # "22.04"
    kernel: str | None  # `uname -r`
    gpus: list[Gpu] = field(default_factory=list)
    nvswitch_count: int = 0  # NVIDIA PCI bridges (class 0680) on HGX boards
    driver_candidates: list[DriverCandidate] = field(default_factory=list)
    recommended_driver: str | None = None
    recommendation_reason: str | None = None  # why nvwizard recommends it (one paragraph)
    ubuntu_drivers_recommended: str | None = None  # what `ubuntu-drivers devices` recommends
    installed_packages: list[DpkgEntry] = field(default_factory=list)
    loaded_module: LoadedModule | None = None
    nvidia_smi: NvidiaSmi | None = None
    secure_boot: str = "unknown"  # enabled, disabled, unsupported, unknown
    nouveau_loaded: bool | None = None
    headless: bool | None = None  # detection's: None, no evidence either way
    # the user's answer (--headless/--desktop, the wizard's Headless box), which the ranking
    # and the plan follow instead of detection's; None: not given
    headless_answer: bool | None = None
    over_ssh: bool = False
    gpu_processes: list[GpuProcess] = field(default_factory=list)
    # NVIDIA's GPU services, as systemctl answers (else their daemons among gpu_processes)
    gpu_services: list[UnitState] = field(default_factory=list)
    lock_holders: list[LockHolder] = field(default_factory=list)
    held_packages: list[str] = field(default_factory=list)
    dpkg_interrupted: bool = False
    reboot_required: bool = False
    # the kernel package a pending reboot is for (activation_facts.pending_kernel_package):
    # loading a driver without a reboot is ruled out until then; None: none waits
    pending_kernel: str | None = None
    # what asked for the pending reboot (reboot-required.pkgs, else a newer linux-image); []:
    # none pending, or not known
    reboot_required_for: list[str] = field(default_factory=list)
    signed_modules_available: list[str] = field(default_factory=list)  # linux-modules-nvidia-*
    # the driver packages apt offers (nvidia-driver-580-server, nvidia-tesla-535-driver); None
    # where apt was not asked (no GPU, no driver named) or a bundle has no apt-cache-show.txt
    apt_drivers: list[str] | None = None
    # Ubuntu's installed kernel metapackages (linux-image-generic, ...) and the headers
    # metapackages apt offers beside them (report/kernel_headers.py)
    kernel_metapackages: list[str] = field(default_factory=list)
    headers_metapackages: list[str] = field(default_factory=list)
    drivers_not_understood: list[str] = field(default_factory=list)  # listed, but not parsed
    driver_sources: list[str] = field(default_factory=list)  # "ubuntu-drivers devices", "apt"
    findings: list[Finding] = field(default_factory=list)
    source: str = "this machine"  # the host's label
    # the demo machine it is (its advice in the demo's own commands); None: a real machine's
    # report (this machine, a bundle)
    demo: DemoRef | None = None
    debian: DebianFacts | None = None  # Debian only: versions apt offers, sources (debian.py)
    stack: DevStack = field(default_factory=DevStack)  # CUDA toolkit, cuDNN, containers
    # this boot's kernel log, its NVIDIA facts (Xids, API mismatch, ...); None: not captured
    kernel_log: KernelLog | None = None
    # The day end-of-life dates were judged against (build_report's `today`): every lifecycle
    # above and every later judgement (findings, plan warnings) is for this day.
    today: dt.date | None = None

    @property
    def assumes_headless(self) -> bool:
        """No evidence either way and no answer: rank, plan and explain as for a headless
        server."""
        return self.ranked_headless is None

    @property
    def ranked_headless(self) -> bool | None:
        """What the ranking follows: the user's answer, else detection's (None: unknown)."""
        return self.headless if self.headless_answer is None else self.headless_answer

    @property
    def headless_or_assumed(self) -> bool:
        return self.ranked_headless is not False

    @property
    def has_nvidia_gpu(self) -> bool:
        return bool(self.gpus)

    @property
    def gpu_jobs(self) -> list[GpuProcess]:
        """The processes using the GPU that a driver change kills: all but the daemons of
        NVIDIA's GPU services (nvidia-persistenced, fabric manager, DCGM), which are the
        driver's own: a plan stops them (the purge with their packages, the activation's
        first step) and they start again with the new driver."""
        return [p for p in self.gpu_processes if not service_of_process(p.name)]

    @property
    def unfinished_packages(self) -> list[DpkgEntry]:
        """NVIDIA packages dpkg left unfinished (iF, iU, iH, iW, it): they need a repair."""
        return [p for p in self.installed_packages if unfinished_meaning(p.state)]

    @property
    def needs_dpkg_repair(self) -> bool:
        """dpkg was interrupted or left NVIDIA packages unfinished: repair before any change."""
        return self.dpkg_interrupted or bool(self.unfinished_packages)

    def candidate(self, package: str) -> DriverCandidate | None:
        return next((c for c in self.driver_candidates if c.package == package), None)

    def to_json(self) -> dict:
        """The `nvwizard detect --json` object (documented in the README)."""
        smi = self.nvidia_smi
        return {
            "source": self.source,
            "os": self.os,
            "os_id": self.os_id,
            "os_version": self.os_version,
            "kernel": self.kernel,
            "gpus": [asdict(g) for g in self.gpus],
            "nvswitch_count": self.nvswitch_count,
            "driver_candidates": [asdict(c) for c in self.driver_candidates],
            "recommended_driver": self.recommended_driver,
            "recommendation_reason": self.recommendation_reason,
            "ubuntu_drivers_recommended": self.ubuntu_drivers_recommended,
            "installed_packages": [
                {"name": p.name, "version": p.version, "state": p.state}
                for p in self.installed_packages
            ],
            "loaded_module": asdict(self.loaded_module) if self.loaded_module else None,
            "nvidia_smi": None
            if smi is None
            else {
                "status": smi.status,
                "driver_version": smi.driver_version,
                "cuda_version": smi.cuda_version,
                "message": smi.message,
                "gpus": [
                    {
                        "index": g.index,
                        "name": g.name,
                        "bus_id": g.bus_id,
                        "memory_total_mib": g.memory_total_mib,
                    }
                    for g in smi.gpus
                ],
            },
            "secure_boot": self.secure_boot,
            "nouveau_loaded": self.nouveau_loaded,
            "headless": self.headless,
            "over_ssh": self.over_ssh,
            "gpu_processes": [asdict(p) for p in self.gpu_processes],
            "gpu_services": [asdict(u) for u in self.gpu_services],
            "lock_holders": [asdict(h) for h in self.lock_holders],
            "held_packages": self.held_packages,
            "dpkg_interrupted": self.dpkg_interrupted,
            "reboot_required": self.reboot_required,
            "signed_modules_available": self.signed_modules_available,
            "kernel_metapackages": self.kernel_metapackages,
            "headers_metapackages": self.headers_metapackages,
            "drivers_not_understood": self.drivers_not_understood,
            "driver_sources": self.driver_sources,
            **self.stack.to_json(),
            "kernel_log": asdict(self.kernel_log) if self.kernel_log else None,
            "findings": [asdict(f) for f in self.findings],
            "debian": self.debian.to_json() if self.debian else None,
        }

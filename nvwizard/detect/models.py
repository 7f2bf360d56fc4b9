"""Facts as the parsers read them from raw tool output.

Every parser in this package is a pure function: text in, these dataclasses out. Parsers never
raise on bad input; what they cannot read becomes None, "unknown" or an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class OsRelease:
    id: str | None = None  # "ubuntu", "debian"
    version_id: str | None = None  # "22.04", "12"
    pretty_name: str | None = None
    version_codename: str | None = None  # "jammy"
    id_like: str | None = None


@dataclass(frozen=True)
class PciDevice:
    address: str  # always with the domain: "0000:01:00.0"
    vendor_id: str  # 4 lowercase hex digits, "10de"
    device_id: str | None  # 4 lowercase hex digits, "2204"; None when plain lspci shows none
    class_code: str | None = None  # 4 lowercase hex digits, "0300", "0302", "0680"
    description: str | None = None  # "NVIDIA Corporation GA102 [GeForce RTX 3090]"
    subsystem: str | None = None
    driver_in_use: str | None = None  # from `lspci -k`
    kernel_modules: tuple[str, ...] = ()
    # 2 lowercase hex digits from `(rev a1)` or sysfs-pci's `revision=`; "ff": its config space
    # reads all ones, the device does not answer on the bus
    revision: str | None = None


@dataclass(frozen=True)
class Modalias:
    """A concrete PCI modalias, `pci:v0000VVVVd0000DDDDsvSSSSSSSSsdSSSSSSSSbcCCscSSiII`."""

    vendor: str  # 4 lowercase hex digits, "10de"
    device: str  # 4 lowercase hex digits, "2204"
    subvendor: str  # 4 lowercase hex digits
    subdevice: str  # 4 lowercase hex digits
    base_class: str  # 2 lowercase hex digits, "03"
    sub_class: str  # 2 lowercase hex digits, "00" (VGA), "02" (3D controller)
    prog_if: str  # 2 lowercase hex digits


@dataclass(frozen=True)
class UbuntuDriversDriver:
    package: str
    source: str = "distro"  # "distro" or "third-party"
    free: bool = False
    builtin: bool = False
    recommended: bool = False


@dataclass(frozen=True)
class UbuntuDriversDevice:
    sysfs_path: str | None = None
    modalias: str | None = None
    vendor: str | None = None
    model: str | None = None
    manual_install: bool = False
    drivers: tuple[UbuntuDriversDriver, ...] = ()


@dataclass(frozen=True)
class DpkgEntry:
    name: str  # without ":arch"
    version: str | None
    state: str  # two-letter dpkg code: "ii", "rc", "iU", "iF", "hi", ...
    arch: str | None = None
    description: str | None = None
    # the name or version fills its `dpkg -l` column exactly: in a narrow terminal dpkg cuts
    # values to the column width, so this one may be cut (never purge by such a name)
    maybe_truncated: bool = False


@dataclass(frozen=True)
class SmiGpu:
    index: int | None
    name: str | None = None
    bus_id: str | None = None  # as nvidia-smi prints it: "00000000:01:00.0"
    memory_total_mib: int | None = None
    memory_used_mib: int | None = None
    mig_mode: str | None = None  # "Enabled", "Disabled", "N/A"


@dataclass(frozen=True)
class SmiProcess:
    gpu_index: int | None
    pid: int | None
    type: str | None  # "C", "G", "C+G"
    name: str | None
    memory_mib: int | None = None


@dataclass(frozen=True)
class SmiUnreachableGpu:
    """ "Unable to determine the device handle for GPU 0000:02:00.0: GPU is lost. ..." """

    address: str  # normalised, "0000:02:00.0"
    reason: str  # what nvidia-smi says after the address: "Unknown Error", "GPU is lost. ..."

    @property
    def lost(self) -> bool:
        """NVML says the GPU is lost: it fell off the bus (Xid 79)."""
        return "gpu is lost" in self.reason.lower()


@dataclass(frozen=True)
class NvidiaSmi:
    # "ok", "no-driver", "version-mismatch", "no-devices", "error"
    status: str
    driver_version: str | None = None
    cuda_version: str | None = None
    gpus: tuple[SmiGpu, ...] = ()
    processes: tuple[SmiProcess, ...] = ()
    mig: bool = False  # a MIG devices table was present
    message: str | None = None  # the error text, for error statuses
    # "NVML library version: 550.127" printed under a version-mismatch error: the user-space
    # libraries' version, to compare with the loaded kernel module's
    nvml_library_version: str | None = None
    # the GPUs nvidia-smi names but cannot reach, listed or not beside the ones it shows
    unreachable: tuple[SmiUnreachableGpu, ...] = ()


@dataclass(frozen=True)
class KernelModuleVersion:
    version: str | None
    flavor: str | None  # "open", "proprietary", or None when unknown


@dataclass(frozen=True)
class LsmodEntry:
    name: str
    size: int | None = None
    used_by: tuple[str, ...] = ()  # the loaded modules that use it
    count: int | None = None  # its use count: modules using it plus open files, the console...


@dataclass(frozen=True)
class AptPackage:
    """One stanza of `apt-cache show` (or a Packages file)."""

    package: str
    version: str | None = None
    depends: tuple[str, ...] = ()  # raw dependency clauses, "nvidia-utils-550 (= 550.1)"
    provides: tuple[str, ...] = ()
    modaliases: tuple[str, ...] = ()  # "pci:v000010DEd00001340sv*sd*bc03sc*i*"
    support: str | None = None  # "PB", "LTSB", "NFB", "Legacy", ...
    origin: str | None = None  # "Ubuntu", "NVIDIA" (from apt-cache policy or a Origin: header)
    section: str | None = None
    installed_size_kib: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GpuProcess:
    pid: int
    name: str
    user: str | None = None
    device: str | None = None  # "/dev/nvidia0"


@dataclass(frozen=True)
class UnitState:
    """A systemd unit as `systemctl is-active` and `is-enabled` answer for it."""

    name: str  # "nvidia-persistenced.service"
    active: str  # "active", "inactive", "failed", "activating", ...
    enabled: str | None = None  # "enabled", "disabled", "static", ... (None: not asked)


@dataclass(frozen=True)
class Framebuffer:
    """One line of /proc/fb: the framebuffer's number and its driver's name."""

    index: int  # 0 is the one the console takes first
    name: str  # "nouveaudrmfb", "astdrmfb", "EFI VGA", "simpledrmdrmfb"


@dataclass(frozen=True)
class LockHolder:
    pid: int
    name: str
    lock_path: str


@dataclass(frozen=True)
class DfEntry:
    mount: str  # "/", "/var", "/boot"
    available_kib: int


class DkmsModule(NamedTuple):
    """One `dkms status` row. A named tuple: older callers unpack it as a 4-tuple."""

    module: str  # "nvidia"
    version: str  # "580.95.05"
    kernel: str  # "6.8.0-45-generic"
    status: str  # "installed", "built"


# -- the developer stack: CUDA toolkit, cuDNN, container toolkit -----------------------------


@dataclass(frozen=True)
class NvccVersion:
    release: str  # "12.8": "Cuda compilation tools, release 12.8, V12.8.93"
    version: str | None = None  # "12.8.93"
    path: str | None = None  # the nvcc that printed it, when the source names it


@dataclass(frozen=True)
class CudaDirectory:
    """A CUDA toolkit folder under /usr/local (from cuda-toolkits.txt)."""

    path: str  # "/usr/local/cuda-12.8"
    version: str | None  # its version.json's (or version.txt's) CUDA release, "12.8.1"


@dataclass(frozen=True)
class CudaFolders:
    directories: tuple[CudaDirectory, ...] = ()
    cuda_link: str | None = None  # where /usr/local/cuda points, "/usr/local/cuda-12.8"


@dataclass(frozen=True)
class CudnnHeader:
    version: str  # "9.10.2"
    path: str | None = None  # the header it came from, when the source names it


@dataclass(frozen=True)
class CudaSample:
    """The vector-add program compiled with the installed nvcc and run (cuda-sample.txt)."""

    nvcc: str | None  # the nvcc used; None when none was found
    compiled: bool | None  # None: not tried
    ran: bool | None  # None: not run (see `skipped`)
    passed: bool  # the program checked its result and printed PASSED
    skipped: str | None = None  # why it was not compiled or not run
    output: tuple[str, ...] = ()  # compiler and program output, for the failure message
    simulated: bool = False  # a demo machine's simulator answered, nothing was compiled


@dataclass(frozen=True)
class DockerInfo:
    runtimes: tuple[str, ...] = ()  # "Runtimes: io.containerd.runc.v2 nvidia runc"
    default_runtime: str | None = None
    error: str | None = None  # the daemon did not answer: "Cannot connect ...", permission


@dataclass(frozen=True)
class AptPin:
    """One apt preferences stanza."""

    packages: tuple[str, ...]  # names, globs or /regex/ as written
    pin: str  # "release o=NVIDIA,l=NVIDIA CUDA", "origin developer.download.nvidia.com"
    priority: int

"""Which nvidia kernel module the machine runs, from what the host read: /proc, lsmod with
modinfo, or an answering nvidia-smi."""

from __future__ import annotations

from nvwizard.detect import proc_version
from nvwizard.detect.models import LsmodEntry, NvidiaSmi
from nvwizard.host.base import Host
from nvwizard.report.models import LoadedModule

__all__ = ["loaded_module", "modinfo_flavor"]


def loaded_module(
    host: Host, modules: list[LsmodEntry] | None, smi: NvidiaSmi | None = None
) -> LoadedModule | None:
    """The nvidia module the kernel runs: /proc/driver/nvidia/version, else lsmod with modinfo,
    else, where lsmod was not captured or shows nvidia, an answering nvidia-smi (it answers
    only through a loaded module, and prints that module's version; the flavour stays
    unknown)."""
    text = host.read("proc-driver-nvidia-version.txt")
    proc = proc_version.parse_proc_driver_version(text) if text is not None else None
    if proc is not None and proc.version:
        return LoadedModule(proc.version, proc.flavor)
    listed = modules is not None and any(m.name == "nvidia" for m in modules)
    from_smi = None
    if smi is not None and smi.status == "ok" and smi.driver_version:
        from_smi = LoadedModule(smi.driver_version, None)
    # modinfo describes the module on disk: it is the loaded one only if lsmod shows nvidia.
    if not listed:
        return from_smi if modules is None else None
    text = host.read("modinfo-nvidia.txt")
    info = proc_version.parse_modinfo(text) if text is not None else {}
    version = info.get("version")
    if not version:
        return from_smi
    return LoadedModule(version, modinfo_flavor(info.get("license")))


def modinfo_flavor(license_text: str | None) -> str | None:
    """The open modules are licensed "Dual MIT/GPL"; the proprietary ones "NVIDIA"."""
    if not license_text:
        return None
    if "MIT" in license_text or "GPL" in license_text:
        return "open"
    return "proprietary" if "NVIDIA" in license_text else None

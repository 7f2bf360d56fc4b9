"""What a plan installs on Debian, where every driver family has its own package names.

Debian builds the kernel modules with DKMS, always: there are no precompiled, signed module
packages like Ubuntu's linux-modules-nvidia-*. Under Secure Boot, Debian's DKMS signs the
module with its own Machine Owner Key (/var/lib/dkms/mok.key), which must be enrolled once
with `mokutil --import /var/lib/dkms/mok.pub` and confirmed at the next boot on the console
(knowledge/secure_boot.py).

- headless (compute): the kernel modules (`nvidia-kernel-dkms`, `nvidia-open-kernel-dkms` or
  the Tesla family's), `nvidia-smi`, `libcuda1`, `libnvidia-cfg1` (each in the chosen
  family's name), `nvidia-persistenced` unless --no-persistenced (Debian's package enables its
  service itself, and only a recommendation names it: left out, it is not installed), the GSP
  firmware for GPUs that have a GSP;
- desktop: the family's metapackage (`nvidia-driver`, `nvidia-tesla-535-driver`), with the
  open kernel modules named first when chosen (apt then takes them for the metapackage's
  `nvidia-kernel-dkms | nvidia-open-kernel-<version>` dependency), and the family's
  nvidia-smi, which no metapackage depends on (Verify runs it). The metapackage recommends
  nvidia-persistenced, which then comes and runs: the plan says so when it was not asked for;
- both: the headers of the running kernel plus the headers metapackage that follows its
  updates (knowledge/debian.py knows each ABI form), so DKMS builds for the next kernel too.

Every package a plan names of one family must come at one version: apt cannot mix them (they
depend on each other with `=`). When the newest versions apt offers disagree, the plan is
refused with the reason rather than pinned to an older, consistent version: checked on the
real archive (tests/debian_archive), bookworm's open modules lag bookworm-security's driver,
and a family pinned to the open modules' version misses that security update, is kept back
by `apt upgrade` and loses the open modules to nvidia-kernel-dkms on `apt full-upgrade`.

When the apt sources lack contrib, non-free or non-free-firmware, `sources_step` adds them in
a file of their own (shown in full in the plan, confirmed with it), before the package lists
are refreshed.
"""

from __future__ import annotations

import shlex
import sys

from nvwizard.errors import RefusedError
from nvwizard.knowledge import debian
from nvwizard.knowledge.debian import PERSISTENCED, DebianDriver, headers_meta
from nvwizard.knowledge.packages import branch_of_version
from nvwizard.plan import models as pm
from nvwizard.plan.models import Choices, Step
from nvwizard.report.debian import SOURCES_FILE_STEM, ComponentGap, open_modules_lag
from nvwizard.report.models import Report
from nvwizard.report.secure_boot import dkms_plan_warning

ADD_APT_SOURCE = "_add-apt-source"  # nvwizard's internal command (cli/apt_source_cmd.py)


def debian_branch(report: Report, name: str) -> tuple[int | None, str | None]:
    """The branch of a Debian driver name without one (nvidia-driver), and a warning when it
    is not apt's: from apt's version, else the release table, else its candidate."""
    versions = report.debian.versions if report.debian else {}
    if name in versions:
        return branch_of_version(versions[name]), None
    known = debian.release(report.os_version) if report.os_id == "debian" else None
    branch = dict(known.drivers_for(report.kernel)).get(name) if known else None
    if known is None or branch is None:
        candidate = report.candidate(name)
        return (candidate.branch if candidate else None), None
    return branch, (
        f"apt does not offer {name} yet: Debian {known.version} ({known.codename}) has it at "
        f"branch {branch}; the install takes the version apt offers once the sources are "
        "refreshed."
    )


def refuse_unless_installable(report: Report, driver: DebianDriver) -> None:
    """Refuse a family whose packages apt cannot install at one version today."""
    if not driver.open or report.debian is None:
        return
    lag = open_modules_lag(report.debian)
    if lag is None:
        return
    raise RefusedError(
        f"{driver.name} cannot be installed here today: {lag}. Pinning the whole driver to the "
        "open modules' version instead would leave out the newer update; `apt upgrade` would "
        "then keep the driver back and `apt full-upgrade` replace the open modules with "
        f"nvidia-kernel-dkms. Choose {debian.CURRENT_DRIVER} (the proprietary modules) until "
        "Debian updates the open ones."
    )


def _needs_gsp_firmware(report: Report, driver: DebianDriver) -> bool:
    """The open modules always run on the GSP; the proprietary ones use it on Turing+."""
    if not driver.has_gsp_firmware:
        return False
    if driver.open or not report.gpus:
        return True
    return any(g.open_kernel in ("supported", "required") for g in report.gpus)


def _headers(report: Report, warnings: list[str]) -> list[str]:
    kernel = report.kernel
    if not kernel:
        warnings.append(
            "The running kernel is unknown: add its linux-headers package, DKMS needs it."
        )
        return []
    meta = headers_meta(kernel)
    if meta is None and debian.is_backports_kernel(kernel):
        flavour = debian.kernel_flavour(kernel)
        known = debian.release(report.os_version)
        suite = f"{known.codename}-backports" if known else "<release>-backports"
        warnings.append(
            f"Kernel {kernel} comes from backports: DKMS builds for it, but for its updates "
            "install the headers metapackage from there too "
            f"(`{shlex.join(['apt-get', '-t', suite, 'install', f'linux-headers-{flavour}'])}`)."
        )
    elif meta is None:
        warnings.append(
            f"Kernel {kernel} is not one of Debian's: no headers metapackage follows it, so "
            "DKMS builds the module only for kernels whose headers you install."
        )
    return [f"linux-headers-{kernel}"] + ([meta] if meta else [])


def debian_install_lists(
    report: Report, choices: Choices, driver: DebianDriver
) -> tuple[list[str], list[str], str]:
    """(packages, warnings, why of the install step) for a Debian driver."""
    warnings: list[str] = []
    if choices.headless:
        # persistenced depends on `libnvidia-cfg1 | ... | libnvidia-cfg1-any`: naming the
        # family's library first keeps apt from pulling the current family's beside a Tesla one
        packages = [driver.kernel_dkms, driver.smi, driver.cuda_library, driver.cfg_library]
        # only named here (the libraries merely recommend it, and headless installs leave
        # recommendations out): without --persistenced it stays out, service and all
        packages += [PERSISTENCED] if choices.persistenced else []
        if _needs_gsp_firmware(report, driver):
            packages.append(driver.gsp_firmware)
    elif driver.open:
        packages = [driver.kernel_dkms, driver.metapackage, driver.smi]
    else:
        packages = [driver.metapackage, driver.smi]
    if not choices.headless and not choices.persistenced:
        warnings.append(persistenced_comes_anyway(driver))
    headers = _headers(report, warnings)
    packages += headers
    if report.secure_boot == "enabled":
        warnings.append(dkms_plan_warning(report, reboots=choices.reboot))
    follows = (
        " (and, with the headers metapackage, for each new kernel)" if len(headers) > 1 else ""
    )
    why = (
        f"Debian has no precompiled NVIDIA modules: DKMS builds {driver.kernel_dkms} for kernel "
        f"{report.kernel or '(unknown)'}{follows}; under Secure Boot it loads only once DKMS's key "
        "(/var/lib/dkms/mok.pub) is enrolled as a Machine Owner Key."
    )
    return packages, warnings, why


def persistenced_comes_anyway(driver: DebianDriver) -> str:
    """A desktop install takes the metapackage's recommendations, nvidia-persistenced among
    them (checked on the real archive: tests/debian_archive), and Debian's nvidia-persistenced
    enables and starts its own service: not enabling it is not enough to go without it."""
    return (
        f"{driver.metapackage} recommends {PERSISTENCED}, which apt installs with it, and "
        f"Debian's {PERSISTENCED} package enables and starts its service itself: it runs "
        f"although this plan does not enable it. To go without it, run "
        f"`systemctl disable --now {PERSISTENCED}` after the install, or install headless "
        "(--headless --no-persistenced leaves the package out)."
    )


# -- the apt sources ------------------------------------------------------------------------


def sources_file(gaps: list[ComponentGap]) -> tuple[str, str]:
    """(path, content) of the file that adds the missing components: one-line entries, or
    deb822 stanzas where every entry it extends is a deb822 one. Each new entry repeats its
    archive entry's options: apt refuses two entries of one archive signed by different keys."""
    header = (
        "# Added by nvwizard: Debian ships its NVIDIA driver packages in contrib, non-free and\n"
        "# non-free-firmware, which the other sources did not enable. Delete this file to undo.\n"
    )
    if all(g.deb822 for g in gaps):
        # one stanza per archive, key and missing components: "Suites: trixie trixie-updates"
        groups: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
        for gap in gaps:
            groups.setdefault((gap.uri, gap.options, gap.missing), []).append(gap.suite)
        stanzas = []
        for (uri, options, missing), suites in groups.items():
            lines = ["Types: deb", f"URIs: {uri}", f"Suites: {' '.join(suites)}"]
            lines.append(f"Components: {' '.join(missing)}")
            signed_by = _signed_by(options)
            if signed_by:
                lines.append(f"Signed-By: {signed_by}")
            stanzas.append("\n".join(lines) + "\n")
        return f"{SOURCES_FILE_STEM}.sources", header + "\n" + "\n".join(stanzas)
    lines = []
    for gap in gaps:
        options = f" {gap.options}" if gap.options else ""
        lines.append(f"deb{options} {gap.uri} {gap.suite} {' '.join(gap.missing)}\n")
    return f"{SOURCES_FILE_STEM}.list", header + "".join(lines)


def _signed_by(options: str) -> str | None:
    for option in options.strip("[] ").split():
        key, _, value = option.partition("=")
        if key == "signed-by":
            return value
    return None


def add_apt_source_argv(path: str, content: str) -> list[str]:
    """The command that writes a new file into apt's sources.list.d (nvwizard's own)."""
    name = path.rsplit("/", 1)[-1]
    return [sys.executable, "-m", "nvwizard", ADD_APT_SOURCE, "--name", name, "--content", content]


def sources_step(report: Report) -> Step | None:
    """Enable contrib, non-free and non-free-firmware where the sources lack them."""
    gaps = report.debian.component_gaps if report.debian else []
    if not gaps:
        return None
    inline = [g for g in gaps if g.inline_key]
    if inline:
        raise RefusedError(
            f"the apt sources lack {' '.join(inline[0].missing)} for {inline[0].uri} "
            f"{inline[0].suite}, whose key is written inline in {inline[0].file or 'its file'}: "
            "add the components to that entry by hand, run `apt-get update`, then plan again"
        )
    path, content = sources_file(gaps)
    missing = sorted({c for g in gaps for c in g.missing}, key=debian.NVIDIA_COMPONENTS.index)
    return Step(
        id="sources",
        title=f"Enable Debian's {', '.join(missing)} in {path}",
        why="Debian's NVIDIA packages live there; the new file, shown in full in the command, "
        "adds them beside your own sources and leaves those untouched.",
        commands=[add_apt_source_argv(path, content)],
        changes_system=True,
        on_failure=f"Add the components by hand (see `nvwizard detect`), or delete {path} and "
        "apply again.",
        kind=pm.SOURCES,
    )

"""What the package managers say: apt's driver stanzas, its sources, and the held packages.

apt is slow to start where its binary cache is off (each `apt-cache` call then re-reads every
package list: 0.5-0.8 s), and even with the cache a regular expression makes apt look at every
package name (0.1-0.3 s). So apt is asked once, by one `apt-cache show` whose regular
expression picks the packages the report and the demo simulator read, and only when the report
needs it (see report/build.py: not on a machine without an NVIDIA GPU). The held packages come
from dpkg-query's Status column ("hold" selections), the list `apt-mark showhold` prints,
without starting apt at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from nvwizard.host.reading import Unavailable, read_small, run_command
from nvwizard.host.system_files import under

APT_TIMEOUT_S = 120
INLINE_KEY = "(inline key)"  # a deb822 Signed-By with the key itself (detect/apt_sources.py)

# Debian names a driver family inside each package name: tesla-535-, legacy-390xx-, tesla-.
_DEBIAN_FAMILY = "((tesla|legacy)-([0-9]+(xx)?-)?)?"
# The packages worth an `apt-cache show`, as one POSIX extended regular expression (apt's
# regex flavour). Together: everything driver ranking, signed modules and plans read.
_DRIVER_PACKAGES = (
    # Ubuntu: the driver by branch (nvidia-driver-580-server-open), its parts and fabric
    # manager, the legacy names of old releases (nvidia-340, nvidia-331-updates), and NVIDIA's
    # CUDA repository's cuda-drivers.
    "nvidia-(driver|utils|headless|headless-no-dkms|dkms|kernel-common|kernel-source|"
    "compute-utils|firmware|fabricmanager)-[0-9].*"
    "|nvidia-[0-9]+(-updates)?"
    "|libnvidia-(compute|nscq)-[0-9].*"
    "|cuda-drivers(-[0-9]+)?"
    # Debian (knowledge/debian.py): each family's driver, kernel modules, nvidia-smi, CUDA
    # library, NVML's configuration library (nvidia-persistenced needs it) and GSP firmware,
    # and the open kernel modules.
    f"|nvidia-{_DEBIAN_FAMILY}(driver|kernel-dkms|smi)"
    "|nvidia-open-kernel-dkms"
    f"|libcuda1|libnvidia-{_DEBIAN_FAMILY}(cuda1|cfg1)"
    f"|firmware-nvidia-{_DEBIAN_FAMILY}gsp"
    # The developer stack (knowledge/cuda.py, containers.py): NVIDIA's toolkit and cuDNN
    # packages, the distribution's toolkit, the container toolkit, the CUDA keyring.
    "|cuda-toolkit-[0-9]+-[0-9]+|cudnn9-cuda-[0-9]+|nvidia-cuda-toolkit"
    "|nvidia-container-toolkit|cuda-keyring"
)


# An Ubuntu kernel release's flavour ("6.8.0-94-generic": generic); the kernel metapackages of
# that flavour are named after it (linux-headers-generic-hwe-24.04, linux-headers-aws), and
# the virtual ones install generic kernels too (knowledge/packages.py).
_UBUNTU_FLAVOUR = re.compile(r"^\d+\.\d+\.\d+-\d+-([a-z][a-z0-9]*(?:-[a-z0-9]+)*)$")


def _escaped(name: str) -> str:
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name)


def _headers_metapackages(kernel: str) -> str | None:
    """The headers metapackages of the kernel series of this kernel's flavour, as a regular
    expression ("(generic|virtual)(-[a-z0-9.]+)*"), or None for a kernel not of Ubuntu's form."""
    match = _UBUNTU_FLAVOUR.match(kernel)
    if match is None:
        return None
    flavour = match.group(1)
    family = "(generic|virtual)" if flavour == "generic" else _escaped(flavour)
    return f"{family}(-[a-z0-9.]+)*"


def apt_show_pattern(kernel: str) -> str:
    """The packages worth an `apt-cache show`: the driver packages, the signed kernel modules
    for this kernel and their meta packages (not the hundreds built for other kernels), this
    kernel's headers, and the headers metapackages of its flavour's kernel series."""
    release = _escaped(kernel)
    # A meta package's rest ("generic", "generic-hwe-24.04", "generic-hwe-22.04-edge") has at
    # most one dot: "open-5.15.0-1-generic" is another kernel's package, not a meta one.
    meta = r"[^0-9][^.]*(\.[0-9]+(-[a-z]+)?)?"
    modules = f"linux-modules-nvidia-[0-9]+(-server)?(-open)?-({release}|{meta})"
    metas = _headers_metapackages(kernel)
    headers = f"({release}|{metas})" if metas else release
    return f"^({_DRIVER_PACKAGES}|{modules}|linux-headers-{headers})$"


def apt_show_argv(kernel: str) -> list[str]:
    return ["apt-cache", "show", apt_show_pattern(kernel)]


# A stanza's end (a blank line) and its package's name, as apt-cache show and the parser see them.
_STANZA_BREAK = re.compile(r"\n[^\S\n]*\n")
_PACKAGE_FIELD = re.compile(r"^Package:[ \t]*(\S+)", re.MULTILINE)


def apt_show_answer(listing: str, kernel: str) -> str:
    """What `apt-cache show` with apt_show_pattern(kernel) prints on a machine whose apt offers
    the stanzas of `listing` (a whole Packages-like text): only the stanzas of the packages the
    pattern names, in their order. A simulated machine answers with it, so detection on a demo
    reads what it reads on a real machine (and no more: half the demo listing is the rest of
    apt's universe, there for the simulated apt-get)."""
    wanted = re.compile(apt_show_pattern(kernel))
    kept = []
    for stanza in _STANZA_BREAK.split(listing.replace("\r\n", "\n")):
        name = _PACKAGE_FIELD.search(stanza)
        if name is not None and wanted.match(name.group(1)):
            kept.append(stanza.strip("\n"))
    return "\n\n".join(kept) + "\n" if kept else ""


def apt_cache_show(kernel: str, timeout_s: float = APT_TIMEOUT_S) -> str | Unavailable:
    """The stanzas of every version apt offers of the driver packages (empty: apt offers none)."""
    result = run_command(apt_show_argv(kernel), timeout_s)
    if isinstance(result, Unavailable):
        return result
    if result.exit_code != 0 and not result.stdout.strip():
        if "No packages found" in result.stderr:
            return ""  # apt answered: it offers none of them
        first = (result.stderr.strip().splitlines() or [""])[0]
        return Unavailable(f"apt-cache show failed: {first}")
    return result.stdout  # purely virtual names only add stderr notes


def held_packages(
    dpkg_query: str | None, apt_mark: Callable[[], str | Unavailable]
) -> str | Unavailable:
    """`apt-mark showhold`'s list: from dpkg-query's text when it answered, else apt-mark."""
    if dpkg_query is None:
        return apt_mark()
    return "".join(f"{name}\n" for name in held_in_dpkg_query(dpkg_query))


def held_in_dpkg_query(text: str) -> list[str]:
    """Packages whose dpkg selection is "hold" (Status `hold ok installed`), from dpkg-query
    lines `<package>\t<status>\t<version>`: what `apt-mark showhold` lists."""
    held = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[1].split()[:1] == ["hold"]:
            held.append(fields[0])
    return held


def apt_sources(root: Path) -> str:
    """The deb lines of sources.list and sources.list.d (.list and deb822 .sources files),
    each file's after a `# file: <path>` line (a plan adding Debian's components needs to
    know the format and the file of the entries it extends)."""
    files = [under(root, "/etc/apt/sources.list")]
    folder = under(root, "/etc/apt/sources.list.d")
    if folder.is_dir():
        files += sorted(folder.glob("*.list")) + sorted(folder.glob("*.sources"))
    lines: list[str] = []
    for file in files:
        text = read_small(file, strip=False)
        if text is None:
            continue
        if file.suffix == ".sources":
            entries = deb822_to_one_line(text)
        else:
            entries = [
                s.strip() for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")
            ]
        if entries:
            lines += [f"# file: /{file.relative_to(root)}", *entries]
    return "".join(f"{line}\n" for line in lines)


def deb822_to_one_line(text: str) -> list[str]:
    """deb822 `.sources` stanzas as one-line `deb [opts] URI suite components` entries; an
    inline Signed-By key becomes `[signed-by=(inline key)]`."""
    lines = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        signed_by = fields.get("signed-by")
        options = f" [signed-by={signed_by}]" if signed_by else ""
        if signed_by and "-----BEGIN" in signed_by:  # the key itself, not a keyring's path
            options = f" [signed-by={INLINE_KEY}]"
        for kind in fields.get("types", "").split():
            for uri in fields.get("uris", "").split():
                for suite in fields.get("suites", "").split():
                    lines.append(f"{kind}{options} {uri} {suite} {fields.get('components', '')}")
    return [line.rstrip() for line in lines]

"""The CUDA toolkit and cuDNN as the machine shows them: `nvcc --version`, the toolkit folders
under /usr/local, cuDNN's version header, and the vector-add program's result.

Sources: nvcc-version.txt, cuda-toolkits.txt, cudnn-version.txt, cuda-sample.txt. A source
that holds several outputs separates them with `== <path> ==` lines (as `ubuntu-drivers
devices` separates devices); a pasted single output needs no such line.
"""

from __future__ import annotations

import re

from nvwizard.detect._text import clean_lines
from nvwizard.detect.misc import parse_key_values
from nvwizard.detect.models import CudaDirectory, CudaFolders, CudaSample, CudnnHeader, NvccVersion

_SECTION_RE = re.compile(r"^==\s*(\S.*?)\s*==$")
# "Cuda compilation tools, release 12.8, V12.8.93" (every release since CUDA 5 prints it)
_NVCC_RE = re.compile(r"release\s+(\d+\.\d+)\s*,\s*V(\d+(?:\.\d+)*)")
_DEFINE_RE = re.compile(r"^\s*#\s*define\s+CUDNN_(MAJOR|MINOR|PATCHLEVEL)\s+(\d+)\b")
# a CUDA folder: "/usr/local/cuda-12.8", or "cuda-12.8" at the end of an `ls -l` line
_FOLDER_RE = re.compile(r"(?:^|\s)((?:/usr/local/)?cuda-(\d+\.\d+))(?:/)?(?:\s|$)")
_LINK_RE = re.compile(r"(?:^|\s)(?:/usr/local/)?cuda\s+->\s+(\S+)")


def _sections(text: str) -> list[tuple[str | None, list[str]]]:
    """Split on `== <path> ==` lines; text before the first one belongs to no path."""
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in clean_lines(text):
        match = _SECTION_RE.match(line.strip())
        if match:
            sections.append((match.group(1), []))
        else:
            sections[-1][1].append(line)
    return [(path, lines) for path, lines in sections if path is not None or any(lines)]


def parse_nvcc_version(text: str) -> NvccVersion | None:
    """The first nvcc's release; None when no nvcc answered ("Command 'nvcc' not found")."""
    found = parse_nvcc_versions(text)
    return found[0] if found else None


def parse_nvcc_versions(text: str) -> list[NvccVersion]:
    """Every nvcc in the source, each with the path of its section."""
    found = []
    for path, lines in _sections(text):
        for line in lines:
            match = _NVCC_RE.search(line)
            if match:
                found.append(NvccVersion(match.group(1), match.group(2), path))
                break
    return found


def parse_cudnn_header(text: str) -> CudnnHeader | None:
    """cudnn_version.h (cuDNN 8 and 9) or an old cudnn.h: "#define CUDNN_MAJOR 9" ... ->
    "9.10.2". A `grep CUDNN_MAJOR -A 2` paste works too. None without a major version."""
    for path, lines in _sections(text):
        parts: dict[str, str] = {}
        for line in lines:
            match = _DEFINE_RE.match(line)
            if match and match.group(1) not in parts:
                parts[match.group(1)] = match.group(2)
        if "MAJOR" in parts:
            version = ".".join(parts.get(key, "0") for key in ("MAJOR", "MINOR", "PATCHLEVEL"))
            return CudnnHeader(version, path)
    return None


def parse_cuda_folders(text: str) -> CudaFolders:
    """cuda-toolkits.txt: `<folder> version=<release>` lines and `/usr/local/cuda -> <target>`;
    an `ls -l /usr/local` paste gives the folders and the link (without versions)."""
    directories: dict[str, str | None] = {}
    link = None
    for line in clean_lines(text):
        link_match = _LINK_RE.search(line)
        if link_match:
            link = link_match.group(1).rstrip("/")
            continue
        folder = _FOLDER_RE.search(line)
        if not folder:
            continue
        path = folder.group(1)
        path = path if path.startswith("/") else f"/usr/local/{path}"
        values = parse_key_values(line.replace(" ", "\n"))
        directories.setdefault(path, values.get("version") or None)
    return CudaFolders(
        tuple(CudaDirectory(path, version) for path, version in sorted(directories.items())),
        link,
    )


SAMPLE_PASSED = "PASSED"


def parse_cuda_sample(text: str) -> CudaSample | None:
    """cuda-sample.txt: `key=value` lines (nvcc, compile, run: an exit code or
    `skipped: <why>`, simulated), then `--- output ---` and the output lines."""
    head, _, output = text.partition("--- output ---")
    values = parse_key_values(head)
    if not values:
        return None
    lines = tuple(line for line in clean_lines(output) if line.strip())
    compile_value = values.get("compile", "")
    run_value = values.get("run", "")
    skipped = next(
        (v.split(":", 1)[1].strip() for v in (compile_value, run_value) if v.startswith("skipped")),
        None,
    )
    compiled = (
        None if not compile_value or compile_value.startswith("skipped") else (compile_value == "0")
    )
    ran = None if not run_value or run_value.startswith("skipped") else run_value == "0"
    return CudaSample(
        nvcc=values.get("nvcc") or None,
        compiled=compiled,
        ran=ran,
        passed=bool(ran) and any(SAMPLE_PASSED in line for line in lines),
        skipped=skipped,
        output=lines,
        simulated=values.get("simulated", "").lower() in ("1", "yes", "true"),
    )

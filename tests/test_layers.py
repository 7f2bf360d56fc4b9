"""The house's layers: no module imports one above its own layer (function-local and
type-checking imports count), and the layers below the UI never import Textual, so `detect`,
`plan` and scripts start fast.

    host -> detect -> knowledge -> report -> plan -> engine -> front ends (tui, cli, export)

with the simulator beside host and above knowledge, and errors.py and the package's
__init__ shared leaves that anyone may import.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

NON_UI = [
    "nvwizard.host",
    "nvwizard.detect",
    "nvwizard.knowledge",
    "nvwizard.report",
    "nvwizard.plan",
    "nvwizard.engine",
    "nvwizard.cli.main",
]


def _imported_after(code: str) -> list[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_non_ui_layers_do_not_import_textual():
    import nvwizard

    modules = [
        m.name
        for m in pkgutil.walk_packages(nvwizard.__path__, "nvwizard.")
        # the wizard, and the command module that starts it (cli.main imports it only then)
        if not m.name.startswith("nvwizard.tui") and m.name != "nvwizard.cli.wizard_cmd"
    ]
    code = "\n".join(f"import {m}" for m in modules if m != "nvwizard.__main__")
    loaded = _imported_after(code)
    assert "nvwizard.host" in loaded  # the probe really imported the package
    assert not [m for m in loaded if m == "textual" or m.startswith("textual.")]
    assert "rich" not in loaded


def test_the_probe_sees_textual_when_it_is_imported():
    loaded = _imported_after("import nvwizard.tui.app")
    assert "textual" in loaded


# -- no upward import between layers -----------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "nvwizard"
SHARED_LEAVES = {"nvwizard", "nvwizard.errors"}  # anyone may import these; they import nothing
# What each layer may import besides itself and the shared leaves: the layers below it.
MAY_IMPORT: dict[str, set[str]] = {
    "host": set(),
    # pure parsers: text in, dataclasses out; not even host, which reads the machine
    "detect": set(),
    "knowledge": {"host", "detect"},
    # beside host, which never imports it; above knowledge, whose parsers and tables it uses
    "simulator": {"host", "detect", "knowledge"},
    "report": {"host", "detect", "knowledge"},
    "plan": {"host", "detect", "knowledge", "report"},
    "engine": {"host", "detect", "knowledge", "report", "plan"},
    # front ends pick the machine (the simulator for a bundle or demo) and drive the engine
    "tui": {"host", "detect", "knowledge", "simulator", "report", "plan", "engine"},
    "export": {"host", "detect", "knowledge", "simulator", "report", "plan", "engine"},
    # the command line also starts the wizard (`nvwizard` alone) and the export
    "cli": {
        "host",
        "detect",
        "knowledge",
        "simulator",
        "report",
        "plan",
        "engine",
        "tui",
        "export",
    },
    "__main__": {"cli"},
}
# An upward import that is justified: {(importing module, imported module): why}. None today.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository: "nvwizard/host/bundle.py"
    line: int
    importer: str  # "nvwizard.host.bundle"
    imported: str  # the module it names: "nvwizard.host.base"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def nvwizard_imports(root: Path) -> list[Import]:
    """Every import of an nvwizard module by a module under `root` (a folder holding the
    `nvwizard` package): at the top, in a function, under `if TYPE_CHECKING`, relative."""
    modules = {module_name(p, root): p for p in (root / "nvwizard").rglob("*.py")}
    found = []
    for importer, path in sorted(modules.items()):
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                # `from nvwizard.x import y`: the module nvwizard.x.y when it is one, else x
                names = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            else:
                continue
            for name in dict.fromkeys(names):
                if name == "nvwizard" or name.startswith("nvwizard."):
                    relative = str(path.relative_to(root))
                    found.append(Import(relative, node.lineno, importer, name))
    return found


def layer_of(module: str) -> str:
    """ "nvwizard.report.findings.gpu" -> "report"; the shared leaves are their own names."""
    if module in SHARED_LEAVES:
        return module
    return module.split(".")[1]


def upward_imports(root: Path) -> list[str]:
    """One line per import that crosses the layers the wrong way, naming it."""
    wrong = []
    for found in nvwizard_imports(root):
        importer, imported = layer_of(found.importer), layer_of(found.imported)
        if importer in SHARED_LEAVES:
            allowed: set[str] = set()  # a leaf imports nothing of nvwizard
        elif imported in SHARED_LEAVES or imported == importer:
            continue
        else:
            allowed = MAY_IMPORT.get(importer, set())
        if imported in allowed or (found.importer, found.imported) in ALLOWED_UPWARD:
            continue
        may = ", ".join(sorted(allowed)) or "no other layer"
        wrong.append(
            f"{found.file}:{found.line}: {importer} imports {found.imported} ({importer} may "
            f"import {may})"
        )
    return wrong


def test_no_module_imports_a_layer_above_its_own():
    assert set(MAY_IMPORT) == {
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    } | {"__main__"}, "a new top-level package needs its place in MAY_IMPORT"
    assert upward_imports(PACKAGE.parent) == []


def test_every_allowed_upward_import_still_exists():
    present = {(i.importer, i.imported) for i in nvwizard_imports(PACKAGE.parent)}
    assert set(ALLOWED_UPWARD) <= present


@pytest.mark.parametrize(
    ("file", "source", "named"),
    [
        (
            "host/late.py",
            "def f():\n    from nvwizard.simulator.machine import SimulatedMachine\n",
            "nvwizard/host/late.py:2: host imports nvwizard.simulator.machine",
        ),
        (
            "knowledge/typed.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from nvwizard.report.models import Report\n",
            "nvwizard/knowledge/typed.py:3: knowledge imports nvwizard.report.models",
        ),
        (
            "detect/relative.py",
            "from ..host import base\n",
            "nvwizard/detect/relative.py:1: detect imports nvwizard.host.base",
        ),
        (
            "errors.py",
            "import nvwizard.host.base\n",
            "nvwizard/errors.py:1: nvwizard.errors imports nvwizard.host.base",
        ),
    ],
    ids=["function-local", "type-checking", "relative", "shared-leaf"],
)
def test_the_scan_names_each_kind_of_upward_import(tmp_path, file, source, named):
    for package in ("host", "detect", "knowledge", "report", "simulator"):
        (tmp_path / "nvwizard" / package).mkdir(parents=True)
        (tmp_path / "nvwizard" / package / "__init__.py").write_text("")
    (tmp_path / "nvwizard" / "__init__.py").write_text("")
    (tmp_path / "nvwizard" / "host" / "base.py").write_text("")
    (tmp_path / "nvwizard" / "simulator" / "machine.py").write_text("")
    (tmp_path / "nvwizard" / "report" / "models.py").write_text("")
    (tmp_path / "nvwizard" / file).write_text(source)
    wrong = upward_imports(tmp_path)
    assert len(wrong) == 1 and wrong[0].startswith(named), wrong


def test_host_never_imports_the_simulator_when_run():
    """The simulator is handed to BundleHost by whoever builds the host, never imported."""
    assert "nvwizard.simulator" not in _imported_after(
        "\n".join(
            f"import {m.name}"
            for m in pkgutil.walk_packages([str(PACKAGE / "host")], "nvwizard.host.")
        )
    )

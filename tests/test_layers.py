"""The layers below the UI never import Textual, so `detect`, `plan` and scripts start fast;
host never imports the simulator, which imports nothing above knowledge."""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

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
        if not m.name.startswith("nvwizard.tui")
    ]
    code = "\n".join(f"import {m}" for m in modules if m != "nvwizard.__main__")
    loaded = _imported_after(code)
    assert "nvwizard.host" in loaded  # the probe really imported the package
    assert not [m for m in loaded if m == "textual" or m.startswith("textual.")]
    assert "rich" not in loaded


def test_the_probe_sees_textual_when_it_is_imported():
    loaded = _imported_after("import nvwizard.tui.app")
    assert "textual" in loaded


# -- the simulator's boundary: beside host, above knowledge ------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "nvwizard"
# what the simulator may use: the host it serves, the parsers and tables below it
SIMULATOR_MAY_IMPORT = ("host", "detect", "knowledge", "errors", "simulator")


def imported_nvwizard_modules(folder: Path) -> dict[str, set[str]]:
    """{file: the nvwizard modules it imports}, function-local imports included."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(folder.parent))] = {
            n for n in names if n == "nvwizard" or n.startswith("nvwizard.")
        }
    return found


def test_host_never_imports_the_simulator():
    """The simulator is handed to BundleHost by whoever builds the host, never imported."""
    offenders = {
        file: sorted(n for n in names if n.startswith("nvwizard.simulator"))
        for file, names in imported_nvwizard_modules(PACKAGE / "host").items()
    }
    assert {f: n for f, n in offenders.items() if n} == {}
    assert "nvwizard.simulator" not in _imported_after(
        "\n".join(
            f"import {m.name}"
            for m in pkgutil.walk_packages([str(PACKAGE / "host")], "nvwizard.host.")
        )
    )


def test_the_simulator_imports_nothing_above_knowledge():
    allowed = tuple(f"nvwizard.{layer}" for layer in SIMULATOR_MAY_IMPORT)
    offenders = {
        file: sorted(n for n in names if not (n.startswith(allowed) or n == "nvwizard"))
        for file, names in imported_nvwizard_modules(PACKAGE / "simulator").items()
    }
    assert {f: n for f, n in offenders.items() if n} == {}


def test_the_import_scan_sees_function_local_imports(tmp_path):
    (tmp_path / "late.py").write_text(
        "def f():\n    from nvwizard.simulator.machine import SimulatedMachine\n"
    )
    found = imported_nvwizard_modules(tmp_path)
    assert "nvwizard.simulator.machine" in next(iter(found.values()))

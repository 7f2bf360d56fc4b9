"""export is a front end of its own: it imports neither the other front ends nor, in the
playbook's filter plugin that Ansible loads on the control node, nvwizard at all."""

import ast
from pathlib import Path

import nvwizard

EXPORT = Path(nvwizard.__file__).resolve().parent / "export"


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_export_imports_no_other_front_end():
    for path in EXPORT.rglob("*.py"):
        front_ends = {n for n in _imported(path) if n.startswith(("nvwizard.cli", "nvwizard.tui"))}
        assert front_ends == set(), path


def test_the_filter_plugin_imports_no_nvwizard():
    (plugin,) = EXPORT.glob("playbook/filter_plugins/*.py")
    assert not {n for n in _imported(plugin) if n.split(".")[0] == "nvwizard"}


def test_the_scan_sees_an_import(tmp_path):
    (tmp_path / "x.py").write_text("def f():\n    from nvwizard.cli.main import main\n")
    assert "nvwizard.cli.main" in _imported(tmp_path / "x.py")

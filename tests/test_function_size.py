"""The house style: functions of about 80 lines at most and modules of about 400 (GUIDE),
checked over the package."""

from __future__ import annotations

import ast
from pathlib import Path

import nvwizard

MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 400


def long_functions(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(
                        f"{path.relative_to(root.parent)}:{node.lineno} {node.name} {length}"
                    )
    return found


def test_no_function_is_longer_than_80_lines():
    assert long_functions(Path(nvwizard.__file__).parent) == []


def test_the_scan_sees_a_long_method(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    body = "".join(f"        x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    (package / "m.py").write_text(f"class C:\n    def long(self):\n{body}")
    assert long_functions(package) == ["pkg/m.py:2 long 81"]


def long_modules(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        length = len(path.read_text(encoding="utf-8").splitlines())
        if length > MAX_MODULE_LINES:
            found.append(f"{path.relative_to(root.parent)} {length}")
    return found


def test_no_module_is_longer_than_400_lines():
    """Split a module that grows past it along one concern, into a module with its docstring."""
    assert long_modules(Path(nvwizard.__file__).parent) == []


def test_the_scan_sees_a_long_module(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    (package / "ok.py").write_text("x = 1\n" * MAX_MODULE_LINES)
    assert long_modules(package) == [f"pkg/m.py {MAX_MODULE_LINES + 1}"]

"""No import cycle in nvwizard: a static scan of every import that runs, the ones inside
functions too, since a function-local import that closes a cycle hides it rather than removing
it. (Imports under `if TYPE_CHECKING:` never run: they name types only, and the layer test
says which way those may point.) Every function-local import says why it is lazy (a
`# lazy:` comment just above it), as the guide asks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nvwizard"
LAZY_MARK = "# lazy:"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(base: str, level: int, name: str | None, is_package: bool) -> str:
    """The absolute name of a relative import `from ...name import x` made in `base`."""
    if level == 0:
        return name or ""
    parts = base.split(".")
    keep = len(parts) - level + (1 if is_package else 0)
    return ".".join(parts[:keep] + ([name] if name else []))


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The nvwizard modules `module` imports, anywhere in its file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node.level, node.module, is_package)
            # `from package import module` imports that module; `from module import name`
            # imports the module the name lives in
            names = [f"{source}.{alias.name}" for alias in node.names] + [source]
            names = [n for n in names if n in modules][:1] or [source]
        else:
            continue
        for name in names:
            while name and name not in modules:  # `import a.b.c` of a name inside a.b
                name = name.rpartition(".")[0]
            if name and name != module and name.startswith("nvwizard"):
                found.add(name)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST):
    """Every node, except those under `if TYPE_CHECKING:` (their `else:` does run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_nvwizard_has_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles (function-local imports count):\n" + "\n".join(
        " <-> ".join(component) for component in found
    )


def test_the_scan_sees_function_local_imports_and_finds_a_cycle(tmp_path, monkeypatch):
    package = tmp_path / "nvwizard"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from nvwizard.sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from .. import a\n    return a\n")
    (package / "c.py").write_text("from nvwizard import a\n")
    (package / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from nvwizard import e\n"
    )
    (package / "e.py").write_text("from nvwizard import d\n")  # d needs e for types only
    monkeypatch.setitem(globals(), "PACKAGE", package)
    assert cycles(import_graph()) == [["nvwizard.a", "nvwizard.sub.b"]]


def _function_local_imports(path: Path) -> list[ast.stmt]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return found


@pytest.mark.parametrize("name", sorted(all_modules()))
def test_every_function_local_import_says_why_it_is_lazy(name):
    path = all_modules()[name]
    lines = path.read_text(encoding="utf-8").splitlines()
    unexplained = []
    for node in _function_local_imports(path):
        above = node.lineno - 2
        # the comment may stand above a run of imports, and run over several lines
        while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
            above -= 1
        comment = []
        while above >= 0 and lines[above].strip().startswith("#"):
            comment.append(lines[above])
            above -= 1
        same_line = LAZY_MARK in lines[node.lineno - 1]
        if not same_line and not any(LAZY_MARK in line for line in comment):
            unexplained.append(f"{path.name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not unexplained, "function-local imports without a `# lazy:` reason:\n" + "\n".join(
        unexplained
    )

"""The import graph of the product flows one way: no module imports, however indirectly, a module
that imports it back, and nothing in ``pipeline/`` imports the measurement code or the tests.

Every import counts, at the top of a module or inside a function, and importing ``a.b.c`` also
imports the packages ``a.b`` and ``a`` (their ``__init__`` runs first), except the packages the
importing module itself lives in.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from tests.conftest import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "pipeline"


def module_name(path: Path) -> str:
    """'pipeline.tasks.base' for pipeline/tasks/base.py, 'pipeline.tasks' for its __init__."""
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Every module name an ``import`` or ``from ... import`` of the file names, absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_modules(path: Path) -> set[str]:
    """The pipeline modules a file imports by name ('pkg.mod.Class' counts as 'pkg.mod')."""
    found = set()
    for imported in imported_names(path):
        while imported and imported not in MODULES:
            imported = imported.rpartition(".")[0]
        if imported:
            found.add(imported)
    return found


def graph() -> dict[str, set[str]]:
    """pipeline module -> the pipeline modules it imports (the packages on the way included)."""
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets: set[str] = set()
        for imported in imported_modules(path):
            while imported:
                if imported in MODULES and imported != name \
                        and not name.startswith(imported + "."):
                    targets.add(imported)
                imported = imported.rpartition(".")[0]
        edges[name] = targets
    return edges


def test_no_module_imports_itself_back() -> None:
    try:
        order = list(TopologicalSorter(graph()).static_order())
    except CycleError as error:
        raise AssertionError(f"import loop: {' -> '.join(error.args[1])}") from None
    assert "pipeline.cli" in order


def test_the_checker_finds_a_loop() -> None:
    edges = graph()
    edges["pipeline.run_dates"].add("pipeline.cli")  # run_dates would import the CLI back
    try:
        list(TopologicalSorter(edges).static_order())
    except CycleError:
        return
    raise AssertionError("a loop went unnoticed")


def test_the_product_imports_no_measurement_code_no_tests_and_the_sandbox_from_its_door() -> None:
    for name, path in MODULES.items():
        for imported in imported_names(path):
            assert not imported.startswith(("benchmarks", "tests")), f"{name} imports {imported}"
        for imported in imported_modules(path):
            if imported.startswith("pipeline.sandbox.") and not name.startswith("pipeline.sandbox"):
                raise AssertionError(f"{name} imports {imported}: use `from pipeline.sandbox "
                                     "import ...`, the sandbox's public entry point")

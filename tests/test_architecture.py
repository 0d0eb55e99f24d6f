"""The detector never imports the simulator: it must work on traffic it was not built with."""

from __future__ import annotations

import ast
from pathlib import Path

import distillguard

PACKAGE = Path(distillguard.__file__).parent
# Orchestration that may drive the simulator (the demo) or read its output files (evaluate).
ALLOWED = {"simulate", "demo.py", "cli.py", "evaluate"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_detector_code_never_imports_the_simulator() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ALLOWED:
            continue
        if any(n.startswith("distillguard.simulate") for n in _imports(path)):
            offenders.append(str(rel))
    assert offenders == []


def test_every_package_declares_its_role_and_public_api() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        tree = ast.parse(init.read_text())
        assert ast.get_docstring(tree), f"{init} has no docstring"
        assert any(
            isinstance(n, ast.Assign | ast.AnnAssign) and "__all__" in ast.unparse(n)
            for n in tree.body
        ), f"{init} has no __all__"

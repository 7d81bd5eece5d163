"""The tests mirror the source: every module of core (src/colabctl/core/X.py, and
core/PKG/X.py of its packages) has its test file, tests/core/test_X.py (and
tests/core/PKG/test_X.py), which imports it; and every test file there is such a mirror,
or one of the few whose tests span modules (ACROSS). A module added, moved or renamed
without its tests fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from support import ROOT

CORE = ROOT / "src" / "colabctl" / "core"
TESTS = ROOT / "tests" / "core"
PACKAGE = "colabctl.core"

# Test files of tests/core that mirror no one module: their tests are about several.
ACROSS = frozenset({"test_lifecycle_machine.py"})  # the whole lifecycle, over every mutation


def modules(core: Path) -> list[Path]:
    """The modules of CORE, relative to it (a package's __init__ re-exports, tested
    where what it exports is defined)."""
    return sorted(p.relative_to(core) for p in core.rglob("*.py") if p.name != "__init__.py")


def mirror(module: Path) -> Path:
    """The test file of MODULE (relative to core), relative to tests/core."""
    return module.parent / f"test_{module.stem}.py"


def dotted(module: Path, package: str = PACKAGE) -> str:
    return ".".join([package, *module.with_suffix("").parts])


def imported(source: str) -> set[str]:
    """Every module SOURCE imports, and every name it imports from one (`from a import b`
    gives a and a.b: b may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def faults(core: Path, tests: Path, package: str = PACKAGE) -> list[str]:
    """What breaks the mirror, one line each: a module without its test file, a test file
    that does not import its module, a test file that mirrors no module."""
    found = []
    expected = {mirror(m): m for m in modules(core)}
    for test, module in sorted(expected.items()):
        path = tests / test
        if not path.is_file():
            found.append(f"{module}: no test file {test}")
        elif dotted(module, package) not in imported(path.read_text(encoding="utf-8")):
            found.append(f"{test}: does not import {dotted(module, package)}")
    for path in sorted(tests.rglob("test_*.py")):
        test = path.relative_to(tests)
        if test not in expected and test.name not in ACROSS:
            found.append(f"{test}: mirrors no module of core (nor is it in ACROSS)")
    return found


def test_every_core_module_has_its_test_file() -> None:
    assert faults(CORE, TESTS) == []


def _write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_broken_mirror_is_found(tmp_path: Path) -> None:
    core, tests = tmp_path / "core", tmp_path / "tests"
    for name in ("__init__.py", "alpha.py", "beta.py", "pkg/__init__.py", "pkg/gamma.py"):
        _write(core / name)
    _write(tests / "test_alpha.py", "from colabctl.core import alpha\n")
    _write(tests / "test_beta.py", "from colabctl.core.alpha import something\n")
    _write(tests / "test_old_name.py", "from colabctl.core import alpha\n")
    _write(tests / "test_lifecycle_machine.py")  # across modules: allowed
    assert faults(core, tests) == [
        "pkg/gamma.py: no test file pkg/test_gamma.py",
        "test_beta.py: does not import colabctl.core.beta",
        "test_old_name.py: mirrors no module of core (nor is it in ACROSS)",
    ]
    _write(tests / "test_beta.py", "import colabctl.core.beta\n")
    _write(tests / "pkg" / "test_gamma.py", "from colabctl.core.pkg.gamma import g\n")
    (tests / "test_old_name.py").unlink()
    assert faults(core, tests) == []

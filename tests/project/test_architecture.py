"""The layering, read from the source with ``ast``: who may import what, and who writes files.

Outside ``incidentflow.compiler``, the compiler is known only through the compiled
:class:`~incidentflow.compiler.process.Process` (``incidentflow.compiler.process``)
and the package's public names (``incidentflow.compiler.__all__``): the engine, the
renderers and the drills ask the ``Process``, never a check module, so the checks
can change without the runtime noticing. The renderers return text and bytes;
writing them to files is the job of :mod:`incidentflow.publish` and the CLI.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "incidentflow"
COMPILER = "incidentflow.compiler"
OPEN_TO_ALL = {"incidentflow.compiler.process"}


def module_name(path: Path, src: Path = SRC) -> str:
    """``incidentflow.engine.planning`` for ``src/incidentflow/engine/planning.py``."""
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, src: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names imported from it) for every import of ``path``, wherever it is
    (functions and ``TYPE_CHECKING`` blocks included), relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, src).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module, tuple(alias.name for alias in node.names)


def public_names(init: Path) -> set[str]:
    """The names in a package's ``__all__``, read without importing it."""
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


def compiler_leaks(path: Path, allowed_names: set[str], src: Path = SRC) -> list[str]:
    """The imports in ``path`` that reach into the compiler past its public face."""
    found = []
    for line, module, names in imports(path, src):
        if module == COMPILER and names and set(names) <= allowed_names:
            continue  # the package's public names
        if module == "incidentflow" and "compiler" in names:
            continue  # the package itself: only its public names are promised
        if module in OPEN_TO_ALL or not (module == COMPILER or module.startswith(COMPILER + ".")):
            continue
        what = f"{module} import {', '.join(names)}" if names else module
        found.append(f"{path.relative_to(src)}:{line}: {what}")
    return found


def outside_the_compiler() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if not module_name(p).startswith(COMPILER))


def test_nothing_outside_the_compiler_imports_a_check_module() -> None:
    allowed = public_names(PACKAGE / "compiler" / "__init__.py")
    assert allowed, "incidentflow.compiler declares no __all__"
    leaks = [leak for p in outside_the_compiler() for leak in compiler_leaks(p, allowed)]
    assert leaks == [], "ask the compiled Process instead:\n" + "\n".join(leaks)


@pytest.mark.parametrize(
    "source",
    [
        "from incidentflow.compiler.references import timer_duration_at\n",
        "from incidentflow.compiler import graph\n",
        "import incidentflow.compiler.graph\n",
        "def f():\n    from incidentflow.compiler.graph import build_edges\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from incidentflow.compiler.witness import example_signal\n",
        "from ..compiler.separation import separating\n",
    ],
)
def test_the_check_finds_every_way_of_importing_a_check_module(tmp_path: Path, source: str) -> None:
    module = _scratch_module(tmp_path, source)
    assert len(compiler_leaks(module, {"Process", "compile_spec"}, tmp_path)) == 1


@pytest.mark.parametrize(
    "source",
    [
        "from incidentflow.compiler.process import Process\n",
        "from incidentflow.compiler import compile_spec\n",
        "from incidentflow import compiler\n",
        "from incidentflow.compilers import anything\n",
        "from ..compiler.process import LevelView\n",
    ],
)
def test_the_check_lets_the_public_face_through(tmp_path: Path, source: str) -> None:
    module = _scratch_module(tmp_path, source)
    assert compiler_leaks(module, {"Process", "compile_spec"}, tmp_path) == []


def _scratch_module(src: Path, source: str) -> Path:
    """``source`` written as ``incidentflow/render/x.py`` under ``src``."""
    module = src / "incidentflow" / "render" / "x.py"
    module.parent.mkdir(parents=True)
    module.write_text(source, encoding="utf-8")
    return module


FILE_WRITES = {"open", "write_text", "write_bytes", "mkdir", "touch", "unlink", "rename"}


def file_io(path: Path, src: Path = SRC) -> list[str]:
    """Calls in ``path`` that open or change files (``open()``, ``Path.write_text()``, ...)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in FILE_WRITES:
            found.append(f"{path.relative_to(src)}:{node.lineno}: {ast.unparse(func)}()")
    return found


def test_renderers_return_text_and_never_touch_files() -> None:
    found = [hit for p in sorted((PACKAGE / "render").rglob("*.py")) for hit in file_io(p)]
    assert found == [], "write files in incidentflow.publish or the CLI:\n" + "\n".join(found)


def test_the_file_check_sees_writes(tmp_path: Path) -> None:
    module = tmp_path / "x.py"
    module.write_text(
        "from pathlib import Path\nPath('a').write_text('b')\nopen('c', 'w')\nprint('d')\n",
        encoding="utf-8",
    )
    assert file_io(module, tmp_path) == ["x.py:2: Path('a').write_text()", "x.py:3: open()"]

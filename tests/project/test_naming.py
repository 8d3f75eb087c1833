"""Names explain themselves and mean one thing: one definition per class name, no hidden module."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections import defaultdict
from types import ModuleType

import incidentflow
from tests.conftest import ROOT

SRC = ROOT / "src" / "incidentflow"


def test_every_class_name_is_defined_once() -> None:
    where: defaultdict[str, list[str]] = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                where[node.name].append(str(path.relative_to(SRC)))
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}


def test_no_package_attribute_hides_a_submodule_of_the_same_name() -> None:
    hidden = []
    for info in pkgutil.walk_packages(incidentflow.__path__, "incidentflow."):
        if not info.ispkg:
            continue
        package = importlib.import_module(info.name)
        for sub in pkgutil.iter_modules(package.__path__):
            value = vars(package).get(sub.name)
            if value is not None and not isinstance(value, ModuleType):
                hidden.append(f"{info.name}.{sub.name}")
    assert hidden == []

"""Names that moved keep their old import paths for a while, with a DeprecationWarning.

The old path gives the very same object and warns at the caller's line, naming the
new path (CHANGELOG.md lists them); the package itself never uses an old path
(the suite runs with ``filterwarnings = error``, and the check below reads the source).
"""

from __future__ import annotations

import importlib
import warnings

import pytest

from tests.project.test_architecture import PACKAGE, SRC, imports

MOVED = {
    "incidentflow.timeline": (
        "incidentflow.audit.timeline",
        ("offset", "duration", "describe", "timeline"),
    ),
    "incidentflow.render.handbook": (
        "incidentflow.publish",
        ("handbook_results", "write_results", "write_handbooks"),
    ),
}
GONE = {"incidentflow.timeline"}
"""Modules that only forward: importing them at all is using an old path."""
OLD_PATHS = [(old, new, name) for old, (new, names) in MOVED.items() for name in names]


@pytest.mark.parametrize(("old", "new", "name"), OLD_PATHS)
def test_an_old_path_gives_the_same_object_and_warns_at_the_caller(
    old: str, new: str, name: str
) -> None:
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=f"{old}.{name} has moved to {new}.{name}") as seen:
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)
    assert [w.filename for w in seen] == [__file__]


def test_from_import_of_an_old_path_warns() -> None:
    with pytest.warns(DeprecationWarning, match="incidentflow.audit.timeline.duration"):
        from incidentflow.timeline import duration
    with pytest.warns(DeprecationWarning, match="incidentflow.publish.write_handbooks"):
        from incidentflow.render.handbook import write_handbooks
    assert duration.__module__ == "incidentflow.audit.timeline"
    assert write_handbooks.__module__ == "incidentflow.publish"


@pytest.mark.parametrize("old", sorted(MOVED))
def test_other_names_are_still_missing(old: str) -> None:
    module = importlib.import_module(old)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="no_such_name"):
            module.no_such_name  # noqa: B018


def test_the_package_never_imports_an_old_path() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, module, names in imports(path, SRC):
            moved = MOVED.get(module, ("", ()))[1]
            whole = {module} | {f"{module}.{name}" for name in names}
            if whole & GONE or set(names) & set(moved):
                found.append(f"{path.relative_to(SRC)}:{line}: {module} import {', '.join(names)}")
    assert found == []

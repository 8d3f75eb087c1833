"""Old public names keep working for a while: each warns (DeprecationWarning) and gives the new
object. Every alias here is listed in CHANGELOG.md."""

from __future__ import annotations

import importlib

import pytest

from tests.conftest import ROOT

# (module, old name, new module, new name)
ALIASES = [
    ("incidentflow.drill.scenario", name, "incidentflow.drill.scenarios", name)
    for name in (
        "SCENARIO_CODES",
        "Scenario",
        "ScenarioReport",
        "ScenarioResult",
        "StepResult",
        "load_scenario",
        "run_scenario",
        "run_scenarios",
        "scenario_from_text",
    )
] + [
    ("incidentflow.testing", "SimClock", "incidentflow.engine.simclock", "SimulatedClock"),
    ("incidentflow.testing", "Check", "incidentflow.engine.operations", "CheckItem"),
    ("incidentflow.testing", "Note", "incidentflow.engine.operations", "AddNote"),
    ("incidentflow.render", "Edge", "incidentflow.render.model", "TransitionEdge"),
    ("incidentflow.render.model", "Edge", "incidentflow.render.model", "TransitionEdge"),
]


@pytest.mark.parametrize(("module", "old", "where", "new"), ALIASES)
def test_an_old_name_warns_and_gives_the_new_object(
    module: str, old: str, where: str, new: str
) -> None:
    shim = importlib.import_module(module)
    says = rf"{module}\.{old} (is deprecated; use|has moved to) {where}\.{new}\b"
    with pytest.warns(DeprecationWarning, match=says):
        value = getattr(shim, old)
    assert value is getattr(importlib.import_module(where), new)


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    shim = importlib.import_module("incidentflow.drill.scenario")
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        shim.nothing  # noqa: B018


def test_every_alias_is_in_the_changelog() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    for module, old, _, _ in ALIASES:
        assert f"`{module}.{old}`" in changelog or f"`{module}`" in changelog, (module, old)

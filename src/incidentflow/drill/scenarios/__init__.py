"""Scripted tabletop scenarios: a YAML script of steps and expectations, run through the engine.

- :mod:`.model`: the typed scenario (steps, expectations) and its diagnostic codes;
- :mod:`.load`: read and check a scenario file like a spec (every problem, with its position),
  each step by :mod:`.steps`, on the shared checks of :mod:`.check`;
- :mod:`.run`: play a scenario on a fresh engine with a simulated clock;
- :mod:`.report`: what happened, as text, JSON or Markdown.

The format is described in ``docs/scenarios.md``.
"""

from incidentflow.drill.scenarios.load import load_scenario, read_scenario, scenario_from_text
from incidentflow.drill.scenarios.model import SCENARIO_CODES, Scenario
from incidentflow.drill.scenarios.report import ScenarioReport, ScenarioResult, StepResult
from incidentflow.drill.scenarios.run import run_scenario, run_scenarios

__all__ = [
    "SCENARIO_CODES",
    "Scenario",
    "ScenarioReport",
    "ScenarioResult",
    "StepResult",
    "load_scenario",
    "read_scenario",
    "run_scenario",
    "run_scenarios",
    "scenario_from_text",
]

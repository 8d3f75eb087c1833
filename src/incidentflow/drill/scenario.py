"""Deprecated: scenarios moved to :mod:`incidentflow.drill.scenarios`.

``from incidentflow.drill.scenario import run_scenarios`` keeps working, with a
DeprecationWarning; import from :mod:`incidentflow.drill.scenarios` instead.
"""

from incidentflow._deprecated import forward

_NEW = "incidentflow.drill.scenarios"

__getattr__ = forward(
    __name__,
    {
        name: (_NEW, name)
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
    },
)

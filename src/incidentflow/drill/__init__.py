"""Drills: rehearse a process through the engine, two ways that share only the engine.

- :mod:`incidentflow.drill.generated`: paths planned from the process itself, to cover
  every state, transition and timer at each level (``incidentflow drill SPEC``);
- :mod:`incidentflow.drill.scenarios`: scripted tabletop scenarios written by people,
  with expectations (``incidentflow drill SPEC --scenario FILE``).
"""

"""A large process for rendering tests: the benchmarks' generated spec with 40 states,
put into 5 phases of 8 states (its transitions include long jumps between phases)."""

from __future__ import annotations

from pathlib import Path

import incidentflow
from benchmarks.generate import spec_data, to_yaml

PHASES = 5


def forty_states(directory: Path) -> incidentflow.Process:
    """Write the spec into ``directory`` and load it."""
    data = spec_data(40)
    for i, state in enumerate(data["process"]["states"].values()):
        state["phase"] = f"phase {min(i // 8, PHASES - 1) + 1}"
    path = directory / "forty.yaml"
    path.write_text(to_yaml(data), encoding="utf-8")
    return incidentflow.load(path)

"""Properties of diff on generated specs: diff(a, a) is empty, and diff(a, b) is empty
exactly when an independent canonical form of the two (the aspects compared) is equal."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import incidentflow
from incidentflow import Process, SpecError
from tests.compiler.test_properties import process_specs

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def compiled(spec: dict[str, Any]) -> Process | None:
    try:
        return incidentflow.loads(json.dumps(spec), "generated.yaml")
    except SpecError:
        return None


def canonical(spec: dict[str, Any]) -> str:
    """The compared aspects of a generated spec, written independently of the diff:
    transitions exploded into one move per (source, name, level), sets sorted."""
    levels = [lv["id"] for lv in spec["severity"]["levels"]]
    moves = []
    for tr in spec["process"]["transitions"]:
        sources = [tr["from"]] if isinstance(tr["from"], str) else tr["from"]
        guard = tr.get("when", {}).get("severity", levels)
        for source in sources:
            for level in guard:
                moves.append((source, tr["name"], level, tr["to"], sorted(set(tr["by"]))))
    states = {
        sid: dict(sorted(state.items())) for sid, state in sorted(spec["process"]["states"].items())
    }
    roles = {
        r: {"title": d["title"], "backups": sorted(set(d.get("backups", [])))}
        for r, d in sorted(spec["roles"].items())
    }
    return json.dumps(
        [spec["process"]["initial"], states, sorted(moves), roles, spec["severity"]],
        sort_keys=True,
    )


@SETTINGS
@given(process_specs())
def test_diff_of_a_spec_with_itself_is_empty(spec: dict[str, Any]) -> None:
    process = compiled(spec)
    assume(process is not None)
    assert process is not None
    again = compiled(copy.deepcopy(spec))
    assert again is not None
    assert incidentflow.diff(process, again).empty


@st.composite
def mutated(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = draw(process_specs())
    other = copy.deepcopy(spec)
    transitions = other["process"]["transitions"]
    states = list(other["process"]["states"])
    roles = list(other["roles"])
    levels = [lv["id"] for lv in other["severity"]["levels"]]
    kind = draw(
        st.sampled_from(["reorder", "by", "to", "guard", "terminal", "title", "version", "none"])
    )
    if kind == "reorder":
        other["process"]["transitions"] = transitions[::-1]
        other["process"]["states"] = dict(reversed(list(other["process"]["states"].items())))
    elif transitions and kind == "by":
        i = draw(st.integers(0, len(transitions) - 1))
        transitions[i]["by"] = [draw(st.sampled_from(roles))]
    elif transitions and kind == "to":
        i = draw(st.integers(0, len(transitions) - 1))
        transitions[i]["to"] = draw(st.sampled_from(states))
    elif transitions and kind == "guard":
        i = draw(st.integers(0, len(transitions) - 1))
        guard = draw(st.lists(st.sampled_from(levels), min_size=1, unique=True))
        transitions[i]["when"] = {"severity": guard}
    elif kind == "terminal":
        sid = draw(st.sampled_from(states))
        state = other["process"]["states"][sid]
        state["terminal"] = not state.get("terminal", False)
    elif kind == "title":
        sid = draw(st.sampled_from(states))
        other["process"]["states"][sid]["title"] = "Renamed " + sid
    elif kind == "version":
        other["metadata"]["version"] = "2"
    return spec, other


@SETTINGS
@given(mutated())
def test_diff_is_empty_exactly_when_the_compared_aspects_are_equal(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    a, b = pair
    old, new = compiled(a), compiled(b)
    assume(old is not None and new is not None)
    assert old is not None
    assert new is not None
    found = incidentflow.diff(old, new)
    assert found.empty == (canonical(a) == canonical(b)), found.changes
    assert incidentflow.diff(new, old).empty == found.empty

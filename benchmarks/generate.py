"""Generate a valid spec with N states and about 2.5 N transitions (deterministic).

The states are a chain backbone ``s0 -> s1 -> ... -> s{N-2} -> closed`` (``advance``,
unguarded), so every state is reachable and can finish at every level, plus about
1.5 N random forward and backward extra edges (``jump_K`` / ``back_K``), a fifth of
them guarded by ``when: {severity: [...]}``. Some states page on entry, some have a
checklist whose item the backbone transition requires, and a few have timers.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

SEED = 20240611
LEVELS = ("SEV1", "SEV2", "SEV3", "SEV4")
GUARDS = (("SEV1", "SEV2"), ("SEV3", "SEV4"), ("SEV1",), ("SEV2", "SEV3", "SEV4"))
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ .-]*")


def state_ids(n: int) -> list[str]:
    """The ids of an ``n``-state spec: n-1 chain states and the terminal ``closed``."""
    return [*(f"s{i}" for i in range(n - 1)), "closed"]


def _header() -> dict[str, Any]:
    return {
        "apiVersion": "incidentflow/v1",
        "kind": "Process",
        "metadata": {"name": "generated", "version": "1"},
        # each role's backup stays outside the policy that keeps commander and responder
        # apart (a backup inside it could never stand in: IF705)
        "roles": {
            "commander": {"title": "Incident Commander", "backups": ["deputy"]},
            "deputy": {"title": "Deputy Commander", "backups": ["commander"]},
            "responder": {"title": "Responder", "backups": ["secondary"]},
            "secondary": {"title": "Secondary on-call", "backups": ["responder"]},
        },
        "severity": {
            "levels": [
                {"id": lv, "acknowledge_within": f"{5 * 2**i}m", "resolve_within": f"{4 * 2**i}h"}
                for i, lv in enumerate(LEVELS)
            ],
            "impact": ["high", "low"],
            "urgency": ["high", "low"],
            "matrix": {
                "high": {"high": "SEV1", "low": "SEV2"},
                "low": {"high": "SEV3", "low": "SEV4"},
            },
        },
        "actions": {"page": {"description": "Page a role", "params": {"role": "role"}}},
        "triggers": [
            {
                "id": "outage",
                "when": {"field": "service", "eq": "api"},
                "impact": "high",
                "urgency": "high",
            }
        ],
    }


def _state(i: int) -> dict[str, Any]:
    state: dict[str, Any] = {"title": f"State {i}", "owner": ("commander", "responder")[i % 2]}
    if i % 5 == 0:
        state["on_enter"] = [{"action": "page", "role": "commander"}]
    if i % 7 == 3:
        state["checklist"] = [{"id": f"c{i}", "text": f"Check item {i}"}]
    if i % 97 == 11:
        state["timers"] = [
            {
                "id": f"ack{i}",
                "after": "acknowledge_within",
                "transition": "advance",
                "actions": [{"action": "page", "role": "responder"}],
            },
            {"id": f"nag{i}", "after": {"SEV1": "5m", "default": "30m"}},
        ]
    return state


def spec_data(n: int, seed: int = SEED) -> dict[str, Any]:
    """The spec as plain data: n states, about 2.5 n transitions."""
    if n < 3:
        raise ValueError("need at least 3 states")
    rng = random.Random(seed)
    ids = state_ids(n)
    states = {sid: _state(i) for i, sid in enumerate(ids[:-1])}
    states["closed"] = {"title": "Closed", "terminal": True}
    transitions: list[dict[str, Any]] = []
    for i, sid in enumerate(ids[:-1]):
        tr: dict[str, Any] = {"name": "advance", "from": sid, "to": ids[i + 1], "by": ["commander"]}
        if "checklist" in states[sid]:
            tr["requires"] = [f"c{i}"]
        transitions.append(tr)
    for k in range(round(1.5 * n)):
        a, b = rng.sample(range(n - 1), 2)  # sources never 'closed'; no self-loops
        name = f"jump_{k}" if b > a else f"back_{k}"
        tr = {"name": name, "from": ids[a], "to": ids[b], "by": ["responder"]}
        if k % 5 == 0:
            tr["when"] = {"severity": list(GUARDS[k % len(GUARDS)])}
        transitions.append(tr)
    return {
        **_header(),
        "process": {"initial": ids[0], "states": states, "transitions": transitions},
        "policies": [{"id": "separate", "distinct_holders": ["commander", "responder"]}],
    }


def flow(value: Any) -> str:
    """``value`` as YAML flow style (plain scalars where unambiguous)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    plain = _PLAIN.fullmatch(text) and text.lower() not in ("true", "false", "null")
    return text if plain else json.dumps(text)


def to_yaml(data: dict[str, Any]) -> str:
    """Block style for the top two levels, flow style below (one state/transition a line)."""
    lines: list[str] = []
    for key, value in data.items():
        if key == "process":
            lines.append("process:")
            lines.append(f"  initial: {value['initial']}")
            lines.append("  states:")
            lines.extend(f"    {sid}: {flow(st)}" for sid, st in value["states"].items())
            lines.append("  transitions:")
            lines.extend(f"    - {flow(tr)}" for tr in value["transitions"])
        else:
            lines.append(f"{key}: {flow(value)}")
    return "\n".join(lines) + "\n"


def spec_text(n: int, seed: int = SEED) -> str:
    """The YAML text of an n-state spec."""
    return to_yaml(spec_data(n, seed))


def machine_args(data: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]], str]:
    """States, transitions and initial state of ``data`` in transitions.Machine's terms."""
    process = data["process"]
    transitions = [
        {"trigger": tr["name"], "source": tr["from"], "dest": tr["to"]}
        for tr in process["transitions"]
    ]
    return list(process["states"]), transitions, process["initial"]

"""Markdown handbooks: snapshot, coverage of the examples, trigger English and the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import incidentflow
from incidentflow.cli import run
from incidentflow.errors import SpecError
from incidentflow.publish import write_handbooks
from incidentflow.render import diagram, to_mermaid
from incidentflow.render.handbook import LARGE_PROCESS, handbook, shortest_path
from incidentflow.render.handbook_text import condition_english
from incidentflow.spec.conditions import AllOf, AnyOf, FieldTest, NotOf
from tests.conftest import EXAMPLES, MINIMAL
from tests.helpers.large import PHASES, forty_states

SPECS = sorted(EXAMPLES.glob("*.yaml"))

MINIMAL_HANDBOOK = """\
# minimal

## Overview

- Process: `minimal`
- Owner: —
- Version: 1
- Spec digest: `8f05e679beea`
- Initial state: Open (`open`)

## Roles

| Role | Title | Responsibilities | Backups |
|---|---|---|---|
| `responder` | Responder | — | `lead` |
| `lead` | Lead | — | `responder` |

## RACI matrix

R: may fire an exit of the state (directly or as a backup, at some level); A: owns the state; I: paged by an action of the state (on entry, timers or exits).

| State | `responder` | `lead` |
|---|---|---|
| Open (`open`) | R | RA |
| Closed (`closed`) |  |  |

## Severity levels

| Level | Title | Description | Acknowledge within | Update every | Resolve within |
|---|---|---|---|---|---|
| `SEV1` | Critical | — | 5m | — | 4h |

## Triggers

- `anything`: service is present -> SEV1

## Flowchart

```mermaid
---
title: "minimal"
---
flowchart TD
    s_open(["Open<br/>owner: lead"])
    s_closed((("Closed")))
    s_open -->|"close<br/>by: responder<br/>requires: fixed"| s_closed
    classDef initial fill:#dbe9f6,stroke:#08306b,stroke-width:3px,color:#000000
    classDef terminal fill:#d9d9d9,stroke:#000000,stroke-width:2px,color:#000000
    class s_open initial
    class s_closed terminal
```

## States

### Open (`open`)

- Kind: initial
- Phase: —
- Owner: `lead` (Lead)

Checklist:

- [ ] The problem is fixed (`fixed`, required)

Exits:

- `close` -> Closed (`closed`); by: `responder`; backups: `lead`; requires: `fixed`

### Closed (`closed`)

- Kind: terminal
- Phase: —
- Owner: —

## Path at each severity

- **SEV1** (1 transition): Open (`open`) -> `close` -> Closed (`closed`)
"""


def test_minimal_handbook_snapshot() -> None:
    assert handbook(incidentflow.load(MINIMAL)) == MINIMAL_HANDBOOK


def test_handbook_is_deterministic() -> None:
    first = handbook(incidentflow.load(SPECS[0]))
    assert first == handbook(incidentflow.load(SPECS[0]))


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_example_handbook_mentions_everything(spec: Path) -> None:
    process = incidentflow.load(spec)
    text = handbook(process)
    for sid in process.spec.process.states:
        assert f"(`{sid}`)" in text, sid
    for rid in process.spec.roles:
        assert f"`{rid}`" in text, rid
    for level in process.level_ids:
        assert f"`{level}`" in text, level
        assert f"**{level}**" in text, level
    assert "```mermaid" in text
    assert text.count("## Path at each severity") == 1


@pytest.mark.parametrize(
    ("test", "english"),
    [
        ({"eq": "api"}, "f is api"),
        ({"eq": True}, "f is true"),
        ({"ne": 3}, "f is not 3"),
        ({"lt": 0.99}, "f is below 0.99"),
        ({"le": 5}, "f is at most 5"),
        ({"gt": 14.4}, "f is above 14.4"),
        ({"ge": 1}, "f is at least 1"),
        ({"in": ["a", "b"]}, "f is one of a, b"),
        ({"not_in": ["a"]}, "f is none of a"),
        ({"matches": "^x"}, "f matches /^x/"),
        ({"exists": True}, "f is present"),
        ({"exists": False}, "f is absent"),
    ],
)
def test_trigger_english_per_operator(test: dict[str, object], english: str) -> None:
    cond = FieldTest.model_validate({"field": "f", **test})
    assert condition_english(cond) == english


@pytest.mark.parametrize(
    ("test", "english"),
    [
        ({"eq": "api"}, "f is not api"),
        ({"in": ["a", "b"]}, "f is none of a, b"),
        ({"lt": 2}, "f is not below 2"),
        ({"exists": True}, "f is absent"),
        ({"matches": "x"}, "f does not match /x/"),
    ],
)
def test_trigger_english_negated_test(test: dict[str, object], english: str) -> None:
    cond = NotOf.model_validate({"not": {"field": "f", **test}})
    assert condition_english(cond) == english


def test_trigger_english_compound() -> None:
    cond = AllOf.model_validate(
        {
            "all": [
                {"field": "service", "in": ["api", "gateway"]},
                {"any": [{"field": "availability", "lt": 0.99}, {"field": "down", "eq": True}]},
                {"not": {"all": [{"field": "env", "eq": "dev"}, {"field": "x", "exists": True}]}},
                {"not": {"not": {"field": "y", "ge": 2}}},
            ]
        }
    )
    assert condition_english(cond) == (
        "service is one of api, gateway and (availability is below 0.99 or down is true)"
        " and not (env is dev and x is present) and y is at least 2"
    )
    single = AnyOf.model_validate({"any": [{"field": "a", "eq": 1}]})
    assert condition_english(single) == "a is 1"


def test_trigger_line_names_level_and_matrix_cell() -> None:
    text = handbook(incidentflow.load(EXAMPLES / "major-incident.yaml"))
    assert (
        "service is one of api, gateway, checkout and availability is below 0.99 -> SEV1"
        " (impact extensive x urgency critical)" in text
    )


def test_raci_and_paths_of_major_incident() -> None:
    process = incidentflow.load(EXAMPLES / "major-incident.yaml")
    text = handbook(process)
    assert (
        "| State | `commander` | `deputy` | `scribe` | `comms` | `responder` | `secondary` |"
        in text
    )
    assert "| Triage (`triage`) | RAI | R | I | I | R | R |" in text
    assert "| Postmortem (`review`) | RAI | R |  |  |  |  |" in text
    assert "| Closed (`closed`) |  |  |  |  |  |  |" in text
    assert shortest_path(process, "SEV1") == [
        ("acknowledge", "triage"),
        ("stand_down", "review"),
        ("close", "closed"),
    ]
    assert shortest_path(process, "SEV4") == [("cancel", "false_positive")]


def test_write_handbooks(tmp_path: Path) -> None:
    written = write_handbooks(EXAMPLES, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == sorted(f"{incidentflow.load(s).name}.md" for s in SPECS)
    one = write_handbooks(MINIMAL, tmp_path / "one")
    assert one == [tmp_path / "one" / "minimal.md"]
    assert one[0].read_text(encoding="utf-8") == MINIMAL_HANDBOOK


def test_write_handbooks_spec_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text(encoding="utf-8").replace("initial: open", "initial: nope"))
    with pytest.raises(SpecError):
        write_handbooks(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_docs_writes_handbooks(tmp_path: Path) -> None:
    code, out, err = _cli("docs", str(EXAMPLES), "-o", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{incidentflow.load(s).name}.md" for s in SPECS
    )
    assert out.count("wrote ") == len(SPECS)
    code, _, _ = _cli("docs", str(MINIMAL), "-o", str(tmp_path / "m"))
    assert code == 0
    assert (tmp_path / "m" / "minimal.md").read_text(encoding="utf-8") == MINIMAL_HANDBOOK


def test_cli_docs_spec_errors_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text(encoding="utf-8").replace("initial: open", "initial: nope"))
    code, _, err = _cli("docs", str(bad), "-o", str(tmp_path / "out"))
    assert code == 1
    assert "bad.yaml:" in err
    assert "error" in err
    assert not (tmp_path / "out").exists()


def test_cli_docs_io_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = _cli("docs", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "out"))
    assert code == 2
    assert "no such file" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = _cli("docs", str(empty), "-o", str(tmp_path / "out"))
    assert code == 2
    assert "no *.yaml" in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = _cli("docs", str(MINIMAL), "-o", str(blocker / "sub"))
    assert code == 2
    assert err.startswith("incidentflow:")
    code, _, err = _cli("docs", str(MINIMAL))
    assert code == 2
    assert "-o" in err


def test_a_large_process_gets_an_outline_and_a_flowchart_per_phase(tmp_path: Path) -> None:
    process = forty_states(tmp_path)
    text = handbook(process)
    flowchart = text[text.index("## Flowchart") : text.index("## States")]
    blocks = flowchart.split("```mermaid\n")[1:]
    assert len(blocks) == 1 + PHASES
    outline = blocks[0].split("```")[0]
    assert outline == to_mermaid(diagram(process, detail="outline")).rstrip("\n") + "\n"
    headings = [line for line in flowchart.splitlines() if line.startswith("### ")]
    assert headings == [f"### Phase phase {i}" for i in range(1, PHASES + 1)]
    assert (
        blocks[1].split("```")[0]
        == to_mermaid(diagram(process, phase="phase 1")).rstrip("\n") + "\n"
    )


def test_a_small_process_keeps_one_full_flowchart() -> None:
    process = incidentflow.load(EXAMPLES / "major-incident.yaml")
    assert len(process.states) <= LARGE_PROCESS
    flowchart = handbook(process).split("## Flowchart", 1)[1].split("## States", 1)[0]
    assert flowchart.count("```mermaid") == 1
    assert to_mermaid(diagram(process)).rstrip("\n") in flowchart

"""Rendering: the diagram model, its Mermaid and DOT text, Graphviz images and the CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import incidentflow
from incidentflow.render import (
    Cluster,
    Diagram,
    GraphvizNotFoundError,
    Node,
    RenderError,
    TimerEdge,
    TransitionEdge,
    UnknownLevelError,
    UnknownPhaseError,
    diagram,
    render_image,
    to_dot,
    to_mermaid,
)
from tests.conftest import EXAMPLES, MINIMAL

SPECS = sorted(EXAMPLES.glob("*.yaml"))
MAJOR = EXAMPLES / "major-incident.yaml"

HAND = Diagram(
    title='Tiny: "demo"',
    nodes=(
        Node("open", "Open [new]", "initial", "lead", "work"),
        Node("end", 'Say "done" <now> & #1', "normal", None, "work", ("nudge",)),
        Node("gone-away", "Gone", "terminal"),
    ),
    edges=(
        TransitionEdge("open", "end", "finish", ("lead",), ("fixed",), ("SEV1",)),
        TransitionEdge("end", "gone-away", "close"),
    ),
    timer_edges=(TimerEdge("open", "gone-away", "stale", "expire", "after 2h"),),
    clusters=(Cluster("work", ("open", "end")),),
)

HAND_MERMAID = """\
---
title: "Tiny: \\"demo\\""
---
flowchart TD
    subgraph c_work["work"]
        s_open(["Open [new]<br/>owner: lead"])
        s_end["Say #quot;done#quot; #lt;now#gt; #amp; #35;1<br/>timers: nudge"]
    end
    s_gone_away((("Gone")))
    s_open -->|"finish<br/>by: lead<br/>requires: fixed<br/>only SEV1"| s_end
    s_end -->|"close"| s_gone_away
    s_open -.->|"timer stale (after 2h)<br/>fires expire"| s_gone_away
    classDef initial fill:#dbe9f6,stroke:#08306b,stroke-width:3px,color:#000000
    classDef terminal fill:#d9d9d9,stroke:#000000,stroke-width:2px,color:#000000
    class s_open initial
    class s_gone_away terminal
"""

HAND_DOT = """\
digraph "Tiny: \\"demo\\"" {
    graph [rankdir=TB, label="Tiny: \\"demo\\"", labelloc=t, fontname="Helvetica", \
fontsize=16, nodesep=0.6, ranksep=0.7];
    node [fontname="Helvetica", fontsize=11, margin="0.15,0.08"];
    edge [fontname="Helvetica", fontsize=9];
    subgraph cluster_0 {
        graph [label="work", style="rounded,dashed", color="#555555", fontsize=12];
        "open" [label="Open [new]\\nowner: lead", shape=box, style="rounded,filled,bold", \
penwidth=3, fillcolor="#dbe9f6"];
        "end" [label="Say \\"done\\" <now> & #1\\ntimers: nudge", shape=box, \
style="rounded,filled", fillcolor="#ffffff"];
    }
    "gone-away" [label="Gone", shape=box, style="rounded,filled", peripheries=2, fillcolor="#d9d9d9"];
    "open" -> "end" [label="finish\\nby: lead\\nrequires: fixed\\nonly SEV1"];
    "end" -> "gone-away" [label="close"];
    "open" -> "gone-away" [label="timer stale (after 2h)\\nfires expire", style=dashed, \
color="#555555", fontcolor="#333333"];
}
"""


def test_hand_built_diagram_mermaid_snapshot() -> None:
    assert to_mermaid(HAND) == HAND_MERMAID


def test_hand_built_diagram_dot_snapshot() -> None:
    assert to_dot(HAND) == HAND_DOT


def test_mermaid_ids_are_safe_and_unique() -> None:
    nodes = (Node("a-b", "A"), Node("a_b", "B"), Node("end", "E"))
    text = to_mermaid(Diagram("t", nodes))
    assert 's_a_b["A"]' in text
    assert 's_a_b_2["B"]' in text
    assert 's_end["E"]' in text


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_example_renders_every_state_and_transition(path: Path) -> None:
    process = incidentflow.load(path)
    model = diagram(process)
    mermaid, dot = to_mermaid(model), to_dot(model)
    spec = process.spec.process
    for sid, state in spec.states.items():
        assert re.search(rf"^\s+s_{sid}[\[(]", mermaid, re.M), sid
        assert re.search(rf'^\s+"{sid}" \[label="{re.escape(state.title or sid)}', dot, re.M)
    for tr in spec.transitions:
        for source in tr.sources:
            assert re.search(rf'^\s+s_{source} -->\|"{tr.name}(<br/>|")', mermaid, re.M), tr.name
            assert f'"{source}" -> "{tr.to}" [label="{tr.name}' in dot, tr.name
    assert len(model.edges) == sum(len(tr.sources) for tr in spec.transitions)
    assert [n.id for n in model.nodes] == list(spec.states)  # spec order


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_rendering_is_deterministic(path: Path) -> None:
    first = incidentflow.load(path)
    second = incidentflow.load(path)
    assert to_mermaid(diagram(first)) == to_mermaid(diagram(second))
    assert to_dot(diagram(first, group_by="owner")) == to_dot(diagram(second, group_by="owner"))


def test_major_incident_model_marks_initial_terminal_owner_and_timers() -> None:
    model = diagram(incidentflow.load(MAJOR))
    kinds = {n.id: n.kind for n in model.nodes}
    assert kinds["detected"] == "initial"
    assert kinds["closed"] == kinds["false_positive"] == "terminal"
    assert kinds["triage"] == "normal"
    assert {n.id: n.owner for n in model.nodes}["triage"] == "commander"
    assert model.timer_edges == (
        TimerEdge("detected", "triage", "ack_deadline", "escalate", "after acknowledge_within"),
    )
    assert [c.group for c in model.clusters] == [
        "identification",
        "triage",
        "resolution",
        "postmortem",
        "closed",
    ]
    stand_down = next(e for e in model.edges if e.name == "stand_down")
    assert stand_down.lines == (
        "stand_down",
        "by: commander",
        "requires: impact_confirmed",
        "only SEV1, SEV2",
    )


def test_group_by_owner_and_none() -> None:
    process = incidentflow.load(MAJOR)
    by_owner = diagram(process, group_by="owner")
    assert [c.group for c in by_owner.clusters] == ["responder", "commander"]
    assert "closed" not in {nid for c in by_owner.clusters for nid in c.node_ids}
    flat = diagram(process, group_by="none")
    assert flat.clusters == ()
    assert "subgraph" not in to_mermaid(flat)
    assert "cluster_" not in to_dot(flat)


def test_severity_sev3_drops_sev1_only_edges() -> None:
    model = diagram(incidentflow.load(MAJOR), severity="SEV3")
    names = {e.name for e in model.edges}
    assert "stand_down" not in names  # SEV1 and SEV2 only
    assert {"cancel", "close", "start_review"} <= names
    assert model.severity == "SEV3"
    assert model.title.endswith("at SEV3")
    assert "stand_down" not in to_mermaid(model)
    assert "stand_down" not in to_dot(model)


def test_severity_sev1_drops_states_it_cannot_reach() -> None:
    model = diagram(incidentflow.load(MAJOR), severity="SEV1")
    ids = [n.id for n in model.nodes]
    assert "false_positive" not in ids  # only cancel (SEV3/SEV4) leads there
    assert ids == ["detected", "triage", "stabilising", "monitoring", "review", "closed"]
    assert {e.name for e in model.edges}.isdisjoint({"cancel"})
    assert ("monitoring", "closed") not in {(e.source, e.target) for e in model.edges}
    assert "false_positive" not in to_dot(model)


GUARDED = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: guarded, version: "1", title: 'Guarded "flow" [beta]'}
roles:
  lead: {title: Lead, backups: [responder]}
  responder: {title: Responder, backups: [lead]}
severity:
  levels: [{id: SEV1}, {id: SEV3}]
triggers:
  - {id: t, when: {field: x, exists: true}, severity: SEV1}
process:
  initial: open
  states:
    open: {title: 'Open "now" [x] <y>', owner: lead}
    war_room: {title: War room, owner: lead}
    closed: {title: Closed, terminal: true}
  transitions:
    - {name: convene, from: open, to: war_room, by: [lead], when: {severity: [SEV1]}}
    - {name: close, from: [open, war_room], to: closed, by: [lead]}
"""


@pytest.fixture
def guarded(tmp_path: Path) -> Path:
    path = tmp_path / "guarded.yaml"
    path.write_text(GUARDED, encoding="utf-8")
    return path


def test_severity_view_excludes_a_state_only_sev1_reaches(guarded: Path) -> None:
    process = incidentflow.load(guarded)
    assert [n.id for n in diagram(process, severity="SEV1").nodes] == [
        "open",
        "war_room",
        "closed",
    ]
    at_sev3 = diagram(process, severity="SEV3")
    assert [n.id for n in at_sev3.nodes] == ["open", "closed"]
    assert [(e.source, e.name) for e in at_sev3.edges] == [("open", "close")]


def test_titles_with_quotes_and_brackets_are_escaped(guarded: Path) -> None:
    model = diagram(incidentflow.load(guarded))
    mermaid = to_mermaid(model)
    assert 's_open(["Open #quot;now#quot; [x] #lt;y#gt;<br/>owner: lead"])' in mermaid
    assert 'title: "Guarded \\"flow\\" [beta]"' in mermaid
    dot = to_dot(model)
    assert '"open" [label="Open \\"now\\" [x] <y>\\nowner: lead"' in dot
    assert 'digraph "Guarded \\"flow\\" [beta]" {' in dot


def test_unknown_level_raises() -> None:
    with pytest.raises(UnknownLevelError, match="SEV9"):
        diagram(incidentflow.load(MAJOR), severity="SEV9")
    with pytest.raises(ValueError, match="group_by"):
        diagram(incidentflow.load(MAJOR), group_by="team")  # type: ignore[arg-type]


# -- detail ------------------------------------------------------------------------


def test_brief_labels_states_by_title_and_edges_by_name() -> None:
    drawn = diagram(incidentflow.load(MAJOR), detail="brief")
    full = diagram(incidentflow.load(MAJOR))
    assert drawn.nodes == full.nodes  # the same model: only the labels change
    assert {drawn.label_of(n) for n in drawn.nodes} == {(n.label,) for n in drawn.nodes}
    assert [drawn.label_of(e) for e in drawn.edges] == [(e.name,) for e in drawn.edges]
    timer = drawn.timer_edges[0]
    assert drawn.label_of(timer) == (f"timer {timer.timer}",)
    dot, mermaid = to_dot(drawn), to_mermaid(drawn)
    for text in (dot, mermaid):
        assert "owner:" not in text
        assert "by:" not in text
        assert "requires:" not in text
    assert '"triage" -> "stabilising" [label="start_mitigation"];' in dot
    assert 's_triage -->|"start_mitigation"| s_stabilising' in mermaid


def test_outline_draws_unlabelled_edges_and_keeps_timers_dashed() -> None:
    drawn = diagram(incidentflow.load(MAJOR), detail="outline")
    assert all(drawn.label_of(e) == () for e in (*drawn.edges, *drawn.timer_edges))
    dot, mermaid = to_dot(drawn), to_mermaid(drawn)
    assert '    "triage" -> "stabilising";' in dot
    assert '"detected" -> "triage" [style=dashed, color="#555555", fontcolor="#333333"];' in dot
    assert "    s_triage --> s_stabilising" in mermaid
    assert "    s_detected -.-> s_triage" in mermaid
    assert "nodesep=0.4, ranksep=0.45" in dot
    assert "|" not in mermaid.split("flowchart TD", 1)[1].split("classDef", 1)[0]


def test_full_is_the_default_and_an_unknown_detail_is_refused() -> None:
    process = incidentflow.load(MAJOR)
    assert to_dot(diagram(process)) == to_dot(diagram(process, detail="full"))
    with pytest.raises(ValueError, match="detail must be one of full, brief, outline"):
        diagram(process, detail="tiny")  # type: ignore[arg-type]


def test_title_places_move_only_the_named_clusters() -> None:
    drawn = diagram(incidentflow.load(MAJOR))
    dot = to_dot(drawn, title_places={1: ("b", "r")})
    placed = [line for line in dot.splitlines() if "labeljust=" in line]
    assert len(placed) == 1
    assert 'label="triage"' in placed[0]
    assert "labelloc=b, labeljust=r" in placed[0]


# -- one phase ---------------------------------------------------------------------


def test_phase_view_draws_the_phase_and_its_neighbours() -> None:
    drawn = diagram(incidentflow.load(MAJOR), phase="resolution")
    assert drawn.title == "Major incident response: phase resolution"
    inside = [n.id for n in drawn.nodes if not n.context]
    outside = [n.id for n in drawn.nodes if n.context]
    assert inside == ["stabilising", "monitoring"]
    assert outside == ["triage", "review", "closed"]
    assert [c.group for c in drawn.clusters] == ["resolution"]
    assert all(n.group is None for n in drawn.nodes if n.context)
    assert [(e.source, e.target) for e in drawn.edges] == [
        ("triage", "stabilising"),
        ("stabilising", "monitoring"),
        ("monitoring", "stabilising"),
        ("monitoring", "closed"),
        ("monitoring", "review"),
    ]
    # a neighbour shows its title only, whatever the detail
    assert [drawn.label_of(n) for n in drawn.nodes if n.context] == [
        ("Triage",),
        ("Postmortem",),
        ("Closed",),
    ]
    dot, mermaid = to_dot(drawn), to_mermaid(drawn)
    assert '"triage" [label="Triage", shape=box, style="rounded,dotted"' in dot
    assert (
        '"closed" [label="Closed", shape=box, style="rounded,dotted", penwidth=1.5, color="#777777", fontcolor="#444444", peripheries=2];'
        in dot
    )
    assert "    class s_triage,s_review,s_closed context" in mermaid
    assert "classDef context" in mermaid
    assert "classDef context" not in to_mermaid(diagram(incidentflow.load(MAJOR)))


def test_phase_and_severity_combine() -> None:
    drawn = diagram(incidentflow.load(MAJOR), phase="resolution", severity="SEV1")
    assert drawn.title == "Major incident response: phase resolution at SEV1"
    assert "closed" not in [n.id for n in drawn.nodes]  # close is guarded to SEV3, SEV4
    assert ("monitoring", "closed") not in [(e.source, e.target) for e in drawn.edges]


def test_unknown_phase_raises_with_the_known_ones() -> None:
    with pytest.raises(UnknownPhaseError) as info:
        diagram(incidentflow.load(MAJOR), phase="nope")
    assert info.value.known == ("identification", "triage", "resolution", "postmortem", "closed")
    assert isinstance(info.value, RenderError)


def test_cli_render_phase(cli) -> None:
    done = cli("render", str(MAJOR), "--format", "dot", "--phase", "triage")
    assert done.code == 0, done.err
    assert done.out == to_dot(diagram(incidentflow.load(MAJOR), phase="triage"))
    bad = cli("render", str(MAJOR), "--phase", "nope")
    assert bad.code == 2
    assert "unknown phase 'nope' (known: identification, triage" in bad.err


# -- the command line -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_cli_render_text_formats(cli, fmt: str) -> None:
    done = cli("render", str(MAJOR), "--format", fmt)
    assert done.code == 0, done.err
    model = diagram(incidentflow.load(MAJOR))
    assert done.out == (to_mermaid(model) if fmt == "mermaid" else to_dot(model))


def test_cli_render_detail(cli) -> None:
    done = cli("render", str(MAJOR), "--format", "dot", "--detail", "outline")
    assert done.code == 0, done.err
    assert done.out == to_dot(diagram(incidentflow.load(MAJOR), detail="outline"))
    bad = cli("render", str(MAJOR), "--detail", "tiny")
    assert bad.code == 2
    assert "invalid choice: 'tiny'" in bad.err


def test_cli_render_options_and_output_file(cli, tmp_path: Path) -> None:
    out = tmp_path / "major.dot"
    done = cli(
        "render", str(MAJOR), "--format", "dot", "-o", str(out),
        "--group-by", "owner", "--severity", "SEV3",
    )  # fmt: skip
    assert (done.code, done.out) == (0, "")
    expected = to_dot(diagram(incidentflow.load(MAJOR), group_by="owner", severity="SEV3"))
    assert out.read_text(encoding="utf-8") == expected


def test_cli_render_spec_errors_exit_1_with_diagnostics(cli, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(GUARDED.replace("to: war_room", "to: war_rom"), encoding="utf-8")
    done = cli("render", str(path))
    assert done.code == 1
    assert "IF201" in done.err
    assert "war_rom" in done.err
    assert done.out == ""


def test_cli_render_unknown_level_missing_file_and_png_without_output_exit_2(
    cli, tmp_path: Path
) -> None:
    unknown = cli("render", str(MINIMAL), "--severity", "SEV9")
    assert unknown.code == 2
    assert "unknown severity level 'SEV9'" in unknown.err
    missing = cli("render", str(tmp_path / "nope.yaml"))
    assert missing.code == 2
    assert "Traceback" not in missing.err
    png = cli("render", str(MINIMAL), "--format", "png")
    assert png.code == 2
    assert "needs -o" in png.err
    bad = cli("render", str(MINIMAL), "--format", "gif")
    assert bad.code == 2


def test_cli_svg_uses_graphviz_or_says_how_to_install_it(cli, tmp_path: Path) -> None:
    """Both branches assert: without Graphviz, exit 2 and the hint; with it, a real SVG."""
    done = cli("render", str(MAJOR), "--format", "svg")
    if shutil.which("dot") is None:
        assert done.code == 2
        assert "apt-get install graphviz" in done.err
        assert "brew install graphviz" in done.err
        assert done.out == ""
        with pytest.raises(GraphvizNotFoundError):
            render_image(to_dot(diagram(incidentflow.load(MAJOR))), "svg")
        png = cli("render", str(MAJOR), "--format", "png", "-o", str(tmp_path / "x.png"))
        assert png.code == 2
        assert not (tmp_path / "x.png").exists()
    else:
        assert done.code == 0, done.err
        assert "<svg" in done.out
        for sid in incidentflow.load(MAJOR).states:
            assert f"<title>{sid}</title>" in done.out, sid
        png_path = tmp_path / "major.png"
        png = cli("render", str(MAJOR), "--format", "png", "-o", str(png_path))
        assert png.code == 0, png.err
        assert png_path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_dot_output_is_accepted_by_graphviz_when_installed(path: Path) -> None:
    dot_text = to_dot(diagram(incidentflow.load(path)))
    dot = shutil.which("dot")
    if dot is None:
        # Without Graphviz, check the structure dot would need: balanced braces, one digraph.
        assert dot_text.startswith("digraph ")
        assert dot_text.count("{") == dot_text.count("}")
        return
    done = subprocess.run(
        [dot, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for sid in incidentflow.load(path).states:
        assert f"<title>{sid}</title>" in done.stdout, sid


def test_the_flowchart_in_readme_shows_every_state_of_its_spec() -> None:
    """docs/images/major-incident.svg is rendered output; regenerate it when the spec changes:
    incidentflow render process_specs/major-incident.yaml --format svg -o docs/images/major-incident.svg
    """
    root = Path(__file__).resolve().parents[2]
    svg = (root / "docs" / "images" / "major-incident.svg").read_text(encoding="utf-8")
    process = incidentflow.load(root / "process_specs" / "major-incident.yaml")
    missing = [s.title for s in process.states.values() if s.title not in svg]
    assert missing == [], "regenerate docs/images/major-incident.svg"
    assert "major-incident.svg" in (root / "README.md").read_text(encoding="utf-8")


# -- greyscale ------------------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_state_kinds_differ_without_colour_and_text_stays_dark_on_light() -> None:
    """Printed in greyscale, initial, normal and terminal states still differ by shape and
    border (not only by fill), and black labels stay readable on every fill."""
    nodes = (Node("a", "A", "initial"), Node("b", "B"), Node("c", "C", "terminal"))
    drawn = Diagram("t", nodes)
    dot_lines = {
        n.id: line for line in to_dot(drawn).splitlines() for n in nodes if f'"{n.id}" [' in line
    }
    colourless = {
        sid: re.sub(r'(fill)?color="#[0-9a-f]{6}"', "", line.split("label=", 1)[1].split(",", 1)[1])
        for sid, line in dot_lines.items()
    }
    assert len(set(colourless.values())) == 3, colourless
    fills = re.findall(r'fillcolor="(#[0-9a-f]{6})"', to_dot(drawn))
    assert len(fills) == 3
    assert all(_luminance(fill) > 0.6 for fill in fills)
    mermaid = to_mermaid(drawn)
    shapes = [line.strip()[3:6] for line in mermaid.splitlines() if line.strip().startswith("s_")]
    assert len(set(shapes)) == 3, shapes  # (["  ["  ((( : stadium, box, double circle


def test_mermaid_marks_the_current_state_and_nothing_for_a_state_not_drawn() -> None:
    from incidentflow.render import diagram, to_mermaid

    process = incidentflow.load(EXAMPLES / "major-incident.yaml")
    marked = to_mermaid(diagram(process), current="triage")
    assert marked.splitlines()[-1] == "    class s_triage current"
    assert "classDef current" in marked
    assert to_mermaid(diagram(process), current="nowhere") == to_mermaid(diagram(process))

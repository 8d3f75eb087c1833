"""Mermaid output renders in Mermaid itself: the ``mermaid`` npm package in headless Chromium.

For every spec in ``process_specs/`` the CLI renders Mermaid text, a page built from
``tests/browser/render.html`` loads ``node_modules/mermaid/dist/mermaid.min.js``
and renders the diagram into the DOM, and ``chromium --headless --dump-dom`` hands back
the DOM. The test then checks that Mermaid raised no error, that an ``<svg>`` exists and
that every state of the spec became an SVG node (``<g class="node ..."
id="...-flowchart-s_<state>-<n>">``).

Never skipped: see ``tests/helpers/chromium.py``.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import incidentflow
from incidentflow.cli import run
from incidentflow.render.handbook import handbook
from tests.conftest import EXAMPLES, ROOT
from tests.helpers import chromium
from tests.helpers.large import PHASES, forty_states

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEMPLATE = ROOT / "tests" / "browser" / "render.html"
SPECS = sorted(EXAMPLES.glob("*.yaml"))
DIAGRAM_ID = "incidentflow-diagram"
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="incidentflow-mermaid-") as tmp:
        yield Path(tmp)


def _render_in_chromium(text: str, workdir: Path) -> chromium.Dom:
    page = TEMPLATE.read_text(encoding="utf-8")
    page = page.replace("__MERMAID_JS__", chromium.mermaid_js().as_uri())
    page = page.replace("__DIAGRAM_JSON__", json.dumps(text).replace("</", "<\\/"))
    html = workdir / "diagram.html"
    html.write_text(page, encoding="utf-8")
    return chromium.dump_dom(html.as_uri(), workdir / "profile")


def test_browser_dependencies_are_installed() -> None:
    """Fails (never skips) with how to install them, so CI cannot pass without the check."""
    chromium.chromium()
    chromium.mermaid_js()
    assert TEMPLATE.is_file()


@pytest.mark.parametrize("detail", ["full", "brief", "outline"])
@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_mermaid_renders_every_state_as_an_svg_node(path: Path, detail: str, workdir: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(["render", str(path), "--format", "mermaid", "--detail", detail], out, err)
    assert code == 0, err.getvalue()

    dom = _render_in_chromium(out.getvalue(), workdir)

    assert dom.title == "done", f"Mermaid failed on {path.name}: {dom.title or '(no title)'}"
    assert dom.svgs >= 1, "no <svg> in the rendered page"
    states = list(incidentflow.load(path).spec.process.states)
    assert states
    node_re = re.compile(rf"^{DIAGRAM_ID}-flowchart-(s_\w+)-\d+$")
    rendered = {m.group(1) for i in dom.node_ids if (m := node_re.match(i))}
    expected = {"s_" + _UNSAFE.sub("_", sid): sid for sid in states}
    missing = sorted(sid for mid, sid in expected.items() if mid not in rendered)
    assert not missing, f"states with no SVG node: {missing}; SVG nodes: {sorted(rendered)}"
    assert len(rendered) == len(states), f"unexpected SVG nodes: {sorted(rendered - set(expected))}"


def test_a_broken_diagram_is_reported_as_an_error(workdir: Path) -> None:
    """The harness itself: Mermaid's parse errors reach the test, they do not pass silently."""
    dom = _render_in_chromium('flowchart TD\n    a["open" --> \n', workdir)
    assert dom.title.startswith("error: "), dom.title
    assert dom.svgs == 0 or dom.node_ids == []


def test_a_phase_view_renders_every_state_it_shows(workdir: Path) -> None:
    path = EXAMPLES / "major-incident.yaml"
    out, err = io.StringIO(), io.StringIO()
    code = run(["render", str(path), "--phase", "resolution"], out, err)
    assert code == 0, err.getvalue()

    dom = _render_in_chromium(out.getvalue(), workdir)

    assert dom.title == "done", dom.title
    node_re = re.compile(rf"^{DIAGRAM_ID}-flowchart-(s_\w+)-\d+$")
    rendered = {m.group(1) for i in dom.node_ids if (m := node_re.match(i))}
    assert rendered == {"s_stabilising", "s_monitoring", "s_triage", "s_review", "s_closed"}


def test_every_flowchart_of_a_large_handbook_renders(workdir: Path) -> None:
    """A large process's handbook has an outline and one diagram per phase: all render."""
    process = forty_states(workdir)
    blocks = [b.split("```")[0] for b in handbook(process).split("```mermaid\n")[1:]]
    assert len(blocks) == 1 + PHASES
    for i, block in enumerate(blocks):
        (workdir / f"block-{i}").mkdir()
        dom = _render_in_chromium(block, workdir / f"block-{i}")
        assert dom.title == "done", f"block {i}: {dom.title}"
        assert dom.node_ids, f"block {i} drew no state"

"""Mermaid output renders in Mermaid itself: the ``mermaid`` npm package in headless Chromium.

For every spec in ``process_specs/`` the CLI renders Mermaid text, a page built from
``tests/browser/render.html`` loads ``tests/browser/node_modules/mermaid/dist/mermaid.min.js``
and renders the diagram into the DOM, and ``chromium --headless --dump-dom`` hands back
the DOM. The test then checks that Mermaid raised no error, that an ``<svg>`` exists and
that every state of the spec became an SVG node (``<g class="node ..."
id="...-flowchart-s_<state>-<n>">``).

Never skipped: Chromium (Debian package ``chromium``) and the npm packages are installed
by ``.ci/run``; without them these tests fail and say so.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

import incidentflow
from incidentflow.cli import run
from tests.conftest import EXAMPLES, ROOT

BROWSER_DIR = ROOT / "tests" / "browser"
TEMPLATE = BROWSER_DIR / "render.html"
MERMAID_JS = BROWSER_DIR / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
SPECS = sorted(EXAMPLES.glob("*.yaml"))
DIAGRAM_ID = "incidentflow-diagram"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
)
TIMEOUT_S = 90
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "Chromium is not installed (no `chromium` on PATH): run `.ci/run`, or "
        "`apt-get install -y chromium`, before the test suite",
        pytrace=False,
    )


def _mermaid_js() -> Path:
    if not MERMAID_JS.is_file():
        pytest.fail(
            f"{MERMAID_JS.relative_to(ROOT)} is missing: run `.ci/run`, or "
            "`npm ci` (or `npm install`) in tests/browser, before the test suite",
            pytrace=False,
        )
    return MERMAID_JS


class _Dom(HTMLParser):
    """The bits of the dumped DOM the checks need: title, <svg> count, SVG nodes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.svgs = 0
        self.node_ids: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "title":
            self._in_title = True
        elif tag == "svg":
            self.svgs += 1
        elif tag == "g" and "node" in (attr.get("class") or "").split():
            self.node_ids.append(attr.get("id") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="incidentflow-mermaid-") as tmp:
        yield Path(tmp)


def _render_in_chromium(text: str, workdir: Path) -> _Dom:
    chromium, mermaid_js = _chromium(), _mermaid_js()
    page = TEMPLATE.read_text(encoding="utf-8")
    page = page.replace("__MERMAID_JS__", mermaid_js.as_uri())
    page = page.replace("__DIAGRAM_JSON__", json.dumps(text).replace("</", "<\\/"))
    html = workdir / "diagram.html"
    html.write_text(page, encoding="utf-8")
    profile = workdir / "profile"
    profile.mkdir()
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", html.as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {TIMEOUT_S}s: {' '.join(cmd)}")
    assert proc.returncode == 0, f"chromium exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    dom = _Dom()
    dom.feed(proc.stdout)
    return dom


def test_browser_dependencies_are_installed() -> None:
    """Fails (never skips) with how to install them, so CI cannot pass without the check."""
    _chromium()
    _mermaid_js()
    assert TEMPLATE.is_file()


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_mermaid_renders_every_state_as_an_svg_node(path: Path, workdir: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(["render", str(path), "--format", "mermaid"], out, err)
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

"""The built documentation site shows each handbook's flowchart as an SVG, offline.

``mkdocs build --strict`` builds the site (the same build as ``nox -s docs``);
a loopback HTTP server serves it; each generated handbook page, with
``tests/browser/site_probe.js`` injected at the top, is loaded in headless Chromium
(cut off from the network, see ``tests/helpers/chromium.py``). Material for MkDocs
renders the page's Mermaid block with the Mermaid the site serves itself
(``docs/hooks/mermaid.py``); the probe copies the rendered SVG out of Material's
closed shadow root so the dumped DOM shows it. The test checks that the diagram
rendered, that every state of the spec is an SVG node, and that the page fetched
nothing from another origin (no CDN, no web fonts).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

import incidentflow
from tests.conftest import EXAMPLES, ROOT
from tests.helpers import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROBE = ROOT / "tests" / "browser" / "site_probe.js"
SPECS = sorted(EXAMPLES.glob("*.yaml"))
BUILD_TIMEOUT_S = 300
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built from this checkout with --strict into a temporary directory."""
    chromium.mermaid_js()  # the build needs it too (docs/hooks/mermaid.py)
    out = tmp_path_factory.mktemp("site") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml")]
    proc = subprocess.run(
        [*cmd, "-d", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"`mkdocs build --strict` failed (exit {proc.returncode}); the docs extra "
            f"(`pip install -e .[docs]`) is needed:\n{proc.stderr[-4000:]}",
            pytrace=False,
        )
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged (they would clutter the test output)."""


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site over HTTP on the loopback address (how a reader's browser gets it)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _probe_page(site: Path, page: str) -> str:
    """A copy of ``page`` with the probe first in <head>; returns its path in the site."""
    html = (site / page).read_text(encoding="utf-8")
    assert "<head>" in html, f"{page} has no <head>"
    probed = html.replace(
        "<head>", f"<head><script>{PROBE.read_text(encoding='utf-8')}</script>", 1
    )
    target = (site / page).with_name("probe.html")
    target.write_text(probed, encoding="utf-8")
    return target.relative_to(site).as_posix()


def test_the_site_serves_the_pinned_mermaid(site: Path) -> None:
    served_copy = site / "assets" / "javascripts" / "mermaid.min.js"
    assert served_copy.read_bytes() == chromium.mermaid_js().read_bytes()
    page = (site / "handbooks" / "major-incident" / "index.html").read_text(encoding="utf-8")
    assert 'src="../../assets/javascripts/mermaid.min.js"' in page
    assert "unpkg.com" not in page
    assert "fonts.googleapis.com" not in page


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_handbook_flowchart_renders_as_svg(
    spec: Path, site: Path, served: str, tmp_path: Path
) -> None:
    page = _probe_page(site, f"handbooks/{spec.stem}/index.html")

    dom = chromium.dump_dom(f"{served}/{page}", tmp_path / "profile")

    assert dom.title == "rendered 1", f"handbook {spec.stem}: {dom.title or '(no title)'}"
    assert dom.svgs >= 1
    states = list(incidentflow.load(spec).spec.process.states)
    node_re = re.compile(r"^__mermaid_\d+-flowchart-(s_\w+)-\d+$")
    rendered = {m.group(1) for i in dom.node_ids if (m := node_re.match(i))}
    expected = {"s_" + _UNSAFE.sub("_", sid) for sid in states}
    assert rendered == expected, f"SVG nodes {sorted(rendered)} != states {sorted(expected)}"


def _mermaid_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mermaid_hook", ROOT / "docs" / "hooks" / "mermaid.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_the_npm_package_the_build_warns_and_strict_fails(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hook = _mermaid_hook()
    config = SimpleNamespace(config_file_path=str(tmp_path / "mkdocs.yml"), extra_javascript=[])
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.mermaid"):
        hook.on_config(config)
    assert config.extra_javascript == []
    assert any("npm ci" in r.getMessage() for r in caplog.records), caplog.text

"""Headless Chromium for the browser tests: find it, run it with ``--dump-dom``, parse the DOM.

Tests using it carry the ``browser`` marker: without Chromium (Debian package
``chromium``) or the pinned Mermaid (``npm ci`` in the repository root) they skip
with a line saying how to install them, except in CI, where ``.ci/run`` installs
both and a missing one fails the run (``tests/conftest.py``).

The browser is cut off from the network (``--host-resolver-rules`` resolves every
host to nothing except the loopback address a test serves pages from), so a page
that needs a CDN fails here instead of silently reaching out.
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import MERMAID_JS, ROOT

TIMEOUT_S = 90
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # no name resolves, so nothing outside this machine can be fetched
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    # run timers and scripts as fast as they go, up to 10 s of page time
    "--virtual-time-budget=10000",
)


def chromium() -> str:
    """The Chromium executable, or a test failure saying how to install it."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "Chromium is not installed (no `chromium` on PATH): run `.ci/run`, or "
        "`apt-get install -y chromium`, before the test suite",
        pytrace=False,
    )


def mermaid_js() -> Path:
    """The pinned ``mermaid.min.js``, or a test failure saying how to install it."""
    if not MERMAID_JS.is_file():
        pytest.fail(
            f"{MERMAID_JS.relative_to(ROOT)} is missing: run `.ci/run`, or "
            "`npm ci` in the repository root, before the test suite",
            pytrace=False,
        )
    return MERMAID_JS


class Dom(HTMLParser):
    """What the checks read from a dumped DOM: the title, ``<svg>`` count, SVG node ids."""

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


def dump_dom(url: str, profile: Path) -> Dom:
    """Load ``url`` in headless Chromium (fresh profile dir) and parse the DOM it ends with."""
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {TIMEOUT_S}s: {' '.join(cmd)}")
    assert proc.returncode == 0, f"chromium exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    dom = Dom()
    dom.feed(proc.stdout)
    return dom

"""The web page in headless Chromium: sign in with a token, open an incident from the
queue, press the moves in order until it closes; after each the page shows the new state
and the flowchart (drawn by the Mermaid the service serves) marks it.

The service runs under uvicorn on 127.0.0.1; Chromium is cut off from every other host
(``tests/helpers/chromium.py``), so a page that needed a CDN would fail here. Screenshots
of the queue and of the incident page go to ``$INCIDENTFLOW_SCREENSHOTS`` when set (to
look at them), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from incidentflow import Engine, SQLiteStore
from incidentflow.serve.app import create_app
from incidentflow.serve.assets import find_mermaid
from incidentflow.serve.tokens import TokenFile
from tests.engine.common import MAJOR
from tests.helpers import chromium
from tests.helpers.cdp import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

START_S = 30
# (button, then the state the incident is in): the whole SEV3 path, detected to closed
MOVES = [
    ("fire", "acknowledge", "triage"),
    ("check", "impact_confirmed", "triage"),
    ("check", "severity_confirmed", "triage"),
    ("check", "roles_assigned", "triage"),
    ("fire", "start_mitigation", "stabilising"),
    ("check", "mitigation_applied", "stabilising"),
    ("check", "customer_impact_ended", "stabilising"),
    ("fire", "hand_over", "monitoring"),
    ("check", "metrics_nominal", "monitoring"),
    ("fire", "close", "closed"),
]


class _Server:
    """The app under uvicorn in a thread on a free loopback port."""

    def __init__(self, app: object) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + START_S
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn stopped"
            assert time.monotonic() < deadline, "uvicorn did not start in time"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=START_S)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("INCIDENTFLOW_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    chromium.mermaid_js()
    driver = Browser(tmp_path / "profile")
    try:
        yield driver
    finally:
        driver.close()


def _current_node(browser: Browser) -> str:
    found = browser.evaluate(
        "(() => { const n = document.querySelector('#flowchart g.node.current');"
        " return n ? n.id : ''; })()"
    )
    return str(found)


def _drawn(browser: Browser, version: int) -> None:
    browser.wait_for(
        f"(() => {{ const p = document.getElementById('incident');"
        f" return p && Number(p.dataset.version) > {version}"
        f" && document.getElementById('flowchart').dataset.drawn === 'true'; }})()",
        f"the incident page after version {version}, with its flowchart drawn",
    )


def test_sign_in_open_from_the_queue_and_press_every_move_until_closed(
    tmp_path: Path, browser: Browser, shots: Path
) -> None:
    engine = Engine(MAJOR, SQLiteStore(tmp_path / "s.db"))
    tokens = TokenFile(tmp_path / "tokens.json")
    token = tokens.add("carol")
    other = engine.open("major-incident", severity="SEV1", title="Checkout is down")
    engine.assign(other.id, "commander", "dave", actor="system")
    iid = engine.open("major-incident", severity="SEV3", title="Search is slow").id
    engine.assign(iid, "commander", "carol", actor="system")
    engine.assign(iid, "secondary", "carol", actor="system")
    app = create_app(engine, tokens, mermaid=find_mermaid())

    with _Server(app) as url:
        browser.go(url + "/")
        browser.wait_for("!!document.getElementById('sign-in')", "the sign-in page")
        browser.evaluate(
            f"document.getElementById('token').value = {token!r};"
            "document.getElementById('sign-in').requestSubmit()"
        )
        browser.wait_for("!!document.getElementById('queue')", "the queue")
        order = browser.evaluate(
            "[...document.querySelectorAll('#queue tbody tr')].map(r => r.dataset.incident)"
        )
        assert order == [other.id, iid]  # SEV1 above SEV3
        assert browser.evaluate("document.getElementById('person').textContent") == "carol"
        browser.screenshot(shots / "queue.png")

        browser.evaluate(f"document.querySelector('tr[data-incident=\"{iid}\"] a').click()")
        _drawn(browser, 0)
        assert browser.evaluate("document.getElementById('incident').dataset.state") == "detected"
        assert "flowchart-s_detected-" in _current_node(browser)
        browser.screenshot(shots / "incident.png")

        for call, name, state in MOVES:
            version = engine.get(iid).version
            attribute = "transition" if call == "fire" else "item"
            selector = f'[data-call="{call}"][data-{attribute}="{name}"]'
            assert browser.evaluate(f"!!document.querySelector('{selector}')"), (call, name)
            browser.evaluate(f"document.querySelector('{selector}').click()")
            _drawn(browser, version)
            assert engine.get(iid).state == state
            assert browser.evaluate("document.getElementById('incident').dataset.state") == state
            assert f"flowchart-s_{state}-" in _current_node(browser)
            if call == "check":
                assert browser.evaluate(f"!document.querySelector('{selector}')")  # done now
            if state == "stabilising" and name == "start_mitigation":
                browser.screenshot(shots / "incident-stabilising.png")
        assert browser.evaluate("document.getElementById('no-moves').textContent").startswith(
            "The incident is closed"
        )
        browser.screenshot(shots / "incident-closed.png")
    assert browser.errors == []  # no script error, nothing blocked by the page's CSP
    assert [e.actor for e in engine.history(iid) if e.kind in ("transitioned", "checked")] == [
        "carol"
    ] * len(MOVES)
    assert engine.verify().ok
    engine.store.close()

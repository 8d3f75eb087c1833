"""A small Chrome DevTools Protocol driver for the browser tests that press buttons.

``--dump-dom`` shows a page once; a test that signs in and presses buttons needs to
talk to the browser. Chromium speaks the DevTools protocol over a pair of pipes when
started with ``--remote-debugging-pipe`` (it reads commands on fd 3 and writes on fd
4, each message JSON ending in a NUL byte), so no extra package and no port are
needed. The browser runs with the flags of :mod:`tests.helpers.chromium` (cut off from
the network except the loopback address).

Only what the tests use: navigate, evaluate JavaScript, wait for a condition (bounded),
take a screenshot, and collect the page's uncaught exceptions and console errors.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from tests.helpers import chromium

TIMEOUT_S = 30
_FLAGS = tuple(flag for flag in chromium.FLAGS if not flag.startswith("--virtual-time-budget"))


class BrowserError(Exception):
    """The browser answered a command with an error, or did not answer in time."""


class Browser:
    """Headless Chromium with one page, driven over the DevTools pipe."""

    def __init__(self, profile: Path, *, width: int = 1280, height: int = 900) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def plumb() -> None:  # in the child: its fd 3 reads our commands, fd 4 answers
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self._process = subprocess.Popen(
            [
                chromium.chromium(),
                *_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=plumb,
            close_fds=False,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._next_id = 0
        self._answers: dict[int, dict[str, Any]] = {}
        self._arrived = threading.Condition()
        self.errors: list[str] = []
        """Uncaught exceptions and console errors of the page, in order."""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.command(f"{domain}.enable")
        self.command(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.width = width

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._from_browser, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\0" in buffer:
                    raw, buffer = buffer.split(b"\0", 1)
                    self._dispatch(json.loads(raw))

    def _dispatch(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(
                details.get("exception", {}).get("description") or details.get("text", "")
            )
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(params["entry"]["text"])
        elif method == "Runtime.consoleAPICalled" and params["type"] == "error":
            self.errors.append(" ".join(str(a.get("value", "")) for a in params["args"]))
        if "id" in message:
            with self._arrived:
                self._answers[message["id"]] = message
                self._arrived.notify_all()

    def _send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        with self._arrived:
            while ident not in self._answers:
                left = deadline - time.monotonic()
                if left <= 0 or self._process.poll() is not None:
                    raise BrowserError(f"no answer to {method} within {TIMEOUT_S}s")
                self._arrived.wait(min(left, 0.5))
            answer = self._answers.pop(ident)
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def command(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A DevTools command to the page; its result."""
        return self._send(method, params, self._session)

    def go(self, url: str) -> None:
        """Navigate to ``url`` (wait for what should appear with :meth:`wait_for`)."""
        self.command("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.command(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        """Poll ``expression`` until it is truthy (at most TIMEOUT_S); its value."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                value = self.evaluate(expression)
            except BrowserError:  # the page is between two documents
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                where = self.evaluate(
                    "location.href + ' | ' + document.body.innerText.slice(0, 300)"
                )
                raise BrowserError(
                    f"waited {TIMEOUT_S}s for {what}: {expression}; the page: {where}; "
                    f"its errors: {self.errors}"
                )
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (as tall as its content) at ``path``."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.command(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        shot = self.command("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        """Stop the browser."""
        with contextlib.suppress(BrowserError, OSError):
            self._send("Browser.close")
        try:
            self._process.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)

"""Local servers the delivery tests talk to: HTTP and SMTP on 127.0.0.1, never the network.

The HTTP server answers from a script, one entry per request: a status code, or
``HANG`` (hold the request until the test ends, bounded at HANG_LIMIT seconds), then
200 once the script runs out. It records every request's headers and body.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG = "hang"
HANG_LIMIT = 5.0  # a hung request is released after this, whatever happens


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    answers: list[int | str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        script = self.server.script
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with script.lock:
            script.received.append(Received(self.path, dict(self.headers.items()), body))
            answer = script.answers.pop(0) if script.answers else 200
        if answer == HANG:
            script.release.wait(HANG_LIMIT)
            answer = 200
        assert isinstance(answer, int)
        reply = b'{"status": "success"}' if answer < 300 else b'{"error": "scripted"}'
        with contextlib.suppress(OSError):  # the client may have given up on a hung request
            self.send_response(answer)
            if answer == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    script: Script


@contextmanager
def http_server() -> Iterator[tuple[str, Script]]:
    """A scripted HTTP server on 127.0.0.1: its base URL and its script."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.script = Script()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.script
    finally:
        server.script.release.set()
        server.shutdown()
        server.server_close()
        thread.join(HANG_LIMIT)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Mailbox:
    """What the SMTP server received, and the replies it gives to DATA first."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """An aiosmtpd server on 127.0.0.1: its port and its mailbox."""
    from aiosmtpd.controller import Controller

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            if box.replies:
                return box.replies.pop(0)
            box.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.content)  # type: ignore[attr-defined]
            )
            return "250 Message accepted"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, box
    finally:
        controller.stop()

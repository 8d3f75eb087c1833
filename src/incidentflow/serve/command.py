"""``incidentflow serve`` and ``incidentflow token``: the commands of the service.

``serve`` needs the ``serve`` extra (FastAPI, uvicorn, Jinja2), imported only here
and only when the command runs, so that the rest of the command line never loads
them; without them it says how to install them, in one line. ``token`` is plain
Python (:mod:`incidentflow.serve.tokens`).
"""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from incidentflow.serve.tokens import Kind, TokenFile, TokenFileError

if TYPE_CHECKING:
    from incidentflow.serve.intake import IntakeFunction

EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE = 0, 1, 2
INSTALL_HINT = (
    "incidentflow serve: needs FastAPI, uvicorn and Jinja2 ({missing} is missing): "
    "pip install 'incidentflow[serve]'\n"
)


def _stopped(signum: int, frame: FrameType | None) -> None:
    """Nothing more to do: uvicorn has shut down by the time it re-raises the signal."""


def token_command(
    action: str, name: str | None, tokens_path: str, kind: Kind, stdout: TextIO, stderr: TextIO
) -> int:
    """``token add NAME``, ``token revoke NAME``, ``token list``."""
    tokens = TokenFile(tokens_path)
    try:
        if action == "add":
            assert name is not None
            token = tokens.add(name, kind)
            stdout.write(token + "\n")
            stderr.write(
                f"incidentflow token: added {'an intake' if kind == 'intake' else 'a person'} token for {name!r} to {tokens_path}; it is "
                "shown once, above: give it to them now (only its hash is stored)\n"
            )
            return EXIT_OK
        if action == "revoke":
            assert name is not None
            removed = tokens.revoke(name)
            if not removed:
                stderr.write(f"incidentflow token: {tokens_path} has no token of {name!r}\n")
                return EXIT_USAGE
            stdout.write(f"revoked {removed} token(s) of {name!r}\n")
            return EXIT_OK
        for entry in tokens.entries():
            stdout.write(f"{entry.name}\t{entry.kind}\t{entry.created}\n")
        return EXIT_OK
    except TokenFileError as error:
        stderr.write(f"incidentflow token: {error}\n")
        return EXIT_USAGE


def serve_command(
    store_url: str,
    specs: list[str],
    *,
    tokens_path: str,
    host: str,
    port: int,
    worker: bool,
    actions: str | None,
    mermaid: str | None,
    intakes: dict[str, IntakeFunction] | None = None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Run the service until SIGTERM or SIGINT; return the exit code."""
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
        import uvicorn
    except ImportError as error:
        stderr.write(INSTALL_HINT.format(missing=error.name or "a module"))
        return EXIT_USAGE
    from incidentflow.audit.urls import open_store, parse_store_url
    from incidentflow.engine.engine import Engine
    from incidentflow.engine.worker import Worker
    from incidentflow.errors import IncidentflowError, SpecFileError
    from incidentflow.serve.app import MERMAID_PATH, create_app
    from incidentflow.serve.assets import find_mermaid
    from incidentflow.worker_command import CommandError, load_handlers, processes_of

    shown = parse_store_url(store_url).display
    tokens = TokenFile(tokens_path)
    try:
        people = tokens.entries()
        if not people:
            raise CommandError(
                f"{tokens_path}: no tokens, so nobody could sign in: make one with "
                f"`incidentflow token add NAME --tokens {tokens_path}`"
            )
        mermaid_js = find_mermaid(mermaid)
        processes = processes_of(specs, stderr)
        if processes is None:
            return EXIT_SPEC_ERRORS
        handlers = load_handlers(actions, processes) if actions else {}
    except (CommandError, SpecFileError, TokenFileError, FileNotFoundError) as error:
        stderr.write(f"incidentflow serve: {error}\n")
        return EXIT_USAGE
    try:
        store = open_store(store_url)
    except Exception as error:  # the store cannot be opened: say so, never a traceback
        stderr.write(f"incidentflow serve: {shown}: cannot open the store: {error}\n")
        return EXIT_USAGE
    logging.basicConfig(stream=stderr, level=logging.WARNING, format="%(levelname)s %(message)s")
    logging.getLogger("incidentflow").setLevel(logging.INFO)
    try:
        engine = Engine(processes, store, handlers=handlers)
        loop = Worker(engine) if worker else None
        app = create_app(engine, tokens, intakes=intakes, mermaid=mermaid_js, worker=loop)
        stdout.write(
            f"incidentflow serve: {len(processes)} process(es), store {shown}, "
            f"{sum(e.kind == 'person' for e in people)} person token(s), "
            f"{sum(e.kind == 'intake' for e in people)} intake token(s), "
            + (f"worker {loop.worker_id}" if loop else "no worker (--no-worker)")
            + f"; starting on http://{host}:{port}/\n"
        )
        if mermaid_js is None:
            stdout.write(
                f"incidentflow serve: no Mermaid found, so {MERMAID_PATH} is absent and the "
                "page shows flowcharts as text (see --mermaid)\n"
            )
        stdout.flush()
        # uvicorn stops gracefully on SIGTERM/SIGINT, then raises the signal again for the
        # handler it found: these handlers make that a normal exit (status 0, store closed)
        previous = {s: signal.signal(s, _stopped) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)
        except SystemExit:  # uvicorn exits when it cannot listen (it logged why, above)
            stderr.write(f"incidentflow serve: cannot serve on {host}:{port}\n")
            return EXIT_USAGE
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    except IncidentflowError as error:
        stderr.write(f"incidentflow serve: {error}\n")
        return EXIT_USAGE
    finally:
        store.close()
    stdout.write("incidentflow serve: stopped\n")
    return EXIT_OK

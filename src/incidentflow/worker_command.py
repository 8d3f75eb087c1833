"""``incidentflow worker``: fire due timers and deliver actions until SIGTERM or SIGINT.

Any number of these (and host replicas embedding :class:`~incidentflow.Worker`) may
share one store; see docs/workers.md for what each guarantees. ``--actions
MODULE:OBJECT`` names the host's action handlers: a mapping of action name to handler,
or a function returning one. It is imported as Python code, which is why it is named by
the operator on the command line and never by a spec. ``--actions builtin`` uses the
built-in handlers (webhook, Slack, PagerDuty, e-mail) configured from the environment
(see :mod:`incidentflow.delivery.config`).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process
    from incidentflow.engine.action_runner import ActionHandler

EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """What the command reports on one line and exits 2 for."""


BUILTIN = "builtin"
"""``--actions builtin``: the built-in handlers, configured from the environment."""


def load_handlers(
    reference: str, processes: list[Process] | None = None
) -> dict[str, ActionHandler]:
    """The handlers ``MODULE:OBJECT`` names (a mapping, or a function returning one), or
    the built-in ones for ``builtin``."""
    if reference == BUILTIN:
        return _builtin_handlers(processes or [])
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise CommandError(f"--actions {reference}: expected MODULE:OBJECT")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # as `python -m` does: the host's modules in the current directory
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the host's code failed to import: say which and why
        raise CommandError(
            f"--actions {reference}: cannot import {module_name}: {type(exc).__name__}: {exc}"
        ) from None
    found: object = module
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise CommandError(f"--actions {reference}: {module_name} has no {attribute}")
        found = getattr(found, part)
    if callable(found) and not isinstance(found, Mapping):
        found = found()
    if not isinstance(found, Mapping) or not all(
        isinstance(k, str) and callable(v) for k, v in found.items()
    ):
        raise CommandError(
            f"--actions {reference}: expected a mapping of action name to handler "
            "(or a function returning one)"
        )
    return dict(found)


def _builtin_handlers(processes: list[Process]) -> dict[str, ActionHandler]:
    from incidentflow.delivery.config import handlers_from_env
    from incidentflow.errors import DeliveryError

    levels = processes[0].level_ids if len(processes) == 1 else ()
    try:
        return handlers_from_env(os.environ, levels)
    except DeliveryError as problem:
        raise CommandError(f"--actions builtin: {problem.reason}") from None


def processes_of(paths: list[str], stderr: TextIO) -> list[Process] | None:
    """The processes of every spec file and directory; None after printing spec errors."""
    from incidentflow.api import check_file, check_set

    results = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = check_set(path)
            if not found:
                raise CommandError(f"{raw}: no *.yaml or *.yml files found")
            results.extend(found)
        else:
            results.append(check_file(path))
    if any(r.process is None for r in results):
        from incidentflow.reporting import format_text

        diagnostics = [d for r in results for d in r.diagnostics]
        stderr.write(format_text(diagnostics, {r.file: r.text for r in results}))
        return None
    return [r.process for r in results if r.process is not None]


def worker_command(
    store_url: str,
    specs: list[str],
    actions: str | None,
    lease: float,
    poll: float,
    worker_id: str | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Run a worker until SIGTERM or SIGINT; return the exit code."""
    from incidentflow.audit.urls import open_store, parse_store_url
    from incidentflow.engine.engine import Engine
    from incidentflow.engine.worker import Worker
    from incidentflow.errors import IncidentflowError, SpecFileError

    shown = parse_store_url(store_url).display  # never a password

    try:
        processes = processes_of(specs, stderr)
        if processes is None:
            return EXIT_SPEC_ERRORS
        handlers = load_handlers(actions, processes) if actions else {}
        store = open_store(store_url)
    except (CommandError, SpecFileError) as exc:
        stderr.write(f"incidentflow worker: {exc}\n")
        return EXIT_USAGE
    except Exception as exc:  # the store cannot be opened: say so, never a traceback
        stderr.write(f"incidentflow worker: {shown}: cannot open the store: {exc}\n")
        return EXIT_USAGE
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()  # the round in progress finishes: no action is left half-recorded

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    logging.basicConfig(stream=stderr, level=logging.WARNING, format="%(levelname)s %(message)s")
    logging.getLogger("incidentflow").setLevel(logging.INFO)  # what the worker itself says
    try:
        engine = Engine(processes, store, handlers=handlers)
        worker = Worker(engine, lease=lease, poll=poll, worker_id=worker_id)
        unhandled = sorted({a for p in processes for a in p.spec.actions} - set(handlers))
        stdout.write(
            f"worker {worker.worker_id}: {len(processes)} process(es), store {store_url}, "
            f"lease {lease:g}s, poll {poll:g}s"
            + (f"; no handler for {', '.join(unhandled)}" if unhandled else "")
            + "\n"
        )
        stdout.flush()
        worker.run(stop)
    except IncidentflowError as exc:  # a bad option, or the store stayed down too long
        stderr.write(f"incidentflow worker: {exc}\n")
        return EXIT_USAGE
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        store.close()
    stdout.write(f"worker {worker.worker_id}: stopped\n")
    return EXIT_OK

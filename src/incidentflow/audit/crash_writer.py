"""A process that appends to a store until it is killed: the store contract's crash test.

``python -m incidentflow.audit.crash_writer FACTORY LOCATION BATCH`` opens the store
``FACTORY(LOCATION)`` (FACTORY is ``module:callable``, LOCATION a string such as a file
path), then appends batches of BATCH events to the incident :data:`INCIDENT` for ever,
continuing whatever it already has, and prints the incident's version once each append
has returned. A :class:`~incidentflow.BatchStore` gets each batch for two incidents,
:data:`INCIDENT` and :data:`COMPANION`, in one ``append_many``, with a due time that
grows with each batch (:func:`due_of`), so that a kill shows whether the batch and its
due-index rows are all or nothing. :class:`~incidentflow.testing.store_contract.CrashContract`
kills it with SIGKILL and checks what the store kept. It lives here rather than in
:mod:`incidentflow.testing` so that it starts without loading the testing kit.
"""

from __future__ import annotations

import importlib
import itertools
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO

from incidentflow.audit.events import GENESIS, Event, seal
from incidentflow.audit.store import Append, BatchStore, Store

INCIDENT = "inc-crash"
"""The incident the writer appends to."""
COMPANION = "inc-crash-companion"
"""The second incident of each batch, for a store that appends batches."""
SPEC = ("store-contract", "1", "sha256:" + "0" * 64)
_TIME = "2024-05-01T12:00:00+00:00"
_PADDING = "x" * 2000  # long enough that a kill often lands inside a write


def open_store(factory: str, location: str) -> Store:
    """``callable(location)`` for ``factory`` = ``"module:callable"``."""
    module, _, name = factory.partition(":")
    make: Callable[[str], Store] = getattr(importlib.import_module(module), name)
    return make(location)


def due_of(version: int) -> datetime:
    """The due time the writer records with the batch that brings the incidents to
    ``version`` (a batch store): the index must always show the last committed one."""
    return datetime(2090, 1, 1, tzinfo=UTC) + timedelta(seconds=version)


def _continue(incident_id: str, log: list[Event], n: int, batch_size: int) -> list[Event]:
    batch = []
    prev = log[-1].hash if log else GENESIS
    for seq in range(len(log) + 1, len(log) + 1 + batch_size):
        kind = "opened" if seq == 1 else "noted"
        data = {"text": f"batch {n}", "padding": _PADDING}
        batch.append(seal(incident_id, seq, _TIME, "writer", kind, data, SPEC, prev))
        prev = batch[-1].hash
    return batch


def write_until_killed(store: Store, batch_size: int, out: TextIO) -> None:
    """Append batches of ``batch_size`` events to :data:`INCIDENT` (and :data:`COMPANION`,
    for a batch store) for ever, writing the version to ``out`` (flushed) after each
    append returns."""
    log = store.events(INCIDENT)
    companion = store.events(COMPANION)
    for n in itertools.count():
        batch = _continue(INCIDENT, log, n, batch_size)
        if isinstance(store, BatchStore):
            more = _continue(COMPANION, companion, n, batch_size)
            due = due_of(len(log) + batch_size)
            refused = store.append_many(
                [
                    Append(INCIDENT, len(log), batch, due),
                    Append(COMPANION, len(companion), more, due),
                ]
            )
            if refused:
                raise refused[0]
            companion += more
        else:
            store.append(INCIDENT, len(log), batch)
        log += batch
        out.write(f"{len(log)}\n")
        out.flush()


def main(argv: list[str]) -> None:
    """``FACTORY LOCATION BATCH``: see the module."""
    factory, location, batch_size = argv
    write_until_killed(open_store(factory, location), int(batch_size), sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])

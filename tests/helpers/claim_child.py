"""A worker that dies in the middle of its claim: the due-index crash test's child.

``python -m tests.helpers.claim_child WHERE READY`` opens the store WHERE (an SQLite path
or a PostgreSQL URL), claims the due incidents of the timers process with
:meth:`Engine.tick_due`, and, once the claim's events are written but not committed,
creates the file READY and sleeps until it is killed (SIGKILL).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incidentflow import ConcurrencyError, Engine, Event, loads
from incidentflow.audit.store import Append
from incidentflow.audit.urls import open_store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SPEC = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: timers, version: "1"}
roles:
  lead: {title: Lead}
severity:
  levels:
    - {id: SEV1, title: Critical, acknowledge_within: 5m, resolve_within: 4h}
process:
  initial: waiting
  states:
    waiting:
      title: Waiting
      owner: lead
      timers:
        - {id: give_up, after: acknowledge_within, transition: expire}
    expired: {title: Expired, terminal: true}
  transitions:
    - {name: expire, from: waiting, to: expired, by: [lead]}
"""


def engine(where: str, clock: datetime) -> Engine:
    store = open_store(where if "://" in where else f"sqlite:///{where}")
    return Engine(loads(SPEC), store, clock=lambda: clock)


class _Stalling:
    """Wraps a claim: its appends are written, then the process waits to be killed."""

    def __init__(self, claim: Any, ready: Path) -> None:
        self._claim = claim
        self._ready = ready
        self.now = claim.now
        self.incident_ids = claim.incident_ids

    def events(self, after: Mapping[str, int]) -> dict[str, list[Event]]:
        return self._claim.events(after)  # type: ignore[no-any-return]

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        refused = self._claim.append_many(appends)
        self._ready.write_text(str(sum(len(a.events) for a in appends)))
        time.sleep(120)  # killed here, its transaction open
        return refused

    def set_due(self, incident_id: str, due: datetime | None) -> None:
        self._claim.set_due(incident_id, due)


def main(where: str, ready: str) -> None:
    eng = engine(where, T0 + timedelta(hours=1))
    store: Any = eng.store
    claim_due = store.claim_due

    @contextmanager
    def stalling(
        processes: Sequence[str], limit: int, now: datetime | None = None
    ) -> Iterator[Any]:
        with claim_due(processes, limit, now) as claim:
            yield _Stalling(claim, Path(ready))

    store.claim_due = stalling
    eng.tick_due(limit=1000)


if __name__ == "__main__":
    main(*sys.argv[1:])

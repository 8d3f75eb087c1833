"""A store that delegates every call to another: subclass it to watch or disturb one call."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from incidentflow.audit.events import Event
from incidentflow.audit.store import Store


class DelegatingStore:
    """Passes the five Store methods to ``inner`` (not ``opened_since``: subclasses that
    want the engine to use it set ``self.opened_since``)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        self.inner.append(incident_id, expected_version, events)

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        return self.inner.events(incident_id, after)

    def incident_ids(self) -> list[str]:
        return self.inner.incident_ids()

    def all_events(self) -> Iterator[Event]:
        return self.inner.all_events()

    def close(self) -> None:
        self.inner.close()

"""StoreCall: a store's own failures, as the library's :class:`~incidentflow.StoreError`."""

from __future__ import annotations

from incidentflow.errors import IncidentflowError, StoreError


class StoreCall:
    """Turn a store's own failure (sqlite3, OSError, a driver's) into :class:`StoreError`;
    the library's own errors (ConcurrencyError) pass as they are. (A class, not a
    generator: it wraps every read and append.)"""

    __slots__ = ("incident_id", "operation")

    def __init__(self, operation: str, incident_id: str | None) -> None:
        self.operation = operation
        self.incident_id = incident_id

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        if isinstance(error, Exception) and not isinstance(error, IncidentflowError):
            raise StoreError(self.operation, self.incident_id, error) from error

"""The exceptions incidentflow raises. All derive from :class:`IncidentflowError`.

::

    IncidentflowError
    ├── SpecError             a spec (or a set of specs) has errors; carries the Diagnostics
    ├── SpecFileError         a spec path cannot be read (missing, a directory, permissions)
    ├── AuditError            an audit cannot run: not an event store, unreadable, a malformed anchor
    ├── InvalidSuppression    a code given to disable is unknown, or cannot be turned off
    ├── EngineError           the engine refused an operation; nothing was written
    │   ├── UnknownIncident       no incident has this id
    │   ├── UnknownProcess        no loaded process has this name
    │   ├── InvalidOperation      the request names something the process does not have
    │   │   └── InvalidArgument       an argument is malformed (type, size, characters, reserved
    │   │                             name); also a ValueError
    │   ├── OperationRefused      well-formed but not allowed now (policy, closed incident)
    │   │   ├── NotAuthorized         the actor may not do this (carries the roles that may)
    │   │   ├── TransitionNotAllowed  wrong state, role, checklist or severity guard
    │   │   └── MigrationRefused      a migration mapping has errors (carries the Diagnostics)
    │   ├── ConcurrencyError      another writer changed the incident first (stale version)
    │   └── MissingHandlers       require_handlers=True and actions lack a handler
    ├── IntakeError           an alert payload is refused (size, depth, shape, unknown
    │                         source); nothing was written; also a ValueError
    ├── DeliveryError         a built-in action handler could not deliver (after its retries)
    └── StoreError            the store failed to read or write (I/O, lock timeout); the
        │                     store's own exception is the ``__cause__``
        ├── StoreSchemaError      the database has no store schema, or an older or newer one
        └── StoreClosed           a store was used after close()

Exceptions carry data, not only text: ``SpecError.diagnostics`` is the full list
(errors and warnings) so a caller can show or serialise every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from incidentflow.diagnostics import Diagnostic


class IncidentflowError(Exception):
    """Base class of every exception raised by incidentflow."""


class SpecError(IncidentflowError):
    """A spec has errors. ``diagnostics`` holds all of them, with any warnings."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        if first is None:
            text = "spec has errors"
        else:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            text = f"{first.file}:{first.line}:{first.column}: {first.code} {first.message}{more}"
        super().__init__(text)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics of severity error."""
        return tuple(d for d in self.diagnostics if d.is_error)


class SpecFileError(IncidentflowError):
    """A spec path cannot be read. ``path`` is the path, ``reason`` says why."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class AuditError(IncidentflowError):
    """An audit cannot run on this input: ``source`` (a path, or ``"anchor"``) is not an
    incidentflow event store, cannot be read, or is not a well-formed anchor. ``reason``
    says which. (Evidence of tampering is never this error: verification reports it.)"""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class InvalidSuppression(IncidentflowError, ValueError):
    """Codes given to ``disable`` that cannot be turned off. ``problems`` says why, per code.

    Only warnings can be suppressed; errors, unknown codes and the checks on
    suppressions themselves (IF131-IF134) cannot.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class EngineError(IncidentflowError):
    """The engine refused an operation. Nothing was written."""


class UnknownIncident(EngineError):
    """No incident has this id."""

    def __init__(self, incident_id: str) -> None:
        self.incident_id = incident_id
        super().__init__(f"no incident with id {incident_id!r}")


class UnknownProcess(EngineError):
    """No loaded process has this name."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__(f"no process named {name!r} (loaded: {', '.join(self.known) or 'none'})")


class InvalidOperation(EngineError):
    """The request names something the process does not have (a role, item, level, ...)."""

    def __init__(self, incident_id: str | None, operation: str, reason: str) -> None:
        self.incident_id = incident_id
        self.operation = operation
        self.reason = reason
        where = f" on {incident_id}" if incident_id else ""
        super().__init__(f"{operation}{where}: {reason}")


class InvalidArgument(InvalidOperation, ValueError):
    """An argument is malformed: wrong type, empty, too long, a character it may not hold,
    or a name the engine reserves. ``argument`` names it; ``reason`` says what is wrong.

    Also a :class:`ValueError`, so code written against earlier versions (which raised
    ``ValueError`` for a naive datetime) keeps working.
    """

    def __init__(self, incident_id: str | None, operation: str, argument: str, reason: str) -> None:
        self.argument = argument
        super().__init__(incident_id, operation, f"{argument}: {reason}")


class OperationRefused(EngineError):
    """A well-formed request that is not allowed now. ``reason`` is a stable word."""

    def __init__(self, incident_id: str, operation: str, reason: str, detail: str) -> None:
        self.incident_id = incident_id
        self.operation = operation
        self.reason = reason
        self.detail = detail
        super().__init__(f"{operation} on {incident_id} refused ({reason}): {detail}")


class NotAuthorized(OperationRefused):
    """The actor holds none of the roles that may do this. ``allowed_roles`` says which may."""

    def __init__(
        self,
        incident_id: str,
        operation: str,
        actor: str,
        allowed_roles: Sequence[str],
        detail: str,
    ) -> None:
        self.actor = actor
        self.allowed_roles = tuple(allowed_roles)
        super().__init__(incident_id, operation, "role", detail)


class MigrationRefused(OperationRefused):
    """A migration's mapping has errors (``diagnostics``, with file, line and column):
    nothing was written. See :mod:`incidentflow.migration`."""

    def __init__(self, incident_id: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        where = (
            f"{first.file}:{first.line}:{first.column}: {first.code} {first.message}"
            if first is not None
            else "the mapping has errors"
        )
        more = f" (and {len(self.diagnostics) - 1} more)" if len(self.diagnostics) > 1 else ""
        super().__init__(incident_id, "migrate", "mapping", where + more)


class TransitionNotAllowed(OperationRefused):
    """A transition cannot fire. ``reason``: state, role, policy, checklist, guard or terminal."""

    def __init__(
        self,
        incident_id: str,
        transition: str,
        reason: str,
        detail: str,
        *,
        missing: Sequence[str] = (),
    ) -> None:
        self.transition = transition
        self.missing = tuple(missing)
        super().__init__(incident_id, f"fire {transition!r}", reason, detail)


class ConcurrencyError(EngineError):
    """Another writer changed the incident first: ``expected`` is stale, ``actual`` is current."""

    def __init__(self, incident_id: str, expected: int, actual: int) -> None:
        self.incident_id = incident_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"incident {incident_id} is at version {actual}, not {expected}: reload and retry"
        )


class MissingHandlers(EngineError):
    """``require_handlers=True`` and these declared actions have no handler."""

    def __init__(self, actions: Sequence[str]) -> None:
        self.actions = tuple(actions)
        super().__init__(f"no handler registered for action(s): {', '.join(self.actions)}")


class IntakeError(IncidentflowError, ValueError):
    """An alert payload that cannot be read: ``source`` names where it came from, ``where``
    the part of the payload at fault (a dotted path, "" for the whole), ``reason`` what is
    wrong. Raised before any alert of the payload reaches the engine."""

    def __init__(self, source: str, reason: str, where: str = "") -> None:
        self.source = source
        self.reason = reason
        self.where = where
        super().__init__(f"{source} payload{f' at {where}' if where else ''}: {reason}")


class DeliveryError(IncidentflowError):
    """A built-in action handler gave up on one attempt: ``channel`` (webhook, slack,
    pagerduty, email), ``reason``; ``status`` is the HTTP status when there was one. The
    engine records it as the action's failure and retries on its own schedule."""

    def __init__(self, channel: str, reason: str, status: int | None = None) -> None:
        self.channel = channel
        self.reason = reason
        self.status = status
        super().__init__(f"{channel}: {reason}")


class StoreError(IncidentflowError):
    """The store could not read or write (a full disk, a lock held past the timeout, a lost
    connection). A failed append wrote nothing. ``operation`` is what the engine asked the
    store, ``incident_id`` the incident (None for store-wide reads); the store's own
    exception is ``__cause__``."""

    def __init__(self, operation: str, incident_id: str | None, error: BaseException) -> None:
        self.operation = operation
        self.incident_id = incident_id
        where = f" for {incident_id}" if incident_id is not None else ""
        super().__init__(f"the store failed to {operation}{where}: {type(error).__name__}: {error}")


class StoreClosed(StoreError):
    """A store was used after its ``close()``. ``store`` names it. Nothing was written."""

    def __init__(self, store: str) -> None:
        self.store = store
        self.operation = "use the store"
        self.incident_id = None
        IncidentflowError.__init__(
            self, f"{store} is closed: nothing can be read from it or written to it"
        )


class StoreSchemaError(StoreError):
    """The database holds no incidentflow store schema, or one of another version, so the
    store refuses to read or write it (it never creates or upgrades a schema by itself).
    ``found`` is the database's schema version (None: none), ``expected`` this release's;
    ``remedy`` says what to do (``incidentflow store init URL``, or upgrade incidentflow)."""

    def __init__(self, where: str, found: int | None, expected: int, remedy: str) -> None:
        self.operation = "open the store"
        self.incident_id = None
        self.where = where
        self.found = found
        self.expected = expected
        self.remedy = remedy
        has = "no incidentflow store schema" if found is None else f"store schema version {found}"
        IncidentflowError.__init__(
            self, f"{where} has {has} (this incidentflow uses version {expected}): {remedy}"
        )

"""Incidents the periodic calls cannot handle: reported, backed off, never in the way.

``tick()``, ``queue()``, ``next_deadline()`` and the dedupe of ``signal()`` look at
every open incident. One that fails there (its state or timer is missing from the
loaded process version, a timer cannot be computed, its log cannot be read or
written) must not stop the others, and must not be retried in a hot loop. The
engine records an :class:`IncidentProblem`, logs it (logger ``incidentflow.engine``),
skips the incident, and looks at it again after a wait that doubles with each
failure in a row (from :data:`FIRST_WAIT` up to :data:`LONGEST_WAIT`), or at once
when the incident's version changes (someone acted on it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidentflow.audit.events import Event

LOGGER = logging.getLogger("incidentflow.engine")

FIRST_WAIT = timedelta(minutes=1)
"""How long an incident is left alone after its first failure."""
LONGEST_WAIT = timedelta(minutes=15)
"""The longest wait between two attempts on a failing incident."""


@dataclass(frozen=True, slots=True)
class IncidentProblem:
    """An incident the periodic calls skip, and why. ``version`` is the incident's version
    when it failed (None: its log could not be read)."""

    incident_id: str
    error: str  # "ExceptionType: message"
    since: datetime  # the first failure in a row
    failures: int  # failures in a row
    retry_at: datetime  # when the periodic calls look at it again (sooner if it changes)
    version: int | None
    exception: BaseException = field(compare=False, repr=False)


class TickResult(list[Event]):
    """What :meth:`Engine.tick <incidentflow.Engine.tick>` returns: the events it wrote (a
    list, as before), and ``problems``, every incident the engine skips (see
    :meth:`Engine.problems <incidentflow.Engine.problems>`)."""

    problems: tuple[IncidentProblem, ...]

    def __init__(self, events: Iterable[Event] = (), problems: Iterable[IncidentProblem] = ()):
        super().__init__(events)
        self.problems = tuple(problems)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class Quarantine:
    """The engine's current :class:`IncidentProblem` per incident id."""

    def __init__(self) -> None:
        self._problems: dict[str, IncidentProblem] = {}

    def get(self, incident_id: str) -> IncidentProblem | None:
        """The incident's problem, if it has one."""
        return self._problems.get(incident_id)

    def problems(self) -> tuple[IncidentProblem, ...]:
        """Every current problem, oldest first."""
        return tuple(sorted(self._problems.values(), key=lambda p: (p.since, p.incident_id)))

    def unreadable(self, incident_id: str, now: datetime) -> bool:
        """True while an incident whose log could not be read is to be left alone."""
        problem = self._problems.get(incident_id)
        return problem is not None and problem.version is None and now < problem.retry_at

    def holds(self, incident_id: str, version: int, now: datetime) -> bool:
        """True while the incident is to be left alone: it failed at this ``version`` and its
        retry time has not come."""
        problem = self._problems.get(incident_id)
        return problem is not None and problem.version in (None, version) and now < problem.retry_at

    def failed(
        self, incident_id: str, version: int | None, error: BaseException, now: datetime
    ) -> IncidentProblem:
        """Record a failure (logged as a warning) and when to try again."""
        before = self._problems.get(incident_id)
        failures = 1 if before is None else before.failures + 1
        wait = min(FIRST_WAIT * 2 ** min(failures - 1, 16), LONGEST_WAIT)
        problem = IncidentProblem(
            incident_id,
            _describe(error),
            now if before is None else before.since,
            failures,
            now + wait,
            version,
            error,
        )
        self._problems[incident_id] = problem
        LOGGER.warning(
            "incident %s skipped until %s (failure %d in a row, since %s): %s",
            incident_id,
            problem.retry_at.isoformat(),
            failures,
            problem.since.isoformat(),
            problem.error,
            exc_info=error,
        )
        return problem

    def cleared(self, incident_id: str) -> None:
        """The incident was handled: forget its problem (logged if it had one)."""
        problem = self._problems.pop(incident_id, None)
        if problem is not None:
            LOGGER.info(
                "incident %s is handled again after %d failure(s)", incident_id, problem.failures
            )

    def forget(self, incident_id: str) -> None:
        """The engine no longer watches the incident (closed, or gone from the store)."""
        self._problems.pop(incident_id, None)

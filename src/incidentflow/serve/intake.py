"""Intake: what ``POST /api/intake/{source}`` does with an alert source's payload.

An intake function takes the engine, the parsed JSON payload and the actor (the name
of the intake token that posted it) and returns a JSON-able result. The service looks
``source`` up in its registry (:func:`default_intakes`, extended with
``create_app(..., intakes=...)``); an unknown source is 404 ``unknown_intake``. Engine
refusals raised by an intake function answer as every other refusal does
(:mod:`incidentflow.serve.refusals`).

Built in: ``signal``, whose payload is a signal's fields, passed to
:meth:`Engine.signal` as they are; and every source :func:`incidentflow.intake.sources`
names for the engine's processes (``alertmanager``, ``grafana`` and each mapping a spec
declares in ``intake.mappings``), applied by :func:`incidentflow.intake.receive`. A
payload an adapter cannot read is 400 ``bad_payload``, with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from incidentflow.engine.engine import Engine
from incidentflow.errors import InvalidArgument
from incidentflow.intake import receive, sources
from incidentflow.serve.views import IncidentOut

IntakeFunction = Callable[[Engine, Any, str], object]
"""``(engine, payload, actor) -> JSON-able result``."""


def signal_intake(engine: Engine, payload: Any, actor: str) -> dict[str, Any]:
    """The payload is a signal's fields: ``{"incident": <incident> | null}``."""
    if not isinstance(payload, Mapping):
        raise InvalidArgument(None, "signal", "fields", "the payload must be a JSON object")
    incident = engine.signal(payload, actor=actor)
    return {
        "incident": None if incident is None else IncidentOut.of(incident).model_dump(mode="json")
    }


def alert_intake(source: str) -> IntakeFunction:
    """The intake function of an alert source: what each alert did (``IntakeResult``)."""

    def apply(engine: Engine, payload: Any, actor: str) -> dict[str, Any]:
        return receive(engine, source, payload, actor=actor).as_dict()

    return apply


def default_intakes(engine: Engine) -> dict[str, IntakeFunction]:
    """The intake functions of a service on ``engine``: ``signal`` and its alert sources."""
    return {"signal": signal_intake} | {name: alert_intake(name) for name in sources(engine)}

"""Payloads of sources the library has no adapter for, read by a spec's ``intake.mappings``.

A mapping names dotted paths (:mod:`incidentflow.spec.payload_paths`): ``alerts`` (a
list in the payload; without it the payload is one alert), ``fields`` (signal field ->
path), ``key`` (the alert's identity), ``status`` and the ``resolved`` values of it.
A path the payload lacks leaves its field out (a trigger can test ``exists``); a key
or status must be a plain value when the mapping names one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidentflow.errors import IntakeError
from incidentflow.intake.alerts import SourceAlert, make_alert
from incidentflow.intake.payload import MAX_ALERTS
from incidentflow.spec.intake import PayloadMapping
from incidentflow.spec.payload_paths import MISSING, lookup, parse_path


def read_mapped(
    name: str, mapping: PayloadMapping, payload: Mapping[str, Any]
) -> tuple[list[SourceAlert], int]:
    """The alerts ``mapping`` reads from ``payload`` (the compiler checked its paths)."""
    if mapping.alerts is None:
        items: list[tuple[str, object]] = [("", payload)]
    else:
        found = lookup(payload, parse_path(mapping.alerts))
        if not isinstance(found, list):
            raise IntakeError(name, "expected a list of alerts", mapping.alerts)
        if len(found) > MAX_ALERTS:
            raise IntakeError(name, f"{len(found):,} alerts; the limit is {MAX_ALERTS:,}")
        items = [(f"{mapping.alerts}.{i}", item) for i, item in enumerate(found)]
    fields_paths = {field: parse_path(text) for field, text in mapping.fields.items()}
    alerts = []
    for where, item in items:
        fields = {}
        for field, segments in fields_paths.items():
            value = lookup(item, segments)
            if value is not MISSING:
                fields[field] = value
        key = None
        if mapping.key is not None:
            key = f"{name}:{_plain(name, item, mapping.key, where)}"
        resolved = False
        if mapping.status is not None:
            resolved = _plain(name, item, mapping.status, where) in mapping.resolved
        alerts.append(make_alert(name, where or "", key, resolved, fields))
    return alerts, 0


def _plain(name: str, item: object, path: str, where: str) -> str:
    """The text of the plain value at ``path`` (a number or a boolean as written)."""
    value = lookup(item, parse_path(path))
    at = f"{where}.{path}" if where else path
    if value is MISSING or value is None:
        raise IntakeError(name, "the mapping needs a value here, and the payload has none", at)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise IntakeError(name, f"expected a plain value, not {type(value).__name__}", at)

"""Prometheus Alertmanager's and Grafana alerting's webhook payloads.

Alertmanager's ``webhook_config`` posts version 4 of its payload: ``status``,
``receiver``, ``groupLabels``, ``commonLabels``, ``commonAnnotations``,
``externalURL``, ``groupKey``, ``truncatedAlerts`` and ``alerts``, each alert with
``status`` (``firing`` or ``resolved``), ``labels``, ``annotations``, ``startsAt``,
``endsAt``, ``generatorURL`` and ``fingerprint``. Grafana's webhook contact point
posts the same shape plus ``orgId``, ``title``, ``message`` and, per alert,
``values`` (``{"B": 44.2}``), ``silenceURL``, ``dashboardURL``, ``panelURL``.

Each alert becomes one signal: its **labels are the fields** (triggers test
``alertname``, ``service``, ``severity``...), Grafana's values become numeric fields
``value_<ref>`` (``value_B``), and one field named after the source holds the rest
(``annotations``, ``startsAt``, ``generatorURL``, ``fingerprint``, the group's
``groupKey`` and ``externalURL``) for the record and for messages. The alert's
identity is its fingerprint (computed from the labels when absent, as older
Alertmanagers send none).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from incidentflow.errors import IntakeError
from incidentflow.intake.alerts import SourceAlert, make_alert, text_map
from incidentflow.intake.payload import MAX_ALERTS

SUPPORTED_VERSION = "4"
"""The Alertmanager webhook payload version this reader knows."""

_ALERT_DETAILS = ("startsAt", "endsAt", "generatorURL", "fingerprint")
_GRAFANA_DETAILS = ("silenceURL", "dashboardURL", "panelURL", "valueString")
_GROUP_DETAILS = ("receiver", "groupKey", "externalURL")


def read_alertmanager(payload: Mapping[str, Any]) -> tuple[list[SourceAlert], int]:
    """The alerts of an Alertmanager webhook payload, and how many it says it left out."""
    version = payload.get("version")
    if version is not None and version != SUPPORTED_VERSION:
        raise IntakeError(
            "alertmanager",
            f"payload version {version!r} is not supported (this reader knows version "
            f"{SUPPORTED_VERSION})",
            "version",
        )
    return _read(payload, "alertmanager")


def read_grafana(payload: Mapping[str, Any]) -> tuple[list[SourceAlert], int]:
    """The alerts of a Grafana alerting webhook payload (none are ever left out)."""
    return _read(payload, "grafana")


def _read(payload: Mapping[str, Any], source: str) -> tuple[list[SourceAlert], int]:
    raw = payload.get("alerts")
    if not isinstance(raw, list):
        raise IntakeError(source, "expected a list of alerts", "alerts")
    if len(raw) > MAX_ALERTS:
        raise IntakeError(source, f"{len(raw):,} alerts; the limit is {MAX_ALERTS:,}", "alerts")
    truncated = payload.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise IntakeError(source, "expected a count", "truncatedAlerts")
    group_status = payload.get("status")
    group = {k: payload[k] for k in _GROUP_DETAILS if isinstance(payload.get(k), str)}
    alerts = []
    for i, alert in enumerate(raw):
        where = f"alerts.{i}"
        if not isinstance(alert, Mapping):
            raise IntakeError(source, "expected an alert object", where)
        status = alert.get("status", group_status)
        if status not in ("firing", "resolved"):
            raise IntakeError(
                source, f"status must be 'firing' or 'resolved', not {status!r}", where
            )
        labels = text_map(alert.get("labels"), source, f"{where}.labels")
        if not labels:
            raise IntakeError(source, "an alert needs labels", f"{where}.labels")
        details: dict[str, Any] = {
            k: alert[k] for k in _ALERT_DETAILS if isinstance(alert.get(k), str)
        } | group
        details["annotations"] = text_map(alert.get("annotations"), source, f"{where}.annotations")
        fields: dict[str, Any] = dict(labels)
        if source == "grafana":
            details |= {k: alert[k] for k in _GRAFANA_DETAILS if isinstance(alert.get(k), str)}
            fields |= _values(alert.get("values"), f"{where}.values")
        fields[source] = details
        fingerprint = alert.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint:
            fingerprint = _fingerprint(labels)
        alerts.append(
            make_alert(source, where, f"{source}:{fingerprint}", status == "resolved", fields)
        )
    return alerts, truncated


def _values(value: object, where: str) -> dict[str, float]:
    """Grafana's ``values`` (expression ref -> number) as fields ``value_<ref>``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise IntakeError("grafana", "expected an object of numbers", where)
    out = {}
    for ref, number in value.items():
        if isinstance(number, int | float) and not isinstance(number, bool):
            out[f"value_{ref}"] = number
        elif number is not None:  # Grafana sends null for a value with no data
            raise IntakeError("grafana", f"value {ref!r} is not a number", where)
    return out


def _fingerprint(labels: Mapping[str, str]) -> str:
    """A stable identity for a label set (what Alertmanager's fingerprint stands for)."""
    canonical = json.dumps(sorted(labels.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

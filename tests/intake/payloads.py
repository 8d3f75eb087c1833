"""Webhook payloads in the shapes the tools document, as test fixtures.

Sources (the shapes and field names; values here are ours):
- Alertmanager webhook, payload version 4: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
  and the sample v4 payload of the alertmanager-webhook-types crate
  (https://docs.rs/crate/alertmanager-webhook-types/latest/source/assets/sample-v4-payload.json),
  which carries ``truncatedAlerts``.
- Grafana alerting webhook contact point: "Configure the webhook notifier for Alerting",
  https://grafana.com/docs/grafana/latest/alerting/alerting-rules/manage-contact-points/integrations/webhook-notifier/
  (example JSON body with ``orgId``, ``values``, ``silenceURL``, ``dashboardURL``...).
"""

from __future__ import annotations

import copy
from typing import Any

_NO_END = "0001-01-01T00:00:00Z"


def am_alert(
    alertname: str, fingerprint: str, status: str = "firing", **labels: str
) -> dict[str, Any]:
    """One alert of an Alertmanager payload."""
    return {
        "status": status,
        "labels": {"alertname": alertname, "job": "api", **labels},
        "annotations": {
            "summary": f"{alertname} on {labels.get('service', '?')}",
            "description": "Availability below target for 5m",
        },
        "startsAt": "2024-05-01T09:00:00.000Z",
        "endsAt": _NO_END if status == "firing" else "2024-05-01T09:30:00.000Z",
        "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=up+%3D%3D+0",
        "fingerprint": fingerprint,
    }


def alertmanager(*alerts: dict[str, Any], truncated: int = 0) -> dict[str, Any]:
    """An Alertmanager webhook body (version 4) grouping ``alerts``."""
    firing = any(a["status"] == "firing" for a in alerts)
    common = alerts[0]["labels"] if alerts else {}
    return {
        "version": "4",
        "groupKey": '{}/{service="api"}:{alertname="ApiDown"}',
        "truncatedAlerts": truncated,
        "status": "firing" if firing else "resolved",
        "receiver": "incidentflow",
        "groupLabels": {"service": common.get("service", "")},
        "commonLabels": dict(common),
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.org:9093",
        "alerts": list(alerts),
    }


GRAFANA = {
    "receiver": "My Super Webhook",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
            "annotations": {
                "description": "The system has high memory usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone us-1",
            },
            "startsAt": "2021-10-12T09:51:03.157076+02:00",
            "endsAt": _NO_END,
            "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
        },
        {
            "status": "firing",
            "labels": {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"},
            "annotations": {"summary": "This alert was triggered for zone eu-1"},
            "startsAt": "2021-10-12T09:56:03.157076+02:00",
            "endsAt": _NO_END,
            "generatorURL": "https://play.grafana.org/alerting/d1rdpdv7k/edit",
            "fingerprint": "bc97ff14869b13e3",
            "values": {"B": 44.23943737541908, "C": 1},
        },
    ],
    "groupLabels": {},
    "commonLabels": {"team": "blue"},
    "commonAnnotations": {},
    "externalURL": "https://play.grafana.org/",
    "version": "1",
    "groupKey": '{}:{alertname="High memory usage"}',
    "truncatedAlerts": 0,
    "title": "[FIRING:2]  (blue)",
    "state": "alerting",
    "message": "**Firing**",
}


def grafana(status: str = "firing") -> dict[str, Any]:
    """Grafana's documented example, every alert in ``status``."""
    body = copy.deepcopy(GRAFANA)
    body["status"] = status
    for alert in body["alerts"]:
        alert["status"] = status
    return body


def uptime(*checks: tuple[str, str, str]) -> dict[str, Any]:
    """The home-grown checker the test spec maps: (id, service, state) per check."""
    return {
        "checks": [
            {
                "id": cid,
                "name": f"{service} health",
                "state": state,
                "ratio": 0.5,
                "tags": {"service": service},
            }
            for cid, service, state in checks
        ]
    }

"""The ``pagerduty`` handler: PagerDuty Events API v2 (trigger, acknowledge, resolve).

The incident's id is the ``dedup_key``, so every event about one incident lands on one
PagerDuty alert: triggering it again updates it, acknowledging and resolving close the
loop. Which event: the action's ``event`` parameter (``trigger``, ``acknowledge``,
``resolve``) if the spec passes one, else ``resolve`` for a closed incident and
``trigger`` otherwise. The routing key (an integration key) comes from the host's
configuration, chosen by the action's ``route`` parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidentflow.delivery.message import summary
from incidentflow.delivery.policy import RetryPolicy
from incidentflow.delivery.posting import encode, post_json
from incidentflow.delivery.targets import destinations, pick
from incidentflow.engine.action_runner import ActionRequest
from incidentflow.errors import DeliveryError

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
EVENTS = ("trigger", "acknowledge", "resolve")
PD_SEVERITIES = ("critical", "error", "warning", "info")


class PagerDuty:
    """Send an event per action; ``severities`` maps levels to PagerDuty's four (by
    default the first level is ``critical``, the second ``error``, the third
    ``warning``, the rest ``info``, in the order ``levels`` gives)."""

    channel = "pagerduty"

    def __init__(
        self,
        routing_key: str | Mapping[str, str],
        *,
        levels: tuple[str, ...] = (),
        severities: Mapping[str, str] | None = None,
        url: str = EVENTS_URL,
        link: str | None = None,
        source: str = "incidentflow",
        policy: RetryPolicy | None = None,
    ) -> None:
        self._keys = destinations(routing_key, self.channel, "routing key")
        ranked = {lv: PD_SEVERITIES[min(i, 3)] for i, lv in enumerate(levels)}
        self._severities = ranked | dict(severities or {})
        bad = sorted(v for v in self._severities.values() if v not in PD_SEVERITIES)
        if bad:
            raise ValueError(f"PagerDuty severities are {', '.join(PD_SEVERITIES)}, not {bad}")
        self._url = url
        self._link = link
        self._source = source
        self._policy = policy or RetryPolicy()

    def event(self, request: ActionRequest) -> dict[str, Any]:
        """The Events API v2 body for ``request``."""
        incident = request.incident
        action = request.params.get("event") or ("resolve" if incident.closed else "trigger")
        if action not in EVENTS:
            raise DeliveryError(
                self.channel, f"event must be one of {', '.join(EVENTS)}, not {action!r}"
            )
        body: dict[str, Any] = {
            "routing_key": pick(self._keys, request.params, "route", self.channel, "routing key"),
            "event_action": action,
            "dedup_key": incident.id,
        }
        if action == "trigger":
            facts = summary(request, self._link)
            body["payload"] = {
                "summary": facts["headline"][:1024],
                "source": self._source,
                "severity": self._severities.get(incident.severity, "critical"),
                "component": incident.process,
                "custom_details": {
                    "state": incident.state,
                    "roles": facts["roles"],
                    "message": facts["message"],
                    "idempotency_key": request.idempotency_key,
                },
            }
            if facts["link"]:
                body["links"] = [{"href": facts["link"], "text": "Open the incident"}]
        return body

    def __call__(self, request: ActionRequest) -> None:
        post_json(self.channel, self._url, encode(self.event(request)), self._policy)

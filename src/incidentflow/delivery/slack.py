"""The ``slack`` handler: a readable message to an incoming webhook.

The message says what matters at a glance: severity, title and state in the first line,
who holds which role, the spec's ``message`` if the action passes one, and a link to
the incident. Slack's incoming webhooks have no idempotency key: a try whose answer was
lost may post twice (the engine's key is in the message's metadata line for readers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidentflow.delivery.message import summary
from incidentflow.delivery.policy import RetryPolicy
from incidentflow.delivery.posting import encode, post_json
from incidentflow.delivery.targets import destinations, pick
from incidentflow.engine.action_runner import ActionRequest


def slack_message(facts: Mapping[str, Any], request: ActionRequest) -> dict[str, Any]:
    """Slack's JSON: a plain ``text`` (notifications, old clients) and Block Kit blocks."""
    lines = [f"*{facts['headline']}*"]
    if facts["message"]:
        lines.append(facts["message"])
    lines.append(f"Roles: {facts['roles']}")
    if facts["link"]:
        lines.append(f"<{facts['link']}|Open incident {request.incident.id}>")
    text = "\n".join(lines)
    return {
        "text": facts["headline"],
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{request.action} · {request.origin} · {request.idempotency_key}",
                    }
                ],
            },
        ],
    }


class Slack:
    """Post to ``url`` (or, by the action's ``channel`` parameter, one of several)."""

    channel = "slack"

    def __init__(
        self,
        url: str | Mapping[str, str],
        *,
        link: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._urls = destinations(url, self.channel, "incoming-webhook URL")
        self._link = link
        self._policy = policy or RetryPolicy()

    def __call__(self, request: ActionRequest) -> None:
        url = pick(self._urls, request.params, "channel", self.channel, "incoming-webhook URL")
        body = slack_message(summary(request, self._link), request)
        post_json(self.channel, url, encode(body), self._policy)

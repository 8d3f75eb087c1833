"""Built-in action handlers: deliver what a process asks for without writing a host.

Register one by name for an action the spec declares::

    engine.register_action("page", PagerDuty(routing_key=os.environ["PD_KEY"]))
    engine.register_action("notify", Slack(os.environ["SLACK_URL"], link="https://ops/i/{id}"))

Each has timeouts and capped retries within one attempt (:class:`RetryPolicy`); the
engine retries failed attempts on its own schedule with the same idempotency key. URLs,
keys and passwords come from the host (arguments, or :func:`handlers_from_env`), never
from a spec: a spec names a ``channel``, ``route`` or ``to`` list only. HTTP handlers
need the ``delivery`` extra (httpx). See docs/delivery.md.
"""

from __future__ import annotations

from incidentflow.delivery.config import handlers_from_env
from incidentflow.delivery.mail import Email
from incidentflow.delivery.pagerduty import PagerDuty
from incidentflow.delivery.policy import RetryPolicy
from incidentflow.delivery.slack import Slack
from incidentflow.delivery.webhook import Webhook, sign, verify_signature
from incidentflow.errors import DeliveryError

__all__ = [
    "DeliveryError",
    "Email",
    "PagerDuty",
    "RetryPolicy",
    "Slack",
    "Webhook",
    "handlers_from_env",
    "sign",
    "verify_signature",
]

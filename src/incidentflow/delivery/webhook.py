"""The generic ``webhook`` handler: the action as JSON, POSTed and signed.

Headers sent with every request:

- ``Idempotency-Key``: the engine's key of this action (the same on every retry);
- ``X-Incidentflow-Timestamp``: seconds since the epoch when the request was signed;
- ``X-Incidentflow-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed with the shared
  secret, of ``TIMESTAMP.BODY`` (the timestamp, a dot, the raw body bytes). A receiver
  recomputes it over the bytes it received and compares in constant time
  (:func:`verify_signature` does both, and refuses old timestamps against replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

from incidentflow.delivery.message import request_body
from incidentflow.delivery.policy import RetryPolicy
from incidentflow.delivery.posting import encode, post_json
from incidentflow.delivery.targets import destinations, pick
from incidentflow.engine.action_runner import ActionRequest

SIGNATURE_HEADER = "X-Incidentflow-Signature"
TIMESTAMP_HEADER = "X-Incidentflow-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance: float = 300.0,
    now: Callable[[], float] = time.time,
) -> bool:
    """True if ``signature`` signs ``body`` at ``timestamp`` with ``secret``, and the
    timestamp is within ``tolerance`` seconds of now (for receivers of this webhook)."""
    try:
        age = abs(now() - float(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class Webhook:
    """POST every action it handles to ``url`` (or, by the action's ``channel``
    parameter, to one of several), signed with ``secret``."""

    channel = "webhook"

    def __init__(
        self,
        url: str | Mapping[str, str],
        secret: str,
        *,
        link: str | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret to sign its requests")
        self._urls = destinations(url, self.channel, "URL")
        self._secret = secret
        self._link = link
        self._policy = policy or RetryPolicy()
        self._clock = clock

    def __call__(self, request: ActionRequest) -> None:
        url = pick(self._urls, request.params, "channel", self.channel, "URL")
        body = encode(request_body(request, self._link))
        stamp = str(int(self._clock()))
        headers = {
            "Idempotency-Key": request.idempotency_key,
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(self._secret, stamp, body),
        }
        post_json(self.channel, url, body, self._policy, headers)

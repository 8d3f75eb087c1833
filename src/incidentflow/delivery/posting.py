"""POST JSON with timeouts and capped retries (httpx, the ``delivery`` extra)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from incidentflow.delivery.policy import RetryPolicy
from incidentflow.errors import DeliveryError

if TYPE_CHECKING:
    import httpx

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
"""Statuses worth another try: the server is busy or broken, the request is fine."""
USER_AGENT = "incidentflow-delivery"


def encode(body: Mapping[str, Any]) -> bytes:
    """The JSON bytes sent (and signed): compact, UTF-8, keys in order."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def post_json(
    channel: str,
    url: str,
    content: bytes,
    policy: RetryPolicy,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST ``content`` as JSON to ``url``; the 2xx response, or :class:`DeliveryError`
    after the tries ``policy`` allows (at once for a permanent refusal)."""
    try:
        import httpx
    except ImportError:  # pragma: no cover - the extra is installed in development
        raise DeliveryError(
            "delivery", "needs httpx: pip install 'incidentflow[delivery]'"
        ) from None
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    last = ""
    status: int | None = None
    with httpx.Client(timeout=policy.timeout, follow_redirects=False) as client:
        for tried in range(1, policy.tries + 1):
            asked = None
            try:
                response = client.post(url, content=content, headers=sent)
            except httpx.TimeoutException:
                last, status = f"no answer within {policy.timeout:g}s", None
            except httpx.HTTPError as error:  # refused, reset, DNS, TLS...
                last, status = f"{type(error).__name__}: {error}", None
            else:
                if response.is_success:
                    return response
                status = response.status_code
                last = f"HTTP {status}: {response.text[:200]}"
                if status not in RETRYABLE_STATUS:
                    raise DeliveryError(channel, f"refused: {last}", status)
                asked = _retry_after(response.headers.get("Retry-After"))
            if tried < policy.tries:
                policy.wait(tried, asked)
    raise DeliveryError(channel, f"gave up after {policy.tries} tries: {last}", status)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (only the number form; dates are ignored)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None

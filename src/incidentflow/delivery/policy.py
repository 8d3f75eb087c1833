"""How hard a built-in handler tries within one attempt of the engine's.

Two layers of retrying, each with its own job:

- **inside one attempt** (this module): a few quick tries, seconds apart, ride out a
  blip (a 502 from a proxy, a dropped connection, a 429 with ``Retry-After``). Each try
  has a timeout, so a hung server costs at most ``timeout`` per try.
- **across attempts** (:mod:`incidentflow.engine.retries`): when a handler gives up, the
  engine records the failure and starts the action again later (a minute, then doubling,
  six attempts), with the same idempotency key, so a receiver that saw the first
  try can drop the second.

A permanent refusal (a 4xx other than 408 and 429, a 5xx SMTP reply) is not tried again
inside the attempt: the request itself is wrong, and only the host's configuration
(which the engine's later attempts will pick up) can fix it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_WAIT = 30.0
"""Longest wait between tries, whatever a server's ``Retry-After`` asks, in seconds."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``tries`` per engine attempt (at least 1), each limited to ``timeout`` seconds,
    waiting ``backoff`` seconds after the first failure and doubling, at most ``max_wait``."""

    tries: int = 3
    timeout: float = 10.0
    backoff: float = 0.5
    max_wait: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.tries < 1 or self.tries > 10:
            raise ValueError(f"tries must be from 1 to 10, not {self.tries}")
        if not 0 < self.timeout <= 300:
            raise ValueError(f"timeout must be above 0 and at most 300 seconds, not {self.timeout}")
        if self.backoff < 0 or self.max_wait < 0:
            raise ValueError("backoff and max_wait must not be negative")

    def wait(self, failed_tries: int, asked: float | None = None) -> None:
        """Sleep before the next try: the backoff, or what the server asked (capped)."""
        delay = self.backoff * (1 << (failed_tries - 1))
        if asked is not None:
            delay = max(delay, asked)
        self.sleep(min(delay, self.max_wait, MAX_WAIT))

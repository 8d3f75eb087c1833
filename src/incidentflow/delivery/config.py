"""Built-in handlers from environment variables (``incidentflow worker --actions builtin``).

``INCIDENTFLOW_ACTIONS`` says which spec action each built-in handles, as
``ACTION=KIND`` pairs separated by commas (``page=pagerduty,notify=slack``); KIND is
``webhook``, ``slack``, ``pagerduty`` or ``email``. Each kind reads its own variables
(a ``_NAME`` suffix configures the destination a spec names with ``channel``, ``route``
or ``to``; the bare variable is the default one):

=================  ==================================================================
webhook            ``INCIDENTFLOW_WEBHOOK_URL[_NAME]``, ``INCIDENTFLOW_WEBHOOK_SECRET``
slack              ``INCIDENTFLOW_SLACK_URL[_NAME]``
pagerduty          ``INCIDENTFLOW_PAGERDUTY_ROUTING_KEY[_NAME]``,
                   ``INCIDENTFLOW_PAGERDUTY_URL`` (default: the Events API v2 address)
email              ``INCIDENTFLOW_SMTP_HOST``, ``INCIDENTFLOW_SMTP_PORT`` (25),
                   ``INCIDENTFLOW_SMTP_STARTTLS`` (``true``/``false``),
                   ``INCIDENTFLOW_SMTP_USERNAME``, ``INCIDENTFLOW_SMTP_PASSWORD``,
                   ``INCIDENTFLOW_EMAIL_FROM``, ``INCIDENTFLOW_EMAIL_TO[_NAME]``
                   (addresses separated by commas)
every kind         ``INCIDENTFLOW_LINK`` (the incident's address, ``{id}`` replaced),
                   ``INCIDENTFLOW_DELIVERY_TIMEOUT`` (seconds per try, 10),
                   ``INCIDENTFLOW_DELIVERY_TRIES`` (tries per attempt, 3)
=================  ==================================================================

``_NAME`` is matched case-insensitively (``INCIDENTFLOW_SLACK_URL_OPS`` serves
``channel: ops``). Secrets stay in the environment: nothing here is ever logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from incidentflow.delivery.mail import Email
from incidentflow.delivery.pagerduty import EVENTS_URL, PagerDuty
from incidentflow.delivery.policy import RetryPolicy
from incidentflow.delivery.slack import Slack
from incidentflow.delivery.targets import DEFAULT
from incidentflow.delivery.webhook import Webhook
from incidentflow.engine.action_runner import ActionHandler
from incidentflow.errors import DeliveryError

_N = TypeVar("_N", int, float)

KINDS = ("webhook", "slack", "pagerduty", "email")
PREFIX = "INCIDENTFLOW_"


def handlers_from_env(
    environ: Mapping[str, str], levels: Iterable[str] = ()
) -> dict[str, ActionHandler]:
    """The handlers ``INCIDENTFLOW_ACTIONS`` asks for, configured from ``environ``;
    ``levels``: the severity levels, most severe first (PagerDuty's severity).
    :class:`DeliveryError` names the first variable missing or malformed."""
    wanted = environ.get(PREFIX + "ACTIONS", "").strip()
    if not wanted:
        raise DeliveryError(
            "config", f"set {PREFIX}ACTIONS to ACTION=KIND pairs, KIND one of {', '.join(KINDS)}"
        )
    policy = RetryPolicy(
        tries=_number(environ, "DELIVERY_TRIES", 3, int),
        timeout=_number(environ, "DELIVERY_TIMEOUT", 10.0, float),
    )
    link = environ.get(PREFIX + "LINK") or None
    made: dict[str, ActionHandler] = {}
    builders: dict[str, Callable[[], ActionHandler]] = {
        "webhook": lambda: Webhook(
            _named(environ, "WEBHOOK_URL"),
            _required(environ, "WEBHOOK_SECRET"),
            link=link,
            policy=policy,
        ),
        "slack": lambda: Slack(_named(environ, "SLACK_URL"), link=link, policy=policy),
        "pagerduty": lambda: PagerDuty(
            _named(environ, "PAGERDUTY_ROUTING_KEY"),
            levels=tuple(levels),
            url=environ.get(PREFIX + "PAGERDUTY_URL") or EVENTS_URL,
            link=link,
            policy=policy,
        ),
        "email": lambda: Email(
            _required(environ, "SMTP_HOST"),
            _required(environ, "EMAIL_FROM"),
            {name: _addresses(v) for name, v in _named(environ, "EMAIL_TO").items()},
            port=_number(environ, "SMTP_PORT", 25, int),
            starttls=environ.get(PREFIX + "SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            username=environ.get(PREFIX + "SMTP_USERNAME") or None,
            password=environ.get(PREFIX + "SMTP_PASSWORD") or None,
            link=link,
            policy=policy,
        ),
    }
    built: dict[str, ActionHandler] = {}
    for pair in wanted.split(","):
        action, _, kind = (part.strip() for part in pair.partition("="))
        if not action or kind not in KINDS:
            raise DeliveryError(
                "config",
                f"{PREFIX}ACTIONS: {pair.strip()!r} is not ACTION=KIND with KIND one of {', '.join(KINDS)}",
            )
        if kind not in built:
            try:
                built[kind] = builders[kind]()
            except ValueError as problem:
                raise DeliveryError("config", f"{kind}: {problem}") from None
        made[action] = built[kind]
    return made


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(PREFIX + name, "")
    if not value:
        raise DeliveryError("config", f"set {PREFIX}{name}")
    return value


def _named(environ: Mapping[str, str], name: str) -> dict[str, str]:
    """The default value of ``NAME`` and every ``NAME_SUFFIX`` (suffix lower-cased)."""
    base = PREFIX + name
    found = {DEFAULT: environ[base]} if environ.get(base) else {}
    for key, value in environ.items():
        if key.startswith(base + "_") and value:
            found[key[len(base) + 1 :].lower()] = value
    if not found:
        raise DeliveryError("config", f"set {base} (or {base}_NAME for a named destination)")
    return found


def _addresses(value: str) -> list[str]:
    return [a.strip() for a in value.split(",") if a.strip()]


def _number(environ: Mapping[str, str], name: str, default: _N, kind: Callable[[str], _N]) -> _N:
    raw = environ.get(PREFIX + name)
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise DeliveryError("config", f"{PREFIX}{name} must be a number, not {raw!r}") from None

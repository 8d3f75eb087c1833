"""The built-in handlers against local servers: what they send, and how they fail, hang
and recover (tries inside one attempt, then the engine's own retries)."""

from __future__ import annotations

import email
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import pytest

import incidentflow
from incidentflow import ActionRequest, Engine
from incidentflow.delivery import (
    DeliveryError,
    Email,
    PagerDuty,
    RetryPolicy,
    Slack,
    Webhook,
    handlers_from_env,
    verify_signature,
)
from incidentflow.delivery.message import request_body
from incidentflow.delivery.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from incidentflow.engine import retries
from tests.delivery.servers import HANG, free_port, http_server, smtp_server
from tests.engine.common import T0

PROCESS = incidentflow.load(Path(__file__).parents[1] / "intake" / "alerting.yaml")
QUICK = RetryPolicy(tries=3, timeout=0.3, backoff=0.0)
LINK = "https://ops.example.org/incidents/{id}"


def make_request(
    params: Mapping[str, Any] | None = None, *, close: bool = False, key: str = "k-1"
) -> ActionRequest:
    """A request about an SEV1 incident carol commands and alice responds to."""
    engine = Engine(PROCESS, clock=lambda: T0)
    incident = engine.open("api-alerts", severity="SEV1", title="API down")
    engine.assign(incident.id, "lead", "carol", actor="system")
    engine.assign(incident.id, "responder", "alice", actor="system")
    snapshot = engine.get(incident.id)
    if close:  # as the engine's auto_resolve would leave it
        snapshot = replace(snapshot, closed=True, state="resolved")
    return ActionRequest(
        snapshot,
        "page",
        dict(params or {}),
        {"responder": frozenset({"alice"})},
        "enter:detected",
        "1.0",
        key,
        1,
    )


# --- the generic webhook -------------------------------------------------------------


def test_webhook_posts_the_action_signed_with_the_idempotency_key() -> None:
    with http_server() as (url, script):
        Webhook(url + "/hook", "s3cret", link=LINK, policy=QUICK)(make_request())
    (got,) = script.received
    assert got.path == "/hook"
    assert got.headers["Idempotency-Key"] == "k-1"
    assert got.headers["Content-Type"] == "application/json"
    stamp, signature = got.headers[TIMESTAMP_HEADER], got.headers[SIGNATURE_HEADER]
    assert verify_signature("s3cret", got.body, stamp, signature)
    assert not verify_signature("other", got.body, stamp, signature)
    assert not verify_signature("s3cret", got.body + b" ", stamp, signature)
    assert not verify_signature(
        "s3cret", got.body, stamp, signature, now=lambda: float(stamp) + 301
    )
    body = json.loads(got.body)
    assert body["incident"]["severity"] == "SEV1"
    assert body["incident"]["link"].endswith(body["incident"]["id"])
    assert body["holders"] == {"responder": ["alice"]}


def test_a_server_that_fails_then_hangs_then_recovers_is_reached_in_one_attempt() -> None:
    with http_server() as (url, script):
        script.answers += [500, HANG, 200]
        Webhook(url, "s", policy=QUICK)(make_request())
    assert len(script.received) == 3
    assert {r.headers["Idempotency-Key"] for r in script.received} == {"k-1"}
    assert len({r.body for r in script.received}) == 1


def test_tries_are_capped_and_the_error_says_why() -> None:
    with http_server() as (url, script):
        script.answers += [503, HANG, 503, 200]
        with pytest.raises(DeliveryError, match="gave up after 3 tries: HTTP 503") as caught:
            Webhook(url, "s", policy=QUICK)(make_request())
    assert caught.value.status == 503
    assert len(script.received) == 3  # not a fourth


def test_a_hung_server_costs_one_timeout_per_try() -> None:
    with http_server() as (url, script):
        script.answers += [HANG, HANG]
        policy = RetryPolicy(tries=2, timeout=0.2, backoff=0.0)
        with pytest.raises(DeliveryError, match=r"no answer within 0.2s"):
            Webhook(url, "s", policy=policy)(make_request())
    assert len(script.received) == 2


def test_a_permanent_refusal_is_not_tried_again() -> None:
    with http_server() as (url, script):
        script.answers += [400, 200]
        with pytest.raises(DeliveryError, match="refused: HTTP 400") as caught:
            Webhook(url, "s", policy=QUICK)(make_request())
    assert caught.value.status == 400
    assert len(script.received) == 1


def test_429_waits_what_the_server_asks_within_the_cap() -> None:
    waits: list[float] = []
    policy = RetryPolicy(tries=2, timeout=1.0, backoff=0.0, max_wait=2.0, sleep=waits.append)
    with http_server() as (url, script):
        script.answers += [429]
        Webhook(url, "s", policy=policy)(make_request())
    assert waits == [0.0]  # the scripted Retry-After: 0
    assert len(script.received) == 2


def test_nothing_listening_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="gave up after 2 tries: Connect"):
        Webhook(
            f"http://127.0.0.1:{free_port()}",
            "s",
            policy=RetryPolicy(tries=2, timeout=0.5, backoff=0),
        )(make_request())


def test_the_engine_retries_a_failed_attempt_later_with_the_same_key() -> None:
    now = [T0]
    with http_server() as (url, script):
        script.answers += [502, 502]  # the first attempt's two tries
        hook = Webhook(url, "s", policy=RetryPolicy(tries=2, timeout=0.5, backoff=0.0))
        engine = Engine(PROCESS, clock=lambda: now[0], handlers={"page": hook})
        incident = engine.open("api-alerts", severity="SEV2", title="checkout slow")
        (action,) = engine.get(incident.id).actions
        assert action.status == "failed"
        assert "HTTP 502" in (action.error or "")
        assert action.retry_at == T0 + retries.FIRST_RETRY
        now[0] = T0 + retries.FIRST_RETRY + timedelta(seconds=1)
        engine.tick()
    (action,) = engine.get(incident.id).actions
    assert action.status == "succeeded"
    assert action.attempts == 2
    assert [r.headers["Idempotency-Key"] for r in script.received] == [action.idempotency_key] * 3


# --- Slack -----------------------------------------------------------------------------


def test_slack_message_is_readable() -> None:
    with http_server() as (url, script):
        Slack({"default": url + "/d", "ops": url + "/ops"}, link=LINK, policy=QUICK)(
            make_request({"channel": "ops", "message": "Paging the responder"})
        )
    (got,) = script.received
    assert got.path == "/ops"
    body = json.loads(got.body)
    assert body["text"] == "[SEV1] API down (detected)"
    section = body["blocks"][0]["text"]["text"]
    assert "*[SEV1] API down (detected)*" in section
    assert "Paging the responder" in section
    assert "Roles: lead: carol; responder: alice" in section
    assert "|Open incident " in section
    assert "https://ops.example.org/incidents/" in section


def test_slack_unknown_channel_names_the_known_ones() -> None:
    with pytest.raises(DeliveryError, match=r"channel 'war-room' \(known: default, ops\)"):
        Slack({"default": "http://127.0.0.1:9/", "ops": "http://127.0.0.1:9/"})(
            make_request({"channel": "war-room"})
        )


# --- PagerDuty ---------------------------------------------------------------------------


def test_pagerduty_trigger_acknowledge_resolve_share_the_incident_as_dedup_key() -> None:
    levels = ("SEV1", "SEV2", "SEV3")
    with http_server() as (url, script):
        pd = PagerDuty(
            {"default": "RK-main", "db": "RK-db"},
            levels=levels,
            url=url + "/v2/enqueue",
            link=LINK,
            policy=QUICK,
        )
        pd(make_request())
        pd(make_request({"event": "acknowledge", "route": "db"}))
        pd(make_request(close=True))
    trigger, ack, resolve = (json.loads(r.body) for r in script.received)
    assert trigger["event_action"] == "trigger"
    assert trigger["routing_key"] == "RK-main"
    assert trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["summary"] == "[SEV1] API down (detected)"
    assert trigger["links"][0]["href"].startswith("https://ops.example.org/incidents/")
    assert (ack["event_action"], ack["routing_key"]) == ("acknowledge", "RK-db")
    assert resolve["event_action"] == "resolve"
    assert "payload" not in ack
    assert "payload" not in resolve


def test_pagerduty_dedup_key_is_the_incident_id() -> None:
    request = make_request()
    assert PagerDuty("RK").event(request)["dedup_key"] == request.incident.id


def test_pagerduty_refuses_an_unknown_event() -> None:
    with pytest.raises(DeliveryError, match="event must be one of"):
        PagerDuty("RK").event(make_request({"event": "snooze"}))


# --- e-mail ------------------------------------------------------------------------------


def test_email_reaches_the_list_and_the_role_holders() -> None:
    with smtp_server() as (port, box):
        mailer = Email(
            "127.0.0.1",
            "incidents@example.org",
            {"default": ["oncall@example.org"]},
            port=port,
            people={"alice": "alice@example.org"},
            link=LINK,
            policy=QUICK,
        )
        mailer(make_request({"message": "Please acknowledge"}))
    ((sender, recipients, raw),) = box.messages
    assert sender == "incidents@example.org"
    assert recipients == ["oncall@example.org", "alice@example.org"]
    message = email.message_from_bytes(raw, policy=email_policy)
    assert message["Subject"] == "[SEV1] API down (detected)"
    assert message["Message-ID"] == "<k-1@incidentflow>"
    text = message.get_content()
    assert "Please acknowledge" in text
    assert "Roles:    lead: carol; responder: alice" in text
    assert "https://ops.example.org/incidents/" in text


def test_email_retries_a_temporary_refusal_and_stops_at_a_permanent_one() -> None:
    with smtp_server() as (port, box):
        box.replies += ["451 Try again later"]
        mailer = Email(
            "127.0.0.1", "a@example.org", {"default": ["b@example.org"]}, port=port, policy=QUICK
        )
        mailer(make_request())
        assert len(box.messages) == 1
        box.replies += ["554 No thanks", "250 unused"]
        with pytest.raises(DeliveryError, match="refused: SMTP 554"):
            mailer(make_request())
        assert len(box.messages) == 1


def test_email_without_a_server_gives_up() -> None:
    mailer = Email(
        "127.0.0.1",
        "a@example.org",
        {"default": ["b@example.org"]},
        port=free_port(),
        policy=RetryPolicy(tries=2, timeout=0.5, backoff=0),
    )
    with pytest.raises(DeliveryError, match="gave up after 2 tries"):
        mailer(make_request())


def test_email_unknown_list() -> None:
    mailer = Email("127.0.0.1", "a@example.org", {"default": ["b@example.org"]})
    with pytest.raises(DeliveryError, match="no recipient list 'board'"):
        mailer(make_request({"to": "board"}))


# --- configuration from the environment --------------------------------------------------


def test_handlers_from_env_builds_what_incidentflow_actions_asks_for() -> None:
    with http_server() as (url, script):
        env = {
            "INCIDENTFLOW_ACTIONS": "page=slack, notify=webhook",
            "INCIDENTFLOW_SLACK_URL": url + "/slack",
            "INCIDENTFLOW_SLACK_URL_OPS": url + "/ops",
            "INCIDENTFLOW_WEBHOOK_URL": url + "/hook",
            "INCIDENTFLOW_WEBHOOK_SECRET": "s",
            "INCIDENTFLOW_DELIVERY_TIMEOUT": "2",
        }
        handlers = handlers_from_env(env)
        assert sorted(handlers) == ["notify", "page"]
        handlers["page"](make_request({"channel": "ops"}))
        handlers["notify"](make_request())
    assert [r.path for r in script.received] == ["/ops", "/hook"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "set INCIDENTFLOW_ACTIONS"),
        ({"INCIDENTFLOW_ACTIONS": "page=sms"}, "'page=sms' is not ACTION=KIND"),
        ({"INCIDENTFLOW_ACTIONS": "page=slack"}, "set INCIDENTFLOW_SLACK_URL"),
        (
            {"INCIDENTFLOW_ACTIONS": "page=webhook", "INCIDENTFLOW_WEBHOOK_URL": "http://x"},
            "set INCIDENTFLOW_WEBHOOK_SECRET",
        ),
        (
            {
                "INCIDENTFLOW_ACTIONS": "page=email",
                "INCIDENTFLOW_SMTP_HOST": "h",
                "INCIDENTFLOW_EMAIL_FROM": "f",
                "INCIDENTFLOW_EMAIL_TO": "t",
                "INCIDENTFLOW_SMTP_PORT": "x",
            },
            "SMTP_PORT must be a number",
        ),
        (
            {
                "INCIDENTFLOW_ACTIONS": "page=pagerduty",
                "INCIDENTFLOW_PAGERDUTY_ROUTING_KEY": "k",
                "INCIDENTFLOW_DELIVERY_TRIES": "0",
            },
            "tries must be from 1 to 10",
        ),
    ],
)
def test_handlers_from_env_names_what_is_missing(env: dict[str, str], message: str) -> None:
    with pytest.raises((DeliveryError, ValueError), match=message):
        handlers_from_env(env)


def test_retry_policy_limits() -> None:
    with pytest.raises(ValueError, match="tries"):
        RetryPolicy(tries=0)
    with pytest.raises(ValueError, match="timeout"):
        RetryPolicy(timeout=0)
    waits: list[float] = []
    policy = RetryPolicy(backoff=1.0, max_wait=3.0, sleep=waits.append)
    for failed in (1, 2, 3, 4):
        policy.wait(failed)
    policy.wait(1, asked=100.0)
    assert waits == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_opened_at_is_sent_as_text() -> None:
    # the webhook body is JSON: datetimes as ISO 8601
    request = make_request()
    assert datetime.fromisoformat(request_body(request, None)["incident"]["opened_at"]) == T0

"""A pretend chat bot that embeds incidentflow: the host-application example of docs/embedding.md.

Run it from the repository root (the database goes to a temporary folder unless you name a
new file; in an existing one the alert joins the incident a previous run left open):

    .venv/bin/python examples/chat_host.py [DATABASE.sqlite]

It opens a SEV1 incident from a monitoring signal, assigns roles as the bot's service account,
lets people acknowledge, check items and fire transitions (replying politely to refusals),
advances a simulated clock and calls ``tick()``, and finally verifies the audit log.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import incidentflow
from incidentflow import (
    ActionRequest,
    ConcurrencyError,
    Engine,
    InvalidOperation,
    NotAuthorized,
    OperationRefused,
    SQLiteStore,
    TransitionNotAllowed,
)

SPEC = Path(__file__).resolve().parent.parent / "process_specs" / "major-incident.yaml"
BOT = "svc-chatbot"  # the bot's service account: it opens incidents, so it may assign any role
# Who is on call for each role (a real bot would ask its paging service).
ROTA = {"responder": "rita", "secondary": "sid", "commander": "carl", "deputy": "dana"}
ROTA |= {"scribe": "sam", "comms": "cora"}


class SimClock:
    """A clock the demo moves by hand; Engine calls it whenever it needs the time."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


def say(clock: SimClock, who: str, text: str) -> None:
    print(f"[{clock.now:%H:%M}] {who}> {text}")


class Actions:
    """The handler of every declared action: print what a real bot would do."""

    def __init__(self, process: incidentflow.Process, clock: SimClock) -> None:
        self.process, self.clock = process, clock
        self.status_page_up = False  # the first status post fails, to show retry_actions

    def __call__(self, request: ActionRequest) -> None:
        params = request.params
        if request.action in ("page", "page_if_severe"):
            role = str(params["role"])
            threshold = params.get("at_or_above")
            rank = self.process.rank
            if threshold and rank(request.incident.severity) > rank(str(threshold)):
                return  # milder than the threshold: nobody to page
            # Nobody holds the role yet when an incident opens: fall back to the rota.
            people = sorted(request.holders.get(role) or {ROTA[role]})
            say(self.clock, "bot", f"(page {role}: {', '.join(people)})")
        elif request.action == "post_status" and not self.status_page_up:
            self.status_page_up = True
            raise ConnectionError("status page unreachable")
        else:
            detail = ", ".join(f"{k}={v}" for k, v in params.items())
            say(self.clock, "bot", f"({request.action}: {detail})")


class ChatBot:
    def __init__(self, engine: Engine, clock: SimClock) -> None:
        self.engine, self.clock = engine, clock

    def handle(self, incident_id: str, user: str, text: str) -> None:
        """One message: !ack, !check ITEM, !fire NAME, !note TEXT, !assign ROLE PERSON, !why."""
        say(self.clock, user, text)
        command, *args = text.split()
        engine = self.engine
        try:
            if command == "!ack":
                engine.fire(incident_id, "acknowledge", actor=user)
            elif command == "!check":
                engine.check(incident_id, args[0], actor=user)
            elif command == "!fire":
                engine.fire(incident_id, args[0], actor=user)
            elif command == "!note":
                engine.note(incident_id, text.removeprefix("!note "), actor=user)
            elif command == "!assign":
                engine.assign(incident_id, args[0], args[1], actor=user)
            elif command == "!why":
                for option in engine.allowed(incident_id, user):
                    verdict = "yes" if option.allowed else f"no ({option.reason}: {option.detail})"
                    say(self.clock, "bot", f"  {option.transition} -> {option.to}: {verdict}")
                return
        except TransitionNotAllowed as refusal:  # reason: state, role, checklist, guard, terminal
            if refusal.reason == "checklist":
                reply = f"first check {', '.join(refusal.missing)}"
            else:
                reply = f"not now ({refusal.detail})"
            say(self.clock, "bot", f"Sorry {user}, {reply}.")
            return
        except NotAuthorized as refusal:
            roles = ", ".join(refusal.allowed_roles)
            say(self.clock, "bot", f"Sorry {user}, only the {roles} may {refusal.operation}.")
            return
        except OperationRefused as refusal:  # e.g. a separation-of-duties policy
            say(self.clock, "bot", f"Sorry {user}: {refusal.detail}.")
            return
        except InvalidOperation as error:  # a typo: no such item, role, transition
            say(self.clock, "bot", f"Sorry {user}, {error.reason}.")
            return
        except ConcurrencyError:
            say(self.clock, "bot", f"Someone changed the incident at the same time, {user}: retry.")
            return
        incident = engine.get(incident_id)
        say(self.clock, "bot", f"OK. {incident.state} at {incident.severity}, v{incident.version}")


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(argv[0] if argv else Path(tmp) / "incidents.sqlite")
        clock = SimClock()
        process = incidentflow.load(SPEC)
        handlers = dict.fromkeys(process.spec.actions, Actions(process, clock))
        # require_handlers: refuse to start if the spec declares an action nobody handles
        engine = Engine(process, store, clock, handlers=handlers, require_handlers=True)
        bot = ChatBot(engine, clock)

        signal = {"service": "checkout", "availability": 0.42, "region": "eu-west-1"}
        say(clock, "monitoring", f"alert {signal}")
        known = set(store.incident_ids())  # signal() returns the incident it opened or joined
        incident = engine.signal(signal, actor=BOT)
        assert incident is not None, "no trigger matched"
        iid = incident.id
        verb = "Joined" if iid in known else "Opened"
        say(clock, "bot", f"{verb} {iid} ({incident.title}) at {incident.severity}")
        for role in ("responder", "commander"):
            engine.assign(iid, role, ROTA[role], actor=BOT)
        clock.advance(1)
        again = engine.signal({**signal, "availability": 0.40}, actor=BOT)
        say(clock, "bot", f"Same alert again: joined {again.id if again else None}")

        bot.handle(iid, "mallory", "!fire escalate")
        bot.handle(iid, "mallory", "!why")
        clock.advance(2)
        bot.handle(iid, "rita", "!ack")
        bot.handle(iid, "rita", "!assign deputy dana")
        bot.handle(iid, "carl", "!assign scribe sam")
        bot.handle(iid, "sam", "!note Checkout errors since the 08:55 deploy")
        bot.handle(iid, "carl", "!fire start_mitigation")
        bot.handle(iid, "carl", "!check impact_confirmd")
        for item in ("impact_confirmed", "severity_confirmed", "roles_assigned"):
            bot.handle(iid, "carl", f"!check {item}")
        bot.handle(iid, "carl", "!fire start_mitigation")
        failed = [a.action for a in engine.get(iid).actions if a.status == "failed"]
        say(clock, "bot", f"Failed actions (the transition stands): {failed}; retrying")
        engine.retry_actions(iid)

        deadline = engine.next_deadline()  # a real host sleeps until then (or a minute at most)
        say(clock, "bot", f"Next deadline: {deadline:%H:%M}" if deadline else "No timer running")
        clock.advance(31)
        for event in engine.tick():
            say(clock, "bot", f"tick: {event.kind} {event.data.get('timer', '')}".rstrip())
        bot.handle(iid, "rita", "!check mitigation_applied")
        bot.handle(iid, "rita", "!check customer_impact_ended")
        bot.handle(iid, "rita", "!fire hand_over")
        clock.advance(60)
        bot.handle(iid, "carl", "!check metrics_nominal")
        bot.handle(iid, "carl", "!fire close")
        bot.handle(iid, "carl", "!fire start_review")

        queue = [f"{i.id} {i.severity} {i.state}" for i in engine.queue()]
        say(clock, "bot", f"Open incidents: {queue}")
        report = engine.verify()
        verdict = "ok" if report.ok else report.problems
        events = len(engine.history(iid))
        say(clock, "bot", f"Audit: {events} events, {report.checked} incident(s), {verdict}")
        store.close()
        return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

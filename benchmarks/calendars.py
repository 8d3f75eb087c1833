"""(t) Business time: what counting working hours adds to planning deadlines.

Two engines on the same ITIL-style desk open incidents: one at a level whose SLAs and
escalation timer count office hours (Europe/London, 09:00-17:30, Monday to Friday, a
holiday), one at a level counting every minute. Opening plans the timers, so the ratio
of their medians is the cost of business time on the engine's busiest path.

The worst case the compiler allows, 365 days of working time in office hours (about
four years of calendar time, whole weeks skipped in one step), is timed against opening
one incident: the bound on what one deadline can cost.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import incidentflow
from benchmarks.common import Outcome, interleaved_medians, ms, table
from incidentflow.engine.simclock import SimulatedClock

ROUNDS = 30
OPENS = 200  # incidents opened per round and engine
TARGET_OPEN_RATIO = 1.5  # opening at a business-hours level vs an elapsed one
TARGET_WORST_PLAN = 20.0  # 365d of working time vs opening one incident

SPEC = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: desk, version: "1"}
calendars:
  office:
    timezone: Europe/London
    hours: {mon-fri: ["09:00-17:30"]}
    holidays: ["2026-03-23"]
roles:
  agent: {title: Agent}
severity:
  levels:
    - {id: P1, acknowledge_within: 15m, resolve_within: 8h}
    - {id: P3, acknowledge_within: 4h, resolve_within: 8h, calendar: office}
process:
  initial: new
  states:
    new:
      timers:
        - {id: ack, after: acknowledge_within}
        - {id: breach, after: resolve_within}
    closed: {terminal: true}
  transitions:
    - {name: close, from: new, to: closed, by: [agent]}
"""

FRIDAY = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)


def _opener(level: str) -> object:
    process = incidentflow.loads(SPEC)

    def run() -> None:
        engine = incidentflow.Engine(process, clock=SimulatedClock(FRIDAY))
        for _ in range(OPENS):
            engine.open("desk", severity=level)

    return run


def run() -> list[Outcome]:
    """Time both, print a table, return the summary rows."""
    business, elapsed = _opener("P3"), _opener("P1")
    t_business, t_elapsed, ratio = interleaved_medians(business, elapsed, ROUNDS)  # type: ignore[arg-type]
    office = incidentflow.loads(SPEC).calendar("office")
    per_open = t_elapsed / OPENS

    def worst() -> None:
        for _ in range(OPENS):
            office.add(FRIDAY, timedelta(days=365))

    t_worst, _, worst_ratio = interleaved_medians(worst, elapsed, ROUNDS)  # type: ignore[arg-type]
    worst_per_plan = t_worst / OPENS
    print(
        table(
            "Business time",
            ["measure", "median", "per call"],
            [
                ["open, office hours (P3)", ms(t_business), ms(t_business / OPENS)],
                ["open, every minute (P1)", ms(t_elapsed), ms(per_open)],
                ["plan 365d of office hours", ms(t_worst), ms(worst_per_plan)],
            ],
        )
    )
    return [
        Outcome("calendars", "open in business time / elapsed", ratio, TARGET_OPEN_RATIO),
        Outcome("calendars", "365d working-time plan / one open", worst_ratio, TARGET_WORST_PLAN),
    ]

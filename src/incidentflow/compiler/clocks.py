"""Clock checks: recurring timers (``every``, ``max``), paused SLA clocks, and ``metrics``.

Codes: IF121 (a timer with neither ``after`` nor ``every``), IF150-IF154 (recurring
timers and ``sla: paused``), IF215-IF216 (``metrics``).
"""

from __future__ import annotations

from datetime import timedelta

from incidentflow.compiler.context import CheckContext
from incidentflow.compiler.process import delay_at
from incidentflow.spec.durations import format_duration
from incidentflow.spec.models import Milestone, Timer
from incidentflow.suggest import did_you_mean

SHORTEST_PERIOD = timedelta(minutes=1)
"""The shortest ``every`` a timer may have: a reminder more often than this is noise,
and a floor keeps the work of a recurring timer bounded."""

MILESTONES: tuple[str, ...] = ("acknowledged", "mitigated", "resolved")
"""The milestones a ``metrics`` section may define, in the order an incident reaches them."""


def check_clocks(ctx: CheckContext) -> None:
    """Run every clock check."""
    timers_have_a_delay(ctx)
    periods_not_too_short(ctx)
    max_needs_every(ctx)
    recurring_timer_leaves_state(ctx)
    no_pause_in_terminal_states(ctx)
    metrics_name_known_states_and_transitions(ctx)
    metrics_name_something(ctx)


def _timers(ctx: CheckContext) -> list[tuple[str, int, Timer]]:
    return [
        (sid, ti, timer)
        for sid, state in ctx.spec.process.states.items()
        for ti, timer in enumerate(state.timers)
    ]


def timers_have_a_delay(ctx: CheckContext) -> None:
    """IF121: a timer says when it fires: ``after``, ``every`` or both."""
    for sid, ti, timer in _timers(ctx):
        if timer.after is None and timer.every is None:
            ctx.report(
                "IF121",
                ("process", "states", sid, "timers", ti, "id"),
                f"timer '{timer.id}' has neither 'after' nor 'every', so it never fires",
                hint="add 'after: DURATION' (fire once) or 'every: DURATION' (fire repeatedly)",
            )


def periods_not_too_short(ctx: CheckContext) -> None:
    """IF150: a recurring timer's ``every`` is at least a minute, at every level."""
    levels = ctx.spec.severity.levels
    for sid, ti, timer in _timers(ctx):
        if timer.every is None:
            continue
        short = []
        for level in levels:
            try:
                period = delay_at(timer.every, level)
            except ValueError:  # not a duration: IF208 reports it
                break
            if period is not None and period < SHORTEST_PERIOD:
                short.append(f"{format_duration(period)} at {level.id}")
        if short:
            ctx.report(
                "IF150",
                ("process", "states", sid, "timers", ti, "every"),
                f"timer '{timer.id}' would repeat every {', '.join(short)}: "
                "a recurring timer's period must be at least 1m",
                hint="remind at most once a minute (every: 1m or longer)",
            )


def max_needs_every(ctx: CheckContext) -> None:
    """IF151: ``max`` bounds a recurring timer: it needs ``every`` and is at least 1."""
    for sid, ti, timer in _timers(ctx):
        if timer.max is None:
            continue
        path = ("process", "states", sid, "timers", ti, "max")
        if timer.every is None:
            ctx.report(
                "IF151",
                path,
                f"timer '{timer.id}' has 'max' but no 'every': a timer without 'every' fires once",
                hint="add 'every: DURATION' to make it recur, or remove 'max'",
            )
        elif timer.max < 1:
            ctx.report(
                "IF151",
                path,
                f"timer '{timer.id}' may fire at most {timer.max} times, so it never fires",
                hint="give 'max' a count of 1 or more, or remove the timer",
            )


def recurring_timer_leaves_state(ctx: CheckContext) -> None:
    """IF152: a recurring timer that fires a transition leaves its state at its first
    firing, so it never repeats (warning)."""
    for sid, ti, timer in _timers(ctx):
        if timer.every is not None and timer.transition is not None:
            ctx.report(
                "IF152",
                ("process", "states", sid, "timers", ti, "every"),
                f"timer '{timer.id}' repeats, but its first firing fires '{timer.transition}' "
                f"and leaves '{sid}', so it never fires again",
                hint="give the repeated reminder a timer of its own without 'transition', "
                "or use 'after' for the one that moves the incident on",
            )


def no_pause_in_terminal_states(ctx: CheckContext) -> None:
    """IF153: ``sla: paused`` on a terminal state (a closed incident's clocks stopped already)."""
    for sid, state in ctx.spec.process.states.items():
        if state.terminal and state.sla == "paused":
            ctx.report(
                "IF153",
                ("process", "states", sid, "sla"),
                f"terminal state '{sid}' pauses the SLA clocks, but they stop for good when "
                "an incident is closed",
                hint="remove 'sla: paused', or put it on the state where the incident waits",
            )


def _milestones(ctx: CheckContext) -> list[tuple[str, Milestone]]:
    metrics = ctx.spec.metrics
    if metrics is None:
        return []
    found = ((name, getattr(metrics, name)) for name in MILESTONES)
    return [(name, m) for name, m in found if m is not None]


def metrics_name_known_states_and_transitions(ctx: CheckContext) -> None:
    """IF215: a ``metrics`` milestone names only states and transitions the process has."""
    states = list(ctx.spec.process.states)
    transitions = list(dict.fromkeys(t.name for t in ctx.spec.process.transitions))
    for name, milestone in _milestones(ctx):
        for key, known, noun in (
            ("enter", states, "state"),
            ("transitions", transitions, "transition"),
        ):
            names: tuple[str, ...] = getattr(milestone, key)
            for i, ref in enumerate(names):
                if ref not in known:
                    ctx.report(
                        "IF215",
                        ("metrics", name, key, i),
                        f"metric '{name}' names an unknown {noun} '{ref}'",
                        hint=did_you_mean(ref, known, f"{noun.capitalize()}s"),
                    )


def metrics_name_something(ctx: CheckContext) -> None:
    """IF216: a ``metrics`` milestone names at least one state or transition."""
    for name, milestone in _milestones(ctx):
        if not milestone.enter and not milestone.transitions:
            ctx.report(
                "IF216",
                ("metrics", name),
                f"metric '{name}' names no state and no transition, so no incident ever "
                f"counts as {name}",
                hint=f"write '{name}: {{enter: [STATE, ...]}}' or "
                f"'{name}: {{transitions: [NAME, ...]}}', or leave it out for the default",
            )

"""Timer checks (6xx): timers fire transitions of their own state and run at every level."""

from __future__ import annotations

from incidentflow.compiler.context import CheckContext
from incidentflow.compiler.process import delay_at
from incidentflow.spec.models import SLA_FIELDS
from incidentflow.suggest import did_you_mean


def check_timers(ctx: CheckContext) -> None:
    """Run every timer check."""
    timer_transitions_leave_state(ctx)
    timers_without_duration(ctx)


def timer_transitions_leave_state(ctx: CheckContext) -> None:
    """IF601: a timer's ``transition`` is one that leaves the timer's own state."""
    transitions = ctx.spec.process.transitions
    names_leaving: dict[str, list[str]] = {}
    for t in transitions:
        for source in t.sources:
            names_leaving.setdefault(source, []).append(t.name)
    all_names = {t.name for t in transitions}
    for sid, state in ctx.spec.process.states.items():
        leaving = names_leaving.get(sid, [])
        for ti, timer in enumerate(state.timers):
            if timer.transition is not None and timer.transition not in leaving:
                elsewhere = timer.transition in all_names
                why = "does not leave" if elsewhere else "is not a transition of"
                ctx.report(
                    "IF601",
                    ("process", "states", sid, "timers", ti, "transition"),
                    f"timer '{timer.id}' fires '{timer.transition}', which {why} state '{sid}'",
                    hint=did_you_mean(timer.transition, leaving, f"Transitions leaving '{sid}'"),
                )


def timers_without_duration(ctx: CheckContext) -> None:
    """IF602: a timer that has no duration at some level never fires there, or (with
    ``every``) never repeats there (warning)."""
    levels = ctx.spec.severity.levels
    for sid, state in ctx.spec.process.states.items():
        for ti, timer in enumerate(state.timers):
            for key, delay in timer.delays:
                if isinstance(delay, str) and delay not in SLA_FIELDS:
                    continue
                missing = [lv.id for lv in levels if delay_at(delay, lv) is None]
                if not missing:
                    continue
                how = (
                    f"those levels define no '{delay}'"
                    if isinstance(delay, str)
                    else "the map names neither them nor 'default'"
                )
                what = (
                    "never repeats" if key == "every" and timer.after is not None else "never fires"
                )
                ctx.report(
                    "IF602",
                    ("process", "states", sid, "timers", ti, key),
                    f"timer '{timer.id}' {what} at {', '.join(missing)}: {how}",
                    hint="define the SLA on those levels, or add 'default: DURATION' to the map",
                )

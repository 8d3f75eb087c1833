"""Severity checks (4xx): the matrix is complete and sensible, SLAs are ordered, levels used."""

from __future__ import annotations

from incidentflow.compiler.context import CheckContext
from incidentflow.spec.durations import format_duration


def check_severity(ctx: CheckContext) -> None:
    """Run every severity check."""
    if axes_given_together(ctx):
        matrix_complete(ctx)
        matrix_monotonic(ctx)
    sla_ordering(ctx)
    if not any(d.code == "IF202" for d in ctx.diagnostics):  # a misspelt level is not "unused"
        unused_levels(ctx)


def axes_given_together(ctx: CheckContext) -> bool:
    """IF407: impact, urgency and matrix are all given or all left out. True if all given."""
    sev = ctx.spec.severity
    given = {name: getattr(sev, name) is not None for name in ("impact", "urgency", "matrix")}
    if all(given.values()):
        return True
    if any(given.values()):
        missing = [name for name, ok in given.items() if not ok]
        present = next(name for name, ok in given.items() if ok)
        ctx.report(
            "IF407",
            ("severity", present),
            f"severity has {present} but not {' and '.join(missing)}",
            hint="give impact, urgency and matrix together, or leave all three out",
            at="key",
        )
    return False


def matrix_complete(ctx: CheckContext) -> None:
    """IF401: every impact x urgency cell of the matrix names a level."""
    sev = ctx.spec.severity
    assert sev.matrix is not None
    assert sev.impact is not None
    assert sev.urgency is not None
    for impact in sev.impact:
        row = sev.matrix.get(impact)
        if row is None:
            ctx.report(
                "IF401",
                ("severity", "matrix"),
                f"the matrix has no row for impact '{impact}'",
                hint=f"add '{impact}: {{{', '.join(f'{u}: LEVEL' for u in sev.urgency)}}}'",
                at="key",
            )
            continue
        missing = [u for u in sev.urgency if u not in row]
        if missing:
            ctx.report(
                "IF401",
                ("severity", "matrix", impact),
                f"the matrix row '{impact}' has no level for urgency {', '.join(repr(m) for m in missing)}",
                hint="fill every cell: " + ", ".join(f"{m}: LEVEL" for m in missing),
                at="key",
            )


def matrix_monotonic(ctx: CheckContext) -> None:
    """IF404: more impact or more urgency never yields a milder level (warning)."""
    sev = ctx.spec.severity
    assert sev.matrix is not None
    assert sev.impact is not None
    assert sev.urgency is not None
    rank = {lv.id: i for i, lv in enumerate(sev.levels)}  # 0 is the most severe

    def cell(i: int, j: int) -> int | None:
        level = sev.matrix.get(sev.impact[i], {}).get(sev.urgency[j])  # type: ignore[index, union-attr]
        return rank.get(level) if level is not None else None

    for i, impact in enumerate(sev.impact):
        for j, urgency in enumerate(sev.urgency):
            here = cell(i, j)
            if here is None:
                continue
            for di, dj, axis in ((1, 0, "impact"), (0, 1, "urgency")):
                if i + di >= len(sev.impact) or j + dj >= len(sev.urgency):
                    continue
                milder_neighbour = cell(i + di, j + dj)
                if milder_neighbour is not None and milder_neighbour < here:
                    other = (sev.impact[i + di], sev.urgency[j + dj])
                    level = sev.matrix[impact][urgency]
                    ctx.report(
                        "IF404",
                        ("severity", "matrix", impact, urgency),
                        f"{impact}/{urgency} gives {level}, milder than {other[0]}/{other[1]} "
                        f"({sev.matrix[other[0]][other[1]]}) although its {axis} is higher",
                        hint="make this cell at least as severe as its neighbours below and to the right",
                    )


def sla_ordering(ctx: CheckContext) -> None:
    """IF405: a level's acknowledge_within is not longer than its resolve_within (warning)."""
    for i, level in enumerate(ctx.spec.severity.levels):
        ack, resolve = level.acknowledge_within, level.resolve_within
        if ack is not None and resolve is not None and ack > resolve:
            ctx.report(
                "IF405",
                ("severity", "levels", i, "acknowledge_within"),
                f"level '{level.id}' must be acknowledged within {format_duration(ack)} "
                f"but resolved within {format_duration(resolve)}",
                hint="acknowledge_within should be at most resolve_within",
            )


def unused_levels(ctx: CheckContext) -> None:
    """IF406: every level is named by the matrix, a trigger, a guard, a timer map or a policy (warning)."""
    spec = ctx.spec
    used: set[str] = set()
    for row in (spec.severity.matrix or {}).values():
        used.update(row.values())
    used.update(t.severity for t in spec.triggers if t.severity)
    for tr in spec.process.transitions:
        if tr.when is not None:
            used.update(tr.when.severity)
    for state in spec.process.states.values():
        for timer in state.timers:
            for _, delay in timer.delays:
                if isinstance(delay, dict):
                    used.update(delay)
    for policy in spec.policies:
        used.update(policy.for_severity or ())
    for i, level in enumerate(spec.severity.levels):
        if level.id not in used:
            ctx.report(
                "IF406",
                ("severity", "levels", i, "id"),
                f"severity level '{level.id}' is never used",
                hint="no trigger, matrix cell, guard or policy names it; use it or remove it",
            )

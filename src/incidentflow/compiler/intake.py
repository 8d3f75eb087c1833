"""Intake checks (IF220, IF221, IF410-IF413): the ``intake`` section of a spec.

What happens when alerts resolve is checked like a timer's transition: it must exist,
and the author learns where the engine could not fire it (guards, the initial state).
Payload mappings must use paths that can be resolved, and a mapping that reports a
resolution must also say which alert it is about.
"""

from __future__ import annotations

from incidentflow.compiler.context import CheckContext
from incidentflow.spec.intake import BUILTIN_SOURCES, Intake
from incidentflow.spec.payload_paths import PathError, parse_path
from incidentflow.suggest import did_you_mean


def check_intake(ctx: CheckContext) -> None:
    """Run every intake check (nothing to do for a spec without ``intake``)."""
    intake = ctx.spec.intake
    if intake is None:
        return
    resolution_transition(ctx, intake)
    mapping_names(ctx, intake)
    mapping_paths(ctx, intake)
    resolution_without_key(ctx, intake)


def resolution_transition(ctx: CheckContext, intake: Intake) -> None:
    """IF220, IF410, IF411: ``on_resolved.transition`` exists; where the engine cannot fire it."""
    name = intake.on_resolved.transition
    if name is None:
        return
    path = ("intake", "on_resolved", "transition")
    transitions = [t for t in ctx.spec.process.transitions if t.name == name]
    if not transitions:
        ctx.report(
            "IF220",
            path,
            f"on_resolved fires '{name}', which is not a transition of this process",
            hint=did_you_mean(
                name, sorted({t.name for t in ctx.spec.process.transitions}), "Transitions"
            ),
        )
        return
    levels = [lv.id for lv in ctx.spec.severity.levels]
    admitted = set()
    for tr in transitions:
        admitted |= set(levels) if tr.when is None else set(tr.when.severity)
    excluded = [lv for lv in levels if lv not in admitted]
    if excluded:
        ctx.report(
            "IF410",
            path,
            f"'{name}' is not allowed at {', '.join(excluded)} (its guard): when the alerts of "
            "an incident at those levels resolve, the resolution is only recorded",
            hint=f"add {', '.join(excluded)} to the guard of '{name}' if it should fire there too",
        )
    initial = ctx.spec.process.initial
    if not any(initial in tr.sources for tr in transitions):
        ctx.report(
            "IF411",
            path,
            f"'{name}' does not leave the initial state '{initial}': an alert that resolves "
            "before anyone acts leaves its incident open there",
            hint=f"add '{initial}' to the `from` of '{name}'",
        )


def mapping_names(ctx: CheckContext, intake: Intake) -> None:
    """IF221: a payload mapping does not take the name of a built-in source."""
    for name in intake.mappings:
        if name in BUILTIN_SOURCES:
            ctx.report(
                "IF221",
                ("intake", "mappings", name),
                f"mapping '{name}' has the name of a built-in source, which reads its payloads "
                "without a mapping",
                hint=f"rename the mapping (for example '{name}_custom')",
                at="key",
            )


def mapping_paths(ctx: CheckContext, intake: Intake) -> None:
    """IF412: every path of a payload mapping is a dotted path within the limits."""
    for name, mapping in intake.mappings.items():
        base = ("intake", "mappings", name)
        paths: list[tuple[tuple[str | int, ...], str]] = [
            ((*base, "fields", field), text) for field, text in mapping.fields.items()
        ]
        for key in ("alerts", "key", "status"):
            text = getattr(mapping, key)
            if text is not None:
                paths.append(((*base, key), text))
        for where, text in paths:
            try:
                parse_path(text)
            except PathError as problem:
                ctx.report(
                    "IF412",
                    where,
                    f"'{text}' is not a payload path: {problem}",
                    hint="write keys separated by dots, digits for list positions: labels.service",
                )


def resolution_without_key(ctx: CheckContext, intake: Intake) -> None:
    """IF413: a mapping that reads a status also says which alert it is (``key``)."""
    for name, mapping in intake.mappings.items():
        if mapping.status is not None and mapping.key is None:
            ctx.report(
                "IF413",
                ("intake", "mappings", name, "status"),
                f"mapping '{name}' reads a status but no key: a resolved alert could not be "
                "matched to the incident it opened",
                hint="add `key:` with the path of the alert's identity (an id or fingerprint)",
                at="key",
            )

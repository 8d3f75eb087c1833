"""Spec -> Process: build the graph and run every check, collecting all diagnostics.

Checks run family by family (references, severity, roles, timers, policies,
triggers, graph); each family is a module whose functions carry the code they
report in their docstring. Every check runs even when earlier ones found
errors, so an author can fix everything in one pass.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from incidentflow.compiler.calendars import check_calendars
from incidentflow.compiler.clocks import check_clocks
from incidentflow.compiler.context import CheckContext
from incidentflow.compiler.graph import check_graph
from incidentflow.compiler.intake import check_intake
from incidentflow.compiler.policies import check_policies, prove_policies
from incidentflow.compiler.predicates import compile_condition
from incidentflow.compiler.process import CompiledTrigger, Process, freeze
from incidentflow.compiler.references import check_references
from incidentflow.compiler.roles import check_roles
from incidentflow.compiler.severity import check_severity
from incidentflow.compiler.timers import check_timers
from incidentflow.compiler.triggers import check_triggers
from incidentflow.diagnostics import Diagnostic
from incidentflow.gcpause import gc_paused
from incidentflow.spec.limits import TooManyDiagnostics
from incidentflow.spec.loader import LoadedSpec
from incidentflow.spec.models import Transition

__all__ = ["Process", "compile_spec"]


@gc_paused
def compile_spec(loaded: LoadedSpec) -> tuple[Process | None, list[Diagnostic]]:
    """Check a loaded spec and build its :class:`Process`.

    Returns the process (None when there are errors) and every diagnostic,
    sorted by position. A spec with broken values left out (``loaded.pruned``) is
    checked, never built: its errors that do not follow from what was left out are
    returned, and the graph checks run only when they can trust what they read.
    """
    ctx = CheckContext(loaded)
    pruned = loaded.pruned
    try:
        check_references(ctx)
        check_severity(ctx)
        check_roles(ctx)
        check_timers(ctx)
        check_clocks(ctx)
        check_calendars(ctx)
        check_policies(ctx)
        triggers_ok = check_triggers(ctx)
        check_intake(ctx)
        if pruned is None or pruned.graph_intact:
            analysis = check_graph(ctx)
            if analysis is not None:
                prove_policies(ctx, analysis)
    except TooManyDiagnostics:  # more would not be shown (see limits.capped)
        triggers_ok = False
    diagnostics = sorted(ctx.diagnostics, key=Diagnostic.sort_key)
    if pruned is not None or not triggers_ok or any(d.is_error for d in diagnostics):
        return None, diagnostics
    return _build(ctx, diagnostics), diagnostics


def _build(ctx: CheckContext, diagnostics: list[Diagnostic]) -> Process:
    spec = ctx.spec
    leaving: dict[str, list[Transition]] = defaultdict(list)
    for tr in spec.process.transitions:
        for source in tr.sources:
            leaving[source].append(tr)
    rank = {lv.id: i for i, lv in enumerate(spec.severity.levels)}
    triggers = []
    for trig in spec.triggers:
        if trig.severity is not None:
            level = trig.severity
        else:
            assert spec.severity.matrix is not None
            assert trig.impact is not None
            assert trig.urgency is not None
            level = spec.severity.matrix[trig.impact][trig.urgency]
        triggers.append(
            CompiledTrigger(
                trig.id,
                trig.title or trig.id,
                level,
                rank[level],
                compile_condition(trig.when),
                trig.dedupe_by,
            )
        )
    text = ctx.loaded.text
    return Process(
        spec=spec,
        source=ctx.loaded.filename,
        digest="sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest(),
        states=freeze(dict(spec.process.states)),
        transitions_from=freeze({s: tuple(v) for s, v in leaving.items()}),
        levels=spec.severity.levels,
        triggers=tuple(triggers),
        warnings=tuple(d for d in diagnostics if not d.is_error),
        source_map=ctx.loaded.source_map,
        text=text,
    )

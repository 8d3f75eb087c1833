"""Trigger checks (4xx): patterns compile and conditions can be true."""

from __future__ import annotations

import re

from incidentflow.compiler.context import CheckContext
from incidentflow.compiler.predicates import explain, impossibility
from incidentflow.spec.conditions import AllOf, AnyOf, Condition, FieldTest, NotOf
from incidentflow.spec.yamlread import Path


def check_triggers(ctx: CheckContext) -> bool:
    """Run every trigger check. True when every condition can be compiled."""
    patterns_ok = invalid_patterns(ctx)
    if patterns_ok:
        unsatisfiable_triggers(ctx)
    return patterns_ok


def _tests(cond: Condition, path: Path) -> list[tuple[FieldTest, Path]]:
    if isinstance(cond, FieldTest):
        return [(cond, path)]
    if isinstance(cond, NotOf):
        return _tests(cond.not_, (*path, "not"))
    key, parts = ("all", cond.all) if isinstance(cond, AllOf) else ("any", cond.any)
    assert isinstance(cond, AllOf | AnyOf)
    return [t for i, c in enumerate(parts) for t in _tests(c, (*path, key, i))]


def invalid_patterns(ctx: CheckContext) -> bool:
    """IF403: every ``matches`` is a valid regular expression. True if all are."""
    ok = True
    for i, trig in enumerate(ctx.spec.triggers):
        for test, path in _tests(trig.when, ("triggers", i, "when")):
            if test.operator == "matches":
                try:
                    re.compile(test.operand)
                except re.error as exc:
                    ok = False
                    ctx.report(
                        "IF403",
                        (*path, "matches"),
                        f"trigger '{trig.id}': /{test.operand}/ is not a valid regular expression: {exc}",
                        hint="fix the pattern (Python 're' syntax); escape literal characters with \\",
                    )
    return ok


def unsatisfiable_triggers(ctx: CheckContext) -> None:
    """IF402: a trigger whose condition can never be true would silently never fire."""
    for i, trig in enumerate(ctx.spec.triggers):
        imp = impossibility(trig.when, ("triggers", i, "when"))
        if imp is None:
            continue
        notes = [ctx.note_at(imp.second.path, "conflicts with this test")] if imp.second else []
        ctx.report(
            "IF402",
            imp.first.path,
            f"trigger '{trig.id}' can never fire",
            hint=f"why: {explain(imp)}",
            notes=notes,
        )

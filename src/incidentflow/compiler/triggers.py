"""Trigger checks (4xx): patterns compile and conditions can be true."""

from __future__ import annotations

from typing import Any

from incidentflow.compiler.context import CheckContext
from incidentflow.compiler.patterns import PatternProblem, compile_pattern
from incidentflow.compiler.satisfiability import (
    Budget,
    Impossible,
    Possible,
    explain,
    satisfiability,
)
from incidentflow.spec.conditions import AllOf, AnyOf, Condition, FieldTest, NotOf
from incidentflow.spec.yamlread import Path

SPEC_WORK = 100_000
"""Steps the satisfiability check may take for a whole spec, besides WORK_PER_TEST."""
TRIGGER_WORK = 25_000
"""Steps it may take for one trigger, besides WORK_PER_TEST; beyond, the trigger is accepted."""
WORK_PER_TEST = 10
"""Steps added to both allowances for each test written, so that a large spec of plain
triggers is checked in full while a hostile one costs time linear in its size."""


def check_triggers(ctx: CheckContext) -> bool:
    """Run every trigger check. True when every condition can be compiled."""
    patterns_ok = invalid_patterns(ctx)
    if patterns_ok:
        unsatisfiable_triggers(ctx)
    return patterns_ok


def _tests(cond: Condition, path: Path) -> list[tuple[FieldTest, Path]]:
    """Every test in ``cond`` with its path, in the order written (iteratively)."""
    found: list[tuple[FieldTest, Path]] = []
    todo: list[tuple[Condition, Path]] = [(cond, path)]
    while todo:
        node, where = todo.pop()
        if isinstance(node, FieldTest):
            found.append((node, where))
        elif isinstance(node, NotOf):
            todo.append((node.not_, (*where, "not")))
        else:
            assert isinstance(node, AllOf | AnyOf)
            key, parts = ("all", node.all) if isinstance(node, AllOf) else ("any", node.any)
            todo.extend((c, (*where, key, i)) for i, c in reversed(list(enumerate(parts))))
    return found


def invalid_patterns(ctx: CheckContext) -> bool:
    """IF403, IF408: every ``matches`` is an RE2 pattern within the size bounds. True if all are."""
    ok = True
    for i, trig in enumerate(ctx.spec.triggers):
        for test, path in _tests(trig.when, ("triggers", i, "when")):
            if test.operator != "matches":
                continue
            compiled = compile_pattern(test.operand)
            if isinstance(compiled, PatternProblem):
                ok = False
                shown = test.operand if len(test.operand) <= 60 else test.operand[:57] + "..."
                ctx.report(
                    compiled.code,
                    (*path, "matches"),
                    f"trigger '{trig.id}': /{shown}/ {compiled.reason}",
                    hint=compiled.hint,
                )
    return ok


def unsatisfiable_triggers(ctx: CheckContext) -> None:
    """IF402: a trigger whose condition can never be true would silently never fire."""
    sizes = [len(_tests(trig.when, ())) for trig in ctx.spec.triggers]
    spec_budget = Budget(SPEC_WORK + WORK_PER_TEST * sum(sizes))
    for i, trig in enumerate(ctx.spec.triggers):
        budget = spec_budget.portion(TRIGGER_WORK + WORK_PER_TEST * sizes[i])
        verdict = satisfiability(trig.when, ("triggers", i, "when"), budget)
        if not isinstance(verdict, Impossible):
            continue
        *others, last = verdict.tests
        ctx.report(
            "IF402",
            last.path,
            f"trigger '{trig.id}' can never fire",
            hint=f"why: {explain(verdict)}",
            notes=[ctx.note_at(lit.path, "conflicts with this test") for lit in others],
        )


def example_signal(cond: Condition) -> dict[str, Any] | None:
    """A signal that ``cond`` accepts, as the satisfiability check finds it (for demos and
    docs); None when the check proves there is none or stops undecided within its budget."""
    budget = Budget(TRIGGER_WORK + WORK_PER_TEST * len(_tests(cond, ())))
    verdict = satisfiability(cond, (), budget)
    return dict(verdict.signal) if isinstance(verdict, Possible) else None

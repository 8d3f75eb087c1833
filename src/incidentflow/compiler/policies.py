"""Policy checks (7xx): policies are well-formed and name real phases and roles.

Proving path properties (must_visit, must_not_reach) comes with drills; here we
check what a policy refers to, so that a typo cannot silently disable it.
"""

from __future__ import annotations

from incidentflow.compiler.context import CheckContext
from incidentflow.spec.models import PhaseRef
from incidentflow.suggest import did_you_mean

POLICY_KINDS = ("must_visit", "must_not_reach", "distinct_holders")


def check_policies(ctx: CheckContext) -> None:
    """IF122, IF701, IF702: one kind per policy, known phases, two or more distinct roles."""
    phases = sorted({s.phase for s in ctx.spec.process.states.values() if s.phase})
    for pi, policy in enumerate(ctx.spec.policies):
        kinds = [k for k in POLICY_KINDS if getattr(policy, k) is not None]
        if len(kinds) != 1:
            ctx.report(
                "IF122",
                ("policies", pi),
                f"policy '{policy.id}' must have exactly one of "
                f"{', '.join(POLICY_KINDS)} (found {', '.join(kinds) or 'none'})",
                hint="split it into one policy per property",
            )
        for key in ("must_visit", "must_not_reach"):
            target = getattr(policy, key)
            if isinstance(target, PhaseRef) and target.phase not in phases:
                ctx.report(
                    "IF701",
                    ("policies", pi, key, "phase"),
                    f"policy '{policy.id}' names the phase '{target.phase}', which no state has",
                    hint=did_you_mean(target.phase, phases, "Phases"),
                )
        holders = policy.distinct_holders
        if holders is not None and len(set(holders)) < 2:
            ctx.report(
                "IF702",
                ("policies", pi, "distinct_holders"),
                f"policy '{policy.id}' needs at least two different roles",
                hint="list the roles that one person must not hold together",
            )

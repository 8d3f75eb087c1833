"""Separation of duties: which roles ``distinct_holders`` policies keep apart, and where.

The rule (docs/spec-format.md, "Separation of duties"): on one incident, a person
never acts in two roles that a ``distinct_holders`` policy covering the incident's
current level keeps apart, whether by holding both or by standing in for one as a
backup. So a backup that such a policy keeps apart from the role it backs up can
never stand in for that role at the policy's levels: the compiler warns about it
(IF705) and the engine's authorisation (:mod:`incidentflow.engine.authz`) leaves
it out. This module answers the spec-level questions both of them ask.
"""

from __future__ import annotations

from incidentflow.spec.models import Policy, Spec


def covers(policy: Policy, level: str) -> bool:
    """True if ``policy`` applies at ``level`` (its ``for_severity``, or every level)."""
    return policy.for_severity is None or level in policy.for_severity


def separating(spec: Spec, level: str) -> tuple[Policy, ...]:
    """The ``distinct_holders`` policies in force at ``level`` that keep roles apart.

    A policy naming fewer than two different roles keeps nothing apart (it is IF702).
    """
    return tuple(
        p
        for p in spec.policies
        if p.distinct_holders is not None and len(set(p.distinct_holders)) >= 2 and covers(p, level)
    )


def kept_apart(spec: Spec, first: str, second: str, level: str) -> Policy | None:
    """The first policy that keeps roles ``first`` and ``second`` apart at ``level``, if any."""
    if first == second:
        return None
    for policy in separating(spec, level):
        roles = policy.distinct_holders or ()
        if first in roles and second in roles:
            return policy
    return None

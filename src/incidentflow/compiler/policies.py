"""Policy checks (7xx): policies are well-formed, name real things, and hold.

``must_visit`` and ``must_not_reach`` are proved on the graph at every level the
policy covers (with guards applied): a failure comes with a counterexample path.
``distinct_holders`` is a runtime property that the engine enforces (on assignment
and when a transition fires, backups included); the compiler points out the backups
it makes unusable.
"""

from __future__ import annotations

from collections.abc import Mapping

from incidentflow.compiler.context import CheckContext
from incidentflow.compiler.graph import (
    SINK,
    GraphAnalysis,
    LevelGroup,
    describe_path,
    reachable_from,
)
from incidentflow.compiler.separation import kept_apart
from incidentflow.diagnostics import Note
from incidentflow.spec.models import PhaseRef
from incidentflow.suggest import did_you_mean

POLICY_KINDS = ("must_visit", "must_not_reach", "distinct_holders")


def check_policies(ctx: CheckContext) -> None:
    """IF122, IF701, IF702, IF705: one kind per policy, known phases, two or more distinct
    roles, and backups the policy leaves usable."""
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
    backups_kept_apart(ctx)


def backups_kept_apart(ctx: CheckContext) -> None:
    """IF705: a backup that a ``distinct_holders`` policy keeps apart from the role it backs
    up can never stand in for it at the policy's levels (warning)."""
    spec = ctx.spec
    levels = [lv.id for lv in spec.severity.levels]
    index = {p.id: i for i, p in enumerate(spec.policies)}
    for rid, role in spec.roles.items():
        for j, backup in enumerate(role.backups):
            if backup not in spec.roles:
                continue  # an unknown role is IF203
            apart = {lv: kept_apart(spec, rid, backup, lv) for lv in levels}
            blocked = [lv for lv in levels if apart[lv] is not None]
            if not blocked:
                continue
            policy = apart[blocked[0]]
            assert policy is not None
            where = "" if len(blocked) == len(levels) else f" at {', '.join(blocked)}"
            ctx.report(
                "IF705",
                ("roles", rid, "backups", j),
                f"'{backup}' can never stand in for '{rid}'{where}: policy '{policy.id}' "
                "keeps the two roles apart",
                hint=f"name a backup of '{rid}' outside the policy (for example a deputy), "
                f"or remove '{backup}' from its backups",
                notes=[
                    ctx.note_at(
                        ("policies", index[policy.id], "distinct_holders"),
                        f"policy '{policy.id}': one person never acts in two of these roles "
                        "on one incident, directly or as a backup",
                    )
                ],
            )


def _targets(ctx: CheckContext, target: str | PhaseRef) -> frozenset[str]:
    if isinstance(target, PhaseRef):
        return frozenset(s for s, st in ctx.spec.process.states.items() if st.phase == target.phase)
    return frozenset({target})


def _name(target: str | PhaseRef) -> str:
    return f"phase '{target.phase}'" if isinstance(target, PhaseRef) else f"'{target}'"


def prove_policies(ctx: CheckContext, analysis: GraphAnalysis) -> None:
    """IF703, IF704: must_visit and must_not_reach hold on every path, at every covered level."""
    if any(d.code in ("IF201", "IF202", "IF701") for d in ctx.diagnostics):
        return  # a policy naming something unknown is reported already; proving it means nothing
    initial = ctx.spec.process.initial
    levels = [lv.id for lv in ctx.spec.severity.levels]
    for pi, policy in enumerate(ctx.spec.policies):
        covered = list(policy.for_severity) if policy.for_severity else levels
        for key, code in (("must_visit", "IF703"), ("must_not_reach", "IF704")):
            target = getattr(policy, key)
            if target is None:
                continue
            targets = _targets(ctx, target)
            failing: list[str] = []
            shown = ""
            for level in covered:
                view = analysis.view_at(level)
                found = _counterexample(view, initial, targets, must_visit=key == "must_visit")
                if found is not None:
                    failing.append(level)
                    shown = shown or describe_path(found, level, analysis.edges)
            if not failing:
                continue
            at = ", ".join(failing)
            if key == "must_visit":
                message = (
                    f"policy '{policy.id}' fails at {at}: an incident can finish "
                    f"without visiting {_name(target)}"
                )
                hint = f"guard the way around {_name(target)} so that {at} must pass through it"
            else:
                message = (
                    f"policy '{policy.id}' fails at {at}: an incident can reach {_name(target)}"
                )
                hint = f"guard the way into {_name(target)} so that {at} cannot take it"
            ctx.report(
                code,
                ("policies", pi, key),
                message,
                hint=hint,
                notes=[Note(f"path: {shown} (at {failing[0]})")],
            )


def _counterexample(
    view: LevelGroup, initial: str, targets: frozenset[str], *, must_visit: bool
) -> list[str] | None:
    """A shortest path that breaks the property, or None when it holds.

    Whether it holds is a plain search (:func:`reachable_from`); networkx is asked for
    the shortest path only when it does not (see the note in compiler/graph.py).
    """
    successors: Mapping[object, tuple[object, ...]] = view.successors
    if must_visit:
        if initial in targets or SINK not in reachable_from(successors, initial, targets):
            return None
        import networkx as nx  # (see compiler/graph.py)

        graph = view.graph
        avoiding = graph.subgraph(n for n in graph if n not in targets)
        nodes: list[str] = nx.shortest_path(avoiding, initial, SINK)
        return nodes[:-1]  # drop the virtual sink: the path ends in a terminal state
    found = reachable_from(successors, initial)
    reachable = [t for t in targets if t in found]
    if not reachable:
        return None
    import networkx as nx  # (see compiler/graph.py)

    paths: list[list[str]] = [nx.shortest_path(view.graph, initial, t) for t in sorted(reachable)]
    return min(paths, key=len)

"""Role checks (5xx): every role has a job and someone who can stand in."""

from __future__ import annotations

from incidentflow.compiler.context import CheckContext


def check_roles(ctx: CheckContext) -> None:
    """Run every role check."""
    if not any(d.code == "IF203" for d in ctx.diagnostics):  # a misspelt role is not "unused"
        unused_roles(ctx)
    roles_without_backups(ctx)


def used_roles(ctx: CheckContext) -> set[str]:
    """Roles that own a state, fire a transition, receive an action, back up another or appear in a policy."""
    spec = ctx.spec
    used = {s.owner for s in spec.process.states.values() if s.owner}
    for tr in spec.process.transitions:
        used.update(tr.by)
    for role in spec.roles.values():
        used.update(role.backups)
    for policy in spec.policies:
        used.update(policy.distinct_holders or ())
    from incidentflow.compiler.references import all_action_calls

    for _, call in all_action_calls(ctx):
        action = spec.actions.get(call.action)
        if action is not None:
            used.update(str(v) for k, v in call.params.items() if action.params.get(k) == "role")
    return used


def unused_roles(ctx: CheckContext) -> None:
    """IF501: a role nobody uses is probably a leftover or a typo elsewhere (warning)."""
    used = used_roles(ctx)
    for rid in ctx.spec.roles:
        if rid not in used:
            ctx.report(
                "IF501",
                ("roles", rid),
                f"role '{rid}' is never used",
                hint="let it own a state, fire a transition or receive an action, or remove it",
                at="key",
            )


def roles_without_backups(ctx: CheckContext) -> None:
    """IF502: without backups, nobody may act when the role's holder is unavailable (warning)."""
    for rid, role in ctx.spec.roles.items():
        if not role.backups:
            ctx.report(
                "IF502",
                ("roles", rid),
                f"role '{rid}' has no backups",
                hint="list in 'backups' the roles whose holders are trained to stand in",
                at="key",
            )

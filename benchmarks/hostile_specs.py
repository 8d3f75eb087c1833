"""Hostile specs, one per kind: the largest input of each shape the limits accept, and
inputs just over them.

Each generator takes the :class:`~incidentflow.Limits` to aim at and returns spec
text. "At the limit" shapes are accepted by the reader (they use nearly all of
``max_nodes``, ``max_depth`` or ``max_bytes``) and may still have spec errors; "over"
shapes must be refused early. ``benchmarks/hostile.py`` times them against the
validate target; ``tests/compiler/test_hostile_specs.py`` checks what each one reports.
"""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.generate import spec_text
from incidentflow.spec.limits import Limits

MINIMAL = """\
apiVersion: incidentflow/v1
kind: Process
metadata:
  name: hostile
  version: "1"
roles:
  responder:
    title: Responder
    backups: [lead]
  lead:
    title: Lead
    backups: [responder]
severity:
  levels:
    - {id: SEV1, title: Critical, acknowledge_within: 5m, resolve_within: 4h}
triggers:
  - id: anything
    when: {field: service, exists: true}
    severity: SEV1
process:
  initial: open
  states:
    open:
      title: Open
      owner: lead
      checklist:
        - {id: fixed, text: The problem is fixed}
    closed:
      title: Closed
      terminal: true
  transitions:
    - {name: close, from: open, to: closed, by: [responder], requires: [fixed]}
"""
"""A small valid spec every shape starts from (about 90 values)."""

_SPARE = 200  # values left for MINIMAL and the keys a shape adds around its bulk
_STATE_NODES = 37  # values per state of benchmarks.generate's specs (measured: 36)


def _room(limits: Limits) -> int:
    return limits.max_nodes - _SPARE


def _with_responsibilities(items: str) -> str:
    return MINIMAL.replace("    title: Lead\n", f"    title: Lead\n    responsibilities: {items}\n")


def flow_list(limits: Limits) -> str:
    """A valid spec with one flow list of as many strings as the node limit allows."""
    return _with_responsibilities("[" + ", ".join(["x"] * _room(limits)) + "]")


def block_list(limits: Limits) -> str:
    """The same in block style (one ``- item`` a line)."""
    items = "".join("      - x\n" for _ in range(_room(limits)))
    return MINIMAL.replace("    title: Lead\n", "    title: Lead\n    responsibilities:\n" + items)


def unknown_key_list(limits: Limits) -> str:
    """A huge flow list of numbers under a key the format does not know (one IF120)."""
    return MINIMAL + "x-data: [" + ", ".join(["1"] * _room(limits)) + "]\n"


def many_unknown_keys(limits: Limits) -> str:
    """A mapping with as many unknown keys as the limit allows: one IF120 each."""
    count = _room(limits) // 2  # a key and its value
    keys = "".join(f"  x{i}: 1\n" for i in range(count))
    return MINIMAL.replace("metadata:\n", "metadata:\n" + keys, 1)


def many_duplicate_keys(limits: Limits) -> str:
    """The same key repeated as often as the limit allows: one IF108 each (to the cap)."""
    count = _room(limits) // 2  # a key and its value
    return MINIMAL.replace("metadata:\n", "metadata:\n" + "  title: x\n" * count, 1)


def many_type_errors(limits: Limits) -> str:
    """A list whose every item has the wrong type: one IF122 each."""
    count = _room(limits) // 2  # a list and its item
    return _with_responsibilities("[" + ", ".join(["[x]"] * count) + "]")


def many_bad_references(limits: Limits) -> str:
    """Many roles and as many references to misspelt roles (each gets a did-you-mean)."""
    count = _room(limits) // 8  # a role is 7 values, a reference 1
    roles = "".join(f"  role{i}: {{title: R, backups: [lead]}}\n" for i in range(count))
    refs = ", ".join(f"rol{i}" for i in range(count))
    text = MINIMAL.replace("roles:\n", "roles:\n" + roles, 1)
    return text.replace("by: [responder]", f"by: [responder, {refs}]")


def same_name_transitions(limits: Limits) -> str:
    """Many transitions of one name from one state, each guarded by its own level."""
    count = _room(limits) // 19  # a level is 3 values, a transition 16
    levels = "".join(f"    - {{id: L{i}}}\n" for i in range(count))
    moves = "".join(
        f"    - {{name: close, from: open, to: closed, by: [responder], when: {{severity: [L{i}]}}}}\n"
        for i in range(count)
    )
    text = MINIMAL.replace("  levels:\n", "  levels:\n" + levels, 1)
    return text + moves


def many_triggers(limits: Limits) -> str:
    """As many triggers with compound conditions as the limit allows."""
    count = _room(limits) // 28  # values per trigger
    triggers = "".join(
        f"  - id: t{i}\n"
        f"    when: {{all: [{{field: service, eq: s{i}}}, {{field: rate, gt: {i}}}, "
        f"{{not: {{field: env, in: [dev, test]}}}}]}}\n"
        "    severity: SEV1\n"
        for i in range(count)
    )
    return MINIMAL.replace("triggers:\n", "triggers:\n" + triggers, 1)


def many_states(limits: Limits) -> str:
    """A realistic process (the benchmarks' generator) with as many states as fit."""
    return spec_text(max(3, _room(limits) // _STATE_NODES))


def long_scalar(limits: Limits) -> str:
    """One description that fills the byte limit."""
    room = limits.max_bytes - len(MINIMAL) - 64
    return MINIMAL.replace('  version: "1"\n', f'  version: "1"\n  description: {"x" * room}\n')


def deep_nesting(limits: Limits) -> str:
    """As many lists nested to the depth limit as the node limit allows (one IF120)."""
    depth = limits.max_depth - 2  # the document and the list that holds them are levels too
    nest = "[" * depth + "x" + "]" * depth
    count = _room(limits) // (depth + 1)
    return MINIMAL + "x-deep: [" + ", ".join([nest] * count) + "]\n"


def aliases(limits: Limits) -> str:
    """States that are aliases of one anchored state with a long checklist, expanding to
    nearly the node limit: every copy is validated and checked."""
    items = 100
    per_copy = 5 * items + 6  # the checklist's items (5 values each), the state, its keys
    checklist = ", ".join(f"{{id: c{i}, text: T}}" for i in range(items))
    count = (_room(limits) - per_copy) // (per_copy + 1)  # the anchored one, then aliases
    copies = "".join(f"    x{i}: *big\n" for i in range(count))
    big = f"    big: &big {{title: Big, checklist: [{checklist}]}}\n"
    return MINIMAL.replace("  states:\n", "  states:\n" + big + copies, 1)


def durations(limits: Limits) -> str:
    """Durations that must be refused: too long, 30 digits, non-ASCII digits, in every place."""
    del limits
    text = MINIMAL.replace("acknowledge_within: 5m", "acknowledge_within: 1000000000d")
    text = text.replace("resolve_within: 4h", "resolve_within: 99999999999999h")
    text = text.replace(
        "      checklist:\n",
        "      timers:\n"
        "        - {id: t1, after: 999999999d}\n"
        f"        - {{id: t2, after: {{SEV1: {'9' * 30}s}}}}\n"
        "        - {id: t3, after: \uff15m}\n"
        "      on_enter: [{action: wait, for: 1000000000d}]\n"
        "      checklist:\n",
    )
    return text.replace(
        "triggers:\n", "actions:\n  wait: {params: {for: duration}}\ntriggers:\n", 1
    )


def huge_numbers(limits: Limits) -> str:
    """Numbers of thousands of digits, NaN and infinity where numbers are compared."""
    del limits
    text = MINIMAL.replace("exists: true", f"gt: {'9' * 5000}")
    return text.replace(
        "    severity: SEV1\n",
        "    severity: SEV1\n"
        "  - {id: nan, when: {field: rate, lt: .nan}, severity: SEV1}\n"
        "  - {id: inf, when: {field: rate, ge: .inf}, severity: SEV1}\n",
        1,
    )


def too_large(limits: Limits) -> str:
    """One byte over the size limit (IF110)."""
    return MINIMAL + "#" + "x" * (limits.max_bytes - len(MINIMAL)) + "\n"


def too_deep(limits: Limits) -> str:
    """Nested far deeper than the depth limit (IF111)."""
    depth = 1000 * limits.max_depth
    return MINIMAL + "x-deep: " + "[" * depth + "]" * depth + "\n"


def alias_bomb(limits: Limits) -> str:
    """A 'billion laughs' document (IF112)."""
    del limits
    lines = ['x-a0: &a0 "lol"']
    lines += [f"x-a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return MINIMAL + "\n".join(lines) + "\n"


AT_THE_LIMIT: dict[str, Callable[[Limits], str]] = {
    "flow list": flow_list,
    "block list": block_list,
    "unknown key list": unknown_key_list,
    "many unknown keys": many_unknown_keys,
    "many duplicate keys": many_duplicate_keys,
    "many type errors": many_type_errors,
    "many bad references": many_bad_references,
    "same-name transitions": same_name_transitions,
    "many triggers": many_triggers,
    "many states": many_states,
    "long scalar": long_scalar,
    "deep nesting": deep_nesting,
    "aliases": aliases,
}
"""Accepted by the reader: the largest input of each shape."""

REFUSED: dict[str, Callable[[Limits], str]] = {
    "durations": durations,
    "huge numbers": huge_numbers,
    "too large": too_large,
    "too deep": too_deep,
    "alias bomb": alias_bomb,
}
"""Refused with a diagnostic (each value, or the whole file)."""

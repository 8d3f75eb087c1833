"""Canonical, order-free values of spec parts: what two versions are compared on.

Two spellings that mean the same thing get the same value here, so that a
reordered file compares equal: sets (``by``, ``requires``, ``backups``, guards,
``dedupe_by``, the children of ``all``/``any``, ``in`` lists) are sorted, mappings
are compared by key, and a missing ``when`` equals a guard that lists every level.
Order is kept where it means something: severity levels (most severe first),
action lists (run in order) and triggers of equal severity (the earlier wins).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from incidentflow.render.handbook_text import condition_english, value_text
from incidentflow.spec.conditions import AllOf, AnyOf, Condition, FieldTest, NotOf
from incidentflow.spec.durations import format_duration
from incidentflow.spec.models import ActionCall

Json = Any


def sorted_set(items: Iterable[str]) -> list[str]:
    """Distinct items, sorted: the value of a list whose order means nothing."""
    return sorted(set(items))


def call_text(call: ActionCall) -> str:
    """``page (role: comms)``: an action call with its parameters in name order."""
    params = ", ".join(f"{k}: {value_text(v)}" for k, v in sorted(call.params.items()))
    return f"{call.action} ({params})" if params else call.action


def calls(items: Iterable[ActionCall]) -> list[str]:
    """Action calls in the order they run."""
    return [call_text(c) for c in items]


def duration(value: timedelta | None) -> str | None:
    """A duration as a spec writes it (``5d``), or None."""
    return None if value is None else format_duration(value)


def after_text(after: str | Mapping[str, timedelta] | None) -> Json:
    """A timer's ``after`` (or ``every``): an SLA name, a duration, a map by level in key
    order, or None when the timer has none."""
    if after is None or isinstance(after, str):
        return after
    return {k: format_duration(v) for k, v in sorted(after.items())}


def condition(cond: Condition) -> Json:
    """A trigger condition with ``all``/``any`` children and ``in`` lists sorted."""
    if isinstance(cond, FieldTest):
        operand = cond.operand
        if cond.operator in ("in", "not_in"):
            operand = sorted(operand, key=sort_key)
        return {"field": cond.field, cond.operator: operand}
    if isinstance(cond, NotOf):
        return {"not": condition(cond.not_)}
    key, parts = ("all", cond.all) if isinstance(cond, AllOf) else ("any", cond.any)
    assert isinstance(cond, AllOf | AnyOf)
    return {key: sorted((condition(c) for c in parts), key=sort_key)}


def condition_text(cond: Condition) -> str:
    """A condition in plain words (as the handbook writes it)."""
    return condition_english(cond)


def order_free(value: Json) -> Json:
    """``value`` with every list sorted, for sections where no list's order means anything
    (calendars' holidays and hour ranges, metrics' states, intake's key fields)."""
    if isinstance(value, dict):
        return {k: order_free(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return sorted((order_free(v) for v in value), key=sort_key)
    return value


def extras(model: BaseModel, known: Iterable[str]) -> dict[str, Json]:
    """The fields of ``model`` not in ``known``, as JSON values.

    The diff compares every field it does not interpret as plain data, so that an
    optional key added to the format later is never silently left out.
    """
    skip = set(known)
    out = {}
    for name, info in type(model).model_fields.items():
        if name in skip:
            continue
        key = info.alias or name
        out[key] = _json(getattr(model, name))
    return out


def _json(value: Any) -> Json:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, timedelta):
        return format_duration(value)
    return value


def sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)

"""Plain-words helpers for handbooks: trigger conditions in English and Markdown table cells."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from incidentflow.spec.conditions import AllOf, AnyOf, Condition, FieldTest, NotOf

_PHRASES: dict[str, tuple[str, str]] = {
    # operator: (phrase, negated phrase); {v} is the operand
    "eq": ("is {v}", "is not {v}"),
    "ne": ("is not {v}", "is {v}"),
    "lt": ("is below {v}", "is not below {v}"),
    "le": ("is at most {v}", "is not at most {v}"),
    "gt": ("is above {v}", "is not above {v}"),
    "ge": ("is at least {v}", "is not at least {v}"),
    "in": ("is one of {v}", "is none of {v}"),
    "not_in": ("is none of {v}", "is one of {v}"),
    "matches": ("matches /{v}/", "does not match /{v}/"),
}


def value_text(value: Any) -> str:
    """A scalar as a reader writes it: ``true``, ``0.99``, ``api``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def words(items: Sequence[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _test_english(test: FieldTest, negated: bool) -> str:
    op, operand = test.operator, test.operand
    if op == "exists":
        present = bool(operand) != negated
        return f"{test.field} is {'present' if present else 'absent'}"
    if op in ("in", "not_in"):
        shown = ", ".join(value_text(v) for v in operand)
    else:
        shown = value_text(operand)
    phrase = _PHRASES[op][1 if negated else 0]
    return f"{test.field} {phrase.format(v=shown)}"


def condition_english(cond: Condition, *, nested: bool = False) -> str:
    """A trigger condition in plain words.

    ``all`` joins with "and", ``any`` with "or"; compound parts inside another
    compound are parenthesised; ``not`` of a single test negates its phrase.
    """
    if isinstance(cond, FieldTest):
        return _test_english(cond, False)
    if isinstance(cond, NotOf):
        inner = cond.not_
        if isinstance(inner, FieldTest):
            return _test_english(inner, True)
        if isinstance(inner, NotOf):
            return condition_english(inner.not_, nested=nested)
        return f"not ({condition_english(inner)})"
    parts, joiner = (cond.all, " and ") if isinstance(cond, AllOf) else (cond.any, " or ")
    assert isinstance(cond, AllOf | AnyOf)
    text = joiner.join(condition_english(c, nested=True) for c in parts)
    return f"({text})" if nested and len(parts) > 1 else text


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell (one line, pipes escaped)."""
    return " ".join(text.split()).replace("|", "\\|")


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table as lines."""
    out = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    out.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
    return out

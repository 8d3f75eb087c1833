"""A :class:`~incidentflow.changes.model.ProcessDiff` as text, JSON or Markdown.

Text is for a terminal, Markdown for a pull request comment (a summary line
first, then what needs migration, the behaviour level by level, and a table of
the spec changes), JSON for programs (shape in docs/diff.md).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Literal

from incidentflow.changes.model import Change, ProcessDiff
from incidentflow.render.handbook_text import table

DiffFormat = Literal["text", "json", "markdown"]


def format_diff(diff: ProcessDiff, fmt: DiffFormat) -> str:
    """``diff`` in the format named."""
    if fmt == "json":
        return json.dumps(diff.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return markdown(diff)
    return text(diff)


def _level_groups(diff: ProcessDiff) -> list[tuple[str, list[Change]]]:
    """Behaviour changes under headings: at every level, at some levels, for new incidents."""
    groups: dict[tuple[str, ...], list[Change]] = defaultdict(list)
    for change in diff.behaviour:
        groups[change.levels].append(change)
    rank = {lv: i for i, lv in enumerate(diff.levels)}

    def order(levels: tuple[str, ...]) -> tuple[int, int, int]:
        if not levels:
            return (2, 0, 0)
        if levels == diff.levels:
            return (0, 0, 0)
        return (1, min(rank.get(lv, len(rank)) for lv in levels), -len(levels))

    out = []
    for levels in sorted(groups, key=order):
        if not levels:
            heading = "For new incidents"
        elif levels == diff.levels and len(levels) > 1:
            heading = "At every level"
        else:
            heading = "At " + _and(levels)
        out.append((heading, groups[levels]))
    return out


def _and(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _plain(summary: str) -> str:
    return summary.replace("`", "'")


def text(diff: ProcessDiff) -> str:
    """The diff for a terminal."""
    lines = [diff.summary()]
    migration = [c for c in diff.changes if c.needs_migration]
    if migration:
        lines += ["", "Needs migration:"]
        for change in migration:
            lines.append(f"  - {_with_levels(change)}")
            lines.append(f"    why: {_plain(change.reason)}")
    if diff.behaviour:
        lines += ["", "Behaviour:"]
        for heading, changes in _level_groups(diff):
            lines.append(f"  {heading}:")
            lines.extend(f"    - {_plain(c.summary)}" for c in changes)
    if diff.structure:
        lines += ["", "Spec changes:"]
        for change in diff.structure:
            mark = "migration" if change.needs_migration else "safe     "
            lines.append(f"  {mark}  {_plain(change.summary)}")
    if diff.notes:
        lines += ["", "Notes:"]
        lines.extend(f"  - {note}" for note in diff.notes)
    return "\n".join(lines) + "\n"


def _with_levels(change: Change) -> str:
    text = _plain(change.summary)
    return f"at {', '.join(change.levels)}: {text}" if change.levels else text


def markdown(diff: ProcessDiff) -> str:
    """The diff as a pull request comment."""
    old, new = diff.old, diff.new
    title = f"`{new.name}` {old.version} → {new.version}"
    if old.name != new.name:
        title = f"`{old.name}` {old.version} → `{new.name}` {new.version}"
    lines = [f"**{title}**: {_tail(diff)}", ""]
    if diff.empty:
        return "\n".join(lines)
    migration = [c for c in diff.changes if c.needs_migration]
    if migration:
        lines += [f"### Needs migration ({len(migration)})", ""]
        lines += table(
            ("Change", "Why open incidents need a migration"),
            ((_md_levels(c), c.reason) for c in migration),
        )
        lines.append("")
    if diff.behaviour:
        lines += ["### What changes for incidents", ""]
        for heading, changes in _level_groups(diff):
            lines += [f"#### {heading}", ""]
            lines.extend(
                f"- {'**needs migration**: ' if c.needs_migration else ''}{c.summary}"
                for c in changes
            )
            lines.append("")
    if diff.structure:
        lines += [f"### Changes to the spec ({len(diff.structure)})", ""]
        lines += table(
            ("Part", "Change", "Open incidents"),
            (
                (
                    c.area,
                    _md_levels(c),
                    f"**migration**: {c.reason}" if c.needs_migration else "safe",
                )
                for c in diff.structure
            ),
        )
        lines.append("")
    if diff.notes:
        lines += ["### Notes", ""]
        lines.extend(f"- {note}" for note in diff.notes)
        lines.append("")
    return "\n".join(lines)


def _md_levels(change: Change) -> str:
    return f"at {', '.join(change.levels)}: {change.summary}" if change.levels else change.summary


def _tail(diff: ProcessDiff) -> str:
    summary = diff.summary()
    return summary.split(": ", 1)[1] if ": " in summary and not diff.empty else summary

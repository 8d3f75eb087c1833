"""`incidentflow diff` on the example specs against hand-made edits: each edit appears,
classified as safe for open incidents or as needing migration; reorderings that change
nothing report nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import incidentflow
from incidentflow import ProcessDiff
from incidentflow.changes import Change
from incidentflow.cli import run

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "process_specs"
MAJOR = (SPECS / "major-incident.yaml").read_text(encoding="utf-8")
DESK = (SPECS / "service-desk.yaml").read_text(encoding="utf-8")
SECURITY = (SPECS / "security-incident.yaml").read_text(encoding="utf-8")


def edited(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def compare(old: str, new: str) -> ProcessDiff:
    return incidentflow.diff(
        incidentflow.loads(old, "old.yaml"), incidentflow.loads(new, "new.yaml")
    )


def one(diff: ProcessDiff, predicate: Callable[[Change], bool]) -> Change:
    found = [c for c in diff.changes if predicate(c)]
    assert len(found) == 1, (found, diff.changes)
    return found[0]


# --- each edit appears, classified -----------------------------------------------------------


def test_identical_specs_have_no_change() -> None:
    for text in (MAJOR, DESK, SECURITY):
        assert compare(text, text).empty


def test_a_renamed_state_needs_migration_and_renames_its_references() -> None:
    new = edited(MAJOR, ("monitoring", "watching"))
    diff = compare(MAJOR, new)
    change = one(diff, lambda c: c.area == "state" and c.kind == "renamed")
    assert (change.old, change.new, change.needs_migration) == ("monitoring", "watching", True)
    assert "monitoring" in change.reason
    # transitions into and out of it are the same moves under the new name: nothing else
    assert [c for c in diff.structure if c.area == "transition"] == []
    assert diff.needs_migration


def test_a_renamed_terminal_state_is_safe() -> None:
    diff = compare(MAJOR, edited(MAJOR, ("false_positive", "noise")))
    change = one(diff, lambda c: c.area == "state" and c.kind == "renamed")
    assert not change.needs_migration
    assert not diff.needs_migration


def test_a_removed_reachable_state_needs_migration() -> None:
    new = edited(
        DESK,
        (
            "    - {name: resume, from: on_hold, to: in_progress, by: [resolver, service_desk_agent], actions: [{action: set_sla_clock, mode: running}]}\n",
            "",
        ),
        (
            "    - name: hold\n      from: in_progress\n      to: on_hold\n      by: [resolver]\n      when: {severity: [P2, P3, P4, P5]}\n      actions: [{action: set_sla_clock, mode: paused}]\n",
            "",
        ),
        (
            "from: [new, in_progress, on_hold], to: canceled",
            "from: [new, in_progress], to: canceled",
        ),
        (
            "policies:\n  - id: p1_clock_never_paused\n    for_severity: [P1]\n    must_not_reach: on_hold\n",
            "",
        ),
    )
    new = new[: new.index("    on_hold:\n")] + new[new.index("    resolved:\n") :]
    diff = compare(DESK, new)
    state = one(diff, lambda c: c.area == "state")
    assert (state.kind, state.subject, state.needs_migration) == ("removed", "on_hold", True)
    # its transitions go with it, safely: the new version is checked whole
    gone = [c for c in diff.changes if c.area == "transition"]
    assert {c.subject for c in gone} == {
        "hold from in_progress",
        "resume from on_hold",
        "cancel from on_hold",
    }
    assert not any(c.needs_migration for c in gone)
    assert one(diff, lambda c: c.area == "policy").kind == "removed"


def test_a_changed_by_is_safe_and_names_the_roles() -> None:
    new = edited(
        MAJOR,
        (
            "{name: regress, from: monitoring, to: stabilising, by: [commander, responder]}",
            "{name: regress, from: monitoring, to: stabilising, by: [commander]}",
        ),
    )
    change = one(compare(MAJOR, new), lambda c: c.area == "transition")
    assert (change.field, change.old, change.new) == (
        "by",
        ["commander", "responder"],
        ["commander"],
    )
    assert not change.needs_migration
    assert "`regress` from `monitoring`" in change.summary


def test_a_new_required_checklist_item_on_an_exit_needs_migration() -> None:
    new = edited(
        MAJOR,
        (
            "        - {id: customer_impact_ended, text: Verify that customer impact has ended}\n",
            "        - {id: customer_impact_ended, text: Verify that customer impact has ended}\n"
            "        - {id: rollback_considered, text: Consider rolling back}\n",
        ),
        (
            "requires: [mitigation_applied, customer_impact_ended]}",
            "requires: [mitigation_applied, customer_impact_ended, rollback_considered]}",
        ),
    )
    diff = compare(MAJOR, new)
    item = one(diff, lambda c: c.area == "checklist")
    assert (item.kind, item.subject, item.needs_migration) == (
        "added",
        "stabilising: rollback_considered",
        False,
    )
    exit_ = one(diff, lambda c: c.area == "transition")
    assert exit_.field == "requires"
    assert exit_.needs_migration
    assert "rollback_considered" in exit_.reason


def test_a_changed_matrix_cell_is_safe_and_moves_the_trigger_that_uses_it() -> None:
    new = edited(
        MAJOR,
        (
            "moderate:    {critical: SEV2, high: SEV3, medium: SEV3",
            "moderate:    {critical: SEV2, high: SEV3, medium: SEV2",
        ),
    )
    diff = compare(MAJOR, new)
    cell = one(diff, lambda c: c.area == "matrix")
    assert (cell.subject, cell.old, cell.new, cell.needs_migration) == (
        "moderate x medium",
        "SEV3",
        "SEV2",
        False,
    )
    opening = one(diff, lambda c: c.area == "opening")
    assert (opening.subject, opening.old, opening.new) == ("latency_degradation", "SEV3", "SEV2")


def test_a_changed_timer_is_reported_in_the_spec_and_at_each_level() -> None:
    new = edited(DESK, ("          after: 5d\n", "          after: 7d\n"))
    diff = compare(DESK, new)
    timer = one(diff, lambda c: c.aspect == "structure" and c.area == "timer")
    assert timer.subject == "resolved: auto_close"
    assert (timer.field, timer.old, timer.new, timer.needs_migration) == (
        "after",
        "5d",
        "7d",
        False,
    )
    behaviour = one(diff, lambda c: c.aspect == "behaviour" and c.area == "timer")
    assert behaviour.levels == ("P1", "P2", "P3", "P4", "P5")
    assert "after 7d instead of 5d" in behaviour.summary
    assert "`close`" in behaviour.summary


def test_a_changed_sla_shows_as_the_sla_and_the_timers_that_use_it() -> None:
    new = edited(MAJOR, ("      acknowledge_within: 15m\n", "      acknowledge_within: 10m\n"))
    diff = compare(MAJOR, new)
    assert diff.structure == ()
    sla = one(diff, lambda c: c.area == "sla")
    assert (sla.levels, sla.field, sla.old, sla.new) == (
        ("SEV2",),
        "acknowledge_within",
        "15m",
        "10m",
    )
    timer = one(diff, lambda c: c.area == "timer")
    assert timer.subject == "detected: ack_deadline"
    assert timer.levels == ("SEV2",)


def test_a_removed_role_needs_migration() -> None:
    new = edited(
        MAJOR,
        ("  scribe:\n    title: Scribe\n", "  notetaker:\n    title: Scribe\n"),
        ("role: scribe,", "role: notetaker,"),
        ("backups: [scribe]", "backups: [notetaker]"),
    )
    diff = compare(MAJOR, new)
    removed = one(diff, lambda c: c.area == "role" and c.kind == "removed")
    assert (removed.subject, removed.needs_migration) == ("scribe", True)
    added = one(diff, lambda c: c.area == "role" and c.kind == "added")
    assert not added.needs_migration


def test_paging_changes_are_phrased_per_level() -> None:
    new = edited(MAJOR, ("        - {action: page, role: responder}\n", ""))
    diff = compare(MAJOR, new)
    paging = one(diff, lambda c: c.area == "paging")
    assert paging.summary == "`responder` is no longer paged on open"
    assert paging.levels == ("SEV1", "SEV2", "SEV3", "SEV4")


def test_a_narrowed_guard_changes_reachability_and_paths() -> None:
    new = edited(
        MAJOR,
        (
            "{name: cancel, from: [detected, triage], to: false_positive, by: [commander, responder], when: {severity: [SEV3, SEV4]}}",
            "{name: cancel, from: [detected, triage], to: false_positive, by: [commander, responder], when: {severity: [SEV4]}}",
        ),
    )
    diff = compare(MAJOR, new)
    guard = one(diff, lambda c: c.area == "transition")
    assert guard.kind == "removed"
    assert guard.levels == ("SEV3",)
    assert "guard narrowed" in guard.summary
    assert not guard.needs_migration  # every state can still finish at SEV3
    reach = one(diff, lambda c: c.area == "reachability")
    assert (reach.subject, reach.kind, reach.levels) == ("false_positive", "removed", ("SEV3",))


def test_same_version_with_changes_gets_a_note() -> None:
    diff = compare(
        MAJOR, edited(MAJOR, ("      acknowledge_within: 4h\n", "      acknowledge_within: 2h\n"))
    )
    assert diff.notes
    bumped = compare(MAJOR, edited(MAJOR, ('version: "1.0.0"', 'version: "1.0.1"')))
    assert bumped.empty
    assert bumped.notes == ()


# --- reorderings change nothing ----------------------------------------------------------


def _reordered(value: Any, path: tuple[str, ...] = ()) -> Any:
    """The spec with every mapping's keys reversed and every list whose order means
    nothing reversed (levels, action lists and triggers keep their order)."""
    ordered = {"levels", "on_enter", "actions", "triggers", "items"}
    if isinstance(value, dict):
        return {k: _reordered(value[k], (*path, str(k))) for k in reversed(list(value))}
    if isinstance(value, list):
        items = [_reordered(v, (*path, "items")) for v in value]
        last = path[-1] if path else ""
        if last in ordered or (last == "items" and len(path) > 1 and path[-2] in ordered):
            return items
        return items[::-1]
    return value


@pytest.mark.parametrize("text", [MAJOR, DESK, SECURITY], ids=["major", "desk", "security"])
def test_a_reordered_spec_reports_no_change(text: str, tmp_path: Path) -> None:
    data = YAML(typ="safe").load(text)
    again = json.dumps(_reordered(data), indent=1)
    assert again != json.dumps(data, indent=1)
    diff = compare(text, again)
    assert diff.empty, diff.changes
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(text, encoding="utf-8")
    new.write_text(again, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["diff", str(old), str(new)], out, err) == 0
    assert "No behavioural change" in out.getvalue()


def test_trigger_order_between_equals_is_a_change() -> None:
    data = YAML(typ="safe").load(MAJOR)
    data["triggers"] = data["triggers"][::-1]
    diff = compare(MAJOR, json.dumps(data))
    change = one(diff, lambda c: c.area == "trigger")
    assert change.subject == "precedence at SEV1"
    assert not change.needs_migration


def test_changed_office_hours_and_reminder_cadence_are_safe_changes() -> None:
    hours = edited(DESK, ('["09:00-17:30"]', '["08:30-17:30"]'))
    changed = one(compare(DESK, hours), lambda c: c.field == "calendars")
    assert (changed.area, changed.needs_migration) == ("process", False)
    assert "due times" in changed.reason
    cadence = edited(MAJOR, ("every: update_every", "every: 15m"))
    timer = one(compare(MAJOR, cadence), lambda c: c.aspect == "structure" and c.area == "timer")
    assert (timer.field, timer.old, timer.new, timer.needs_migration) == (
        "every",
        "update_every",
        "15m",
        False,
    )

"""`incidentflow migrate plan` and `migrate apply`: diagnostics at file:line:column, a
refused mapping writes nothing, every open incident of the old version moves and is
reported, and the store still verifies."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import incidentflow
from incidentflow import Engine, SQLiteStore
from tests.conftest import EXAMPLES, ROOT, CliResult
from tests.engine.common import T0

OLD = str(EXAMPLES / "major-incident.yaml")
MIGRATIONS = ROOT / "tests" / "migrations"
NEW = str(MIGRATIONS / "major-incident-v2.yaml")
MAP = str(MIGRATIONS / "maps" / "major-incident-1-to-2.yaml")
BAD_MAP = str(MIGRATIONS / "invalid" / "IF906-unknown-new-state.yaml")
Cli = Callable[..., CliResult]


def test_plan_prints_where_each_state_goes_and_exits_0(cli: Cli) -> None:
    result = cli("migrate", "plan", OLD, NEW, "--map", MAP)
    assert result.code == 0, result.err
    assert f"{MAP}: major-incident 1.0.0 -> 2.0.0: 0 error(s), 0 warning(s): can be applied" in (
        result.out
    )
    assert "  triage -> assessment: checklist keep, timers keep" in result.out
    assert "  review -> review (by name): checklist keep, timers keep" in result.out


def test_plan_reports_errors_at_their_place_and_exits_1(cli: Cli) -> None:
    result = cli("migrate", "plan", OLD, NEW, "--map", BAD_MAP)
    assert result.code == 1
    assert f"{BAD_MAP}:3:11: error IF906 version 2.0.0 of 'major-incident' has no state" in (
        result.out
    )
    assert "did you mean 'assessment'?" in result.out
    assert "cannot be applied" in result.out
    [item] = json.loads(cli("migrate", "plan", OLD, NEW, "--map", BAD_MAP, "--format", "json").out)
    assert (item["code"], item["line"], item["column"]) == ("IF906", 3, 11)
    github = cli("migrate", "plan", OLD, NEW, "--map", BAD_MAP, "--format", "github").out
    assert github.startswith(f"::error file={BAD_MAP},line=3,col=11,title=IF906::")


def test_plan_of_unreadable_files_exits_2_without_a_traceback(cli: Cli, tmp_path: Path) -> None:
    missing = cli("migrate", "plan", OLD, NEW, "--map", str(tmp_path / "nope.yaml"))
    assert missing.code == 2
    assert "nope.yaml: cannot be read" in missing.err
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: incidentflow/v1\nkind: Process\n", encoding="utf-8")
    spec_errors = cli("migrate", "plan", OLD, str(broken), "--map", MAP)
    assert spec_errors.code == 2
    assert "broken.yaml has errors (above)" in spec_errors.err
    assert "Traceback" not in spec_errors.err + missing.err


def open_incidents(db: Path) -> tuple[str, str, str]:
    """Three open incidents on 1.0.0: one in triage (opened by a signal, so by `system`),
    one in detected, and one opened by `svc` (which `system` may not migrate)."""
    v1 = Engine(incidentflow.load(OLD), SQLiteStore(db), clock=lambda: T0)
    signalled = v1.signal({"service": "api", "availability": 0.5})
    assert signalled is not None
    v1.assign(signalled.id, "responder", "rita", actor="system")
    v1.fire(signalled.id, "acknowledge", actor="rita")
    detected = v1.open("major-incident", severity="SEV3", actor="system").id
    theirs = v1.open("major-incident", severity="SEV4", actor="svc").id
    v1.store.close()
    return signalled.id, detected, theirs


def events_of(db: Path) -> list[tuple[str, int, str]]:
    store = SQLiteStore(db)
    try:
        return [(e.incident_id, e.seq, e.hash) for e in store.all_events()]
    finally:
        store.close()


def test_apply_moves_each_open_incident_and_reports_each(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    triage, detected, theirs = open_incidents(db)
    before = events_of(db)
    dry = cli("migrate", "apply", "--store", str(db), OLD, NEW, "--map", MAP, "--dry-run")
    assert dry.code == 0, dry.err
    assert f"{triage}: would move triage -> assessment (SEV1)" in dry.out
    assert events_of(db) == before

    result = cli("migrate", "apply", "--store", str(db), OLD, NEW, "--map", MAP)
    assert result.code == 1  # one refused
    assert f"{triage}: moved triage -> assessment (SEV1)" in result.out
    assert f"{detected}: moved detected -> detected (SEV3)" in result.out
    assert f"{theirs}: refused: " in result.out
    assert "'system' neither opened the incident" in result.out
    assert "moved 2 incident(s) from version 1.0.0 to 2.0.0; 1 refused" in result.out
    assert cli("audit", "verify", str(db)).code == 0
    engine = Engine(incidentflow.load(NEW), SQLiteStore(db), clock=lambda: T0)
    assert engine.get(triage).state == "assessment"
    assert engine.get(theirs).process_version == "1.0.0"
    engine.store.close()

    again = cli("migrate", "apply", "--store", str(db), OLD, NEW, "--map", MAP, "--actor", "svc")
    assert again.code == 0, again.out
    assert f"{theirs}: moved detected -> detected (SEV4)" in again.out
    assert "moved 1 incident(s)" in again.out  # the others are on 2.0.0 already


def test_apply_with_a_refused_mapping_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    open_incidents(db)
    before = events_of(db)
    result = cli("migrate", "apply", "--store", str(db), OLD, NEW, "--map", BAD_MAP)
    assert result.code == 2
    assert "error IF906" in result.out
    assert "has errors (above): nothing was migrated" in result.err
    assert events_of(db) == before

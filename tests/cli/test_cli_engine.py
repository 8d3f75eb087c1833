"""The engine's commands: demo, report and audit verify."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite database a demo run leaves behind."""
    directory = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [sys.executable, "-m", "incidentflow", "demo", "--keep", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "SHA-256 hash chain verified" in done.stdout
    assert "refused as expected: mallory fires acknowledge: role" in done.stdout
    assert "close: review -> closed" in done.stdout
    return directory / "incidents.db"


def test_demo_prints_timeline_metrics_and_audit(cli, tmp_path: Path) -> None:
    result = cli("demo", "--keep", str(tmp_path))
    assert result.code == 0
    out = result.out
    assert out.index("Timeline") < out.index("Metrics") < out.index("Audit")
    assert "signal {" in out
    assert "-> trigger api_outage" in out
    assert "before its checklist: checklist: checklist items not done" in out
    assert "time to acknowledge  4m" in out  # people take 4 minutes a step (demo.PACE)
    assert "+0h49m  timer     timer status_update fired" in out
    assert "result: the incident is closed in 'closed'" in out
    assert (tmp_path / "incidents.db").is_file()


def test_report_text_and_json(cli, demo_db: Path) -> None:
    text = cli("report", str(demo_db))
    assert text.code == 0
    # resolved on entering the postmortem review (phase postmortem), not at closing
    assert (
        "major-incident       SEV1      1        4m       19m        53m            -  none"
        in text.out
    )
    data = json.loads(cli("report", "--format", "json", str(demo_db)).out)
    [incident] = data["incidents"]
    assert incident["time_to_acknowledge"] == 4 * 60
    assert incident["time_to_resolve"] == 53 * 60
    assert incident["time_paused"] == 0
    assert incident["breached"] == []
    assert data["levels"][0]["incidents"] == 1


def test_audit_verify_passes_then_catches_tampering(cli, demo_db: Path, tmp_path: Path) -> None:
    assert cli("audit", "verify", str(demo_db)).code == 0
    forged = tmp_path / "forged.db"
    forged.write_bytes(demo_db.read_bytes())
    with sqlite3.connect(forged) as conn:
        conn.execute("UPDATE events SET actor = 'mallory' WHERE seq = 6")
    result = cli("audit", "verify", str(forged))
    assert result.code == 1
    assert "event 6: modified" in result.out


def test_store_commands_refuse_bad_paths_without_traceback(cli, tmp_path: Path) -> None:
    missing = cli("report", str(tmp_path / "none.db"))
    assert missing.code == 2
    assert "no such database file" in missing.err
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    result = cli("audit", "verify", str(junk))
    assert result.code == 2
    assert "is not an SQLite database: not an incidentflow event store" in result.err
    assert "Traceback" not in result.err

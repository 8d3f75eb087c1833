"""The host-application example of docs/embedding.md runs and does what the guide says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "chat_host.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_chat_host_runs_an_incident_end_to_end() -> None:
    result = _run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(Public API or checkout unavailable) at SEV1" in out
    assert "bot> (page responder: rita)" in out  # nobody holds the role yet: the rota
    assert "bot> (page commander: carl)" in out  # ActionRequest.holders
    assert "Sorry mallory, not now ('mallory' holds none of commander, deputy)." in out
    assert "cancel -> false_positive: no (guard:" in out  # allowed() with its reasons
    assert "Sorry rita, only the commander, deputy may assign." in out  # NotAuthorized
    assert "Sorry carl, first check impact_confirmed, severity_confirmed, roles_assigned." in out
    assert "Failed actions (the transition stands): ['post_status']; retrying" in out
    assert "Next deadline: 09:33" in out
    assert "bot> tick: timer_fired status_update" in out
    assert "OK. review at SEV1" in out
    assert out.rstrip().endswith("1 incident(s), ok")
    assert result.stderr == ""


def test_chat_host_keeps_its_database_where_told(tmp_path: Path) -> None:
    database = tmp_path / "incidents.sqlite"
    first = _run(str(database))
    assert first.returncode == 0, first.stderr
    assert database.exists()
    second = _run(str(database))  # the same alert joins the incident the first run left open
    assert second.returncode == 0, second.stderr
    assert "Opened " not in second.stdout
    assert "bot> Joined " in second.stdout
    assert "Open incidents: ['" in second.stdout
